#pragma once
// The real `vertrouwd` binary as a child process of a test (crash safety, fault injection):
// started with arguments, its stdout and stderr in a file, its port read from the log.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vd::testing {

// build/src/app/vertrouwd
const std::string& VertrouwdBinary();

// A `vertrouwd` child process; its stdout and stderr go to `output_file`. Killed with
// SIGKILL if still running when destroyed.
struct Child {
  pid_t pid = -1;
  std::string output_file;

  bool Spawn(const std::vector<std::string>& args);
  // Waits for the process to end; returns its wait status.
  int Wait();
  std::string Output() const;
  // The port from the "listening on http://127.0.0.1:PORT/" log line; 0 after a timeout
  // (15 s) or if the process ended.
  uint16_t WaitForPort();
  ~Child();
};

// Runs the binary with `args` to its end (output in `output_file`); its exit code, or -1.
int RunCli(const std::vector<std::string>& args, const std::string& output_file);

// The 16-digit receipt on the page after starting a conversation, or "".
std::string ReceiptFrom(const std::string& body);

}  // namespace vd::testing

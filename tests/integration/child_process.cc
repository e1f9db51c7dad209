#include "integration/child_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "integration/http_client.h"

namespace vd::testing {

const std::string& VertrouwdBinary() {
  static const std::string path = std::string(VD_BINARY_DIR) + "/src/app/vertrouwd";
  return path;
}

bool Child::Spawn(const std::vector<std::string>& args) {
  const std::string& binary = VertrouwdBinary();
  pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    FILE* out = std::fopen(output_file.c_str(), "w");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return true;
}

int Child::Wait() {
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  pid = -1;
  return status;
}

std::string Child::Output() const {
  std::ifstream in(output_file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

uint16_t Child::WaitForPort() {
  const std::regex re("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
  for (int i = 0; i < 300; ++i) {
    std::smatch m;
    const std::string out = Output();
    if (std::regex_search(out, m, re)) return static_cast<uint16_t>(std::stoi(m[1]));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

Child::~Child() {
  if (pid > 0) {
    kill(pid, SIGKILL);
    Wait();
  }
}

int RunCli(const std::vector<std::string>& args, const std::string& output_file) {
  Child c;
  c.output_file = output_file;
  if (!c.Spawn(args)) return -1;
  int status = c.Wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReceiptFrom(const std::string& body) {
  std::string receipt;
  for (const std::string& g : {Extract(body, "<span>([0-9]{4})</span> <span>"),
                               Extract(body, "<span>[0-9]{4}</span> <span>([0-9]{4})"),
                               Extract(body, "(?:<span>[0-9]{4}</span> ){2}<span>([0-9]{4})"),
                               Extract(body, "(?:<span>[0-9]{4}</span> ){3}<span>([0-9]{4})")}) {
    receipt += g;
  }
  return receipt;
}

}  // namespace vd::testing

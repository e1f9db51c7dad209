#include "app/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace vd {
namespace {

Error Failed(const std::string& path, const char* what, int err) {
  return Error{ErrorCode::kStorage, "error.internal",
               "cannot write " + path + ": " + what + ": " + std::strerror(err)};
}

// Writes every byte (retrying short writes and EINTR); returns errno or 0.
int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

Status InPlace(const std::string& path, std::string_view bytes) {
  // O_TRUNC empties a regular file behind a symbolic link and does nothing to a device or a
  // FIFO; no O_CREAT: the target exists, and a dangling link is not followed into a new file.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::unexpected(Failed(path, "open", errno));
  const int err = WriteAll(fd, bytes);
  if (::close(fd) != 0 && err == 0) return std::unexpected(Failed(path, "close", errno));
  if (err != 0) return std::unexpected(Failed(path, "write", err));
  return {};
}

Status Replace(const std::string& path, std::string_view bytes, const struct stat* existing) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return std::unexpected(Failed(path, "temporary file", errno));
  const std::string tmp(name.data());
  auto fail = [&](const char* what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return std::unexpected(Failed(path, what, err));
  };
  // A file replaced keeps its permissions; a new one is mkstemp's 0600 (a draft report is not
  // for everyone on the machine, and reading the umask is not thread-safe).
  if (existing && ::fchmod(fd, existing->st_mode & 07777) != 0) return fail("chmod", errno);
  if (int err = WriteAll(fd, bytes); err != 0) return fail("write", err);
  if (::fsync(fd) != 0) return fail("fsync", errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(Failed(path, "close", err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return std::unexpected(Failed(path, "rename", err));
  }
  // The rename itself survives a crash once the folder is synced.
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return {};
}

}  // namespace

Status WriteOutputFile(const std::string& path, std::string_view bytes) {
  if (path.empty()) return std::unexpected(Failed(path, "path", EINVAL));
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return std::unexpected(Failed(path, "target", EISDIR));
    if (!S_ISREG(st.st_mode)) return InPlace(path, bytes);
    return Replace(path, bytes, &st);
  }
  if (errno != ENOENT) return std::unexpected(Failed(path, "stat", errno));
  return Replace(path, bytes, nullptr);
}

}  // namespace vd

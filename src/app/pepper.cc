#include "app/pepper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace vd {
namespace {

std::unexpected<Error> Refuse(const std::string& path, const std::string& what) {
  return Fail(ErrorCode::kInvalidInput, "error.config", "pepper file " + path + ": " + what);
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<SecretBytes> LoadPepper(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) {
    if (errno == ENOENT) {
      return Refuse(path, "missing (`vertrouwd init` or `vertrouwd pepper` creates one; after a "
                          "restore, put back the pepper file backed up with the configuration)");
    }
    return Refuse(path, std::string("cannot be read: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return Refuse(path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Refuse(path, "is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Refuse(path, std::string("is open to group or others (mode ") + mode +
                            "); only the service may read it: chmod 600 " + path);
  }
  if (st.st_size != static_cast<off_t>(kPepperBytes)) {
    return Refuse(path, "has " + std::to_string(st.st_size) + " bytes, not " +
                            std::to_string(kPepperBytes));
  }
  SecretBytes pepper(kPepperBytes);
  size_t got = 0;
  while (got < pepper.size()) {
    ssize_t n = ::read(file.fd, pepper.data() + got, pepper.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Refuse(path, "could not be read whole");
    got += static_cast<size_t>(n);
  }
  return pepper;
}

Result<SecretBytes> CreatePepper(const std::string& path) {
  Fd file{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (file.fd < 0) {
    if (errno == EEXIST) return Refuse(path, "exists already; it is never replaced");
    return Refuse(path, std::string("cannot be created: ") + std::strerror(errno));
  }
  // The umask may have taken bits away, never added any; make 0600 explicit anyway.
  if (::fchmod(file.fd, 0600) != 0) return Refuse(path, "cannot be made private");
  SecretBytes pepper(kPepperBytes);
  FillRandom(pepper);
  size_t put = 0;
  while (put < pepper.size()) {
    ssize_t n = ::write(file.fd, pepper.data() + put, pepper.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(path.c_str());
      return Refuse(path, "could not be written");
    }
    put += static_cast<size_t>(n);
  }
  if (::fsync(file.fd) != 0) {
    ::unlink(path.c_str());
    return Refuse(path, "could not be written to disk");
  }
  return pepper;
}

}  // namespace vd

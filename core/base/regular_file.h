// Reading a file that must be a regular one (a script, the configuration): opened non-blocking,
// so that a FIFO planted under the name cannot hang the reader in open(), then checked with
// fstat before anything is read. Header-only: the daemon's config parser and its fuzz target
// use it without another library.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace migrationd {

struct RegularFileRead {
  std::string text;
  int error = 0;           // errno of open, fstat or read (0: none)
  bool regular = false;    // fstat said a regular file
  bool too_large = false;  // larger than the limit (nothing read)
  mode_t mode = 0;         // what fstat said, for FileKind
  bool ok() const { return error == 0 && regular && !too_large; }
};

// `path` read whole, if it is a regular file of at most `max_bytes`. `extra_flags`: added to
// O_RDONLY | O_NONBLOCK | O_CLOEXEC (O_NOFOLLOW for a resolved path).
inline RegularFileRead ReadRegularFile(const std::string& path, int extra_flags, size_t max_bytes) {
  RegularFileRead result;
  const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | extra_flags);
  if (fd < 0) {
    result.error = errno;
    return result;
  }
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    result.error = errno;
  } else {
    result.mode = info.st_mode;
    result.regular = S_ISREG(info.st_mode);
    result.too_large = static_cast<size_t>(info.st_size) > max_bytes;
  }
  char buffer[65536];
  while (result.error == 0 && result.regular && !result.too_large) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) result.error = errno;
    if (n <= 0) break;
    result.text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return result;
}

// "a directory", "a FIFO", "a socket", "a device" or "not a regular file", for messages.
inline const char* FileKind(mode_t mode) {
  return S_ISDIR(mode)                    ? "a directory"
         : S_ISFIFO(mode)                 ? "a FIFO"
         : S_ISSOCK(mode)                 ? "a socket"
         : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
                                          : "not a regular file";
}

}  // namespace migrationd

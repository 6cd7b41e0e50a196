#include "core/base/private_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace migrationd {

Status WritePrivateFile(const std::string& path, std::string_view text, bool sync) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Io("cannot create " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      return Status::Io("cannot write " + path + ": " + std::strerror(saved));
    }
    done += static_cast<size_t>(n);
  }
  int synced = sync ? fsync(fd) : 0;
  int saved = errno;
  close(fd);
  if (synced != 0) return Status::Io("fsync " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

}  // namespace migrationd

#include "core/base/temp_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

namespace migrationd {
namespace {

namespace fs = std::filesystem;
constexpr const char* kOwnerSuffix = ".owner";

std::string OwnerPath(const std::string& directory, const std::string& token) {
  return (fs::path(directory) / (kTempFilePrefix + token + kOwnerSuffix)).string();
}

std::string NewToken() {
  std::random_device random;
  char token[17];
  std::snprintf(token, sizeof token, "%08x%08x", random(), random());
  return token;
}

// The owner token of a temporary file's name: the hex digits after the prefix ("" if none).
std::string TokenOf(const std::string& name) {
  std::string token;
  for (size_t at = std::strlen(kTempFilePrefix);
       at < name.size() && std::isxdigit(static_cast<unsigned char>(name[at])); ++at) {
    token += name[at];
  }
  return token.size() == 16 ? token : "";
}

// Whether a live process holds the owner file of `token`. A dead owner's file is unlinked
// while its lock is held here, so that a process that has just created it (and not yet
// locked it) finds it gone once it gets the lock, and claims another token.
bool OwnerIsAlive(const std::string& directory, const std::string& token) {
  if (token.empty()) return false;
  const std::string path = OwnerPath(directory, token);
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const bool alive = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (!alive) unlink(path.c_str());
  close(fd);
  return alive;
}

}  // namespace

Result<TempFileOwner> TempFileOwner::Claim(const std::string& directory) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string token = NewToken();
    const std::string path = OwnerPath(directory, token);
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return Status::Io("cannot create " + path + ": " + std::strerror(errno));
    }
    struct stat held {};
    struct stat named {};
    // A cleaner may have found the file before the lock and unlinked it: then start again.
    if (flock(fd, LOCK_EX) == 0 && fstat(fd, &held) == 0 && stat(path.c_str(), &named) == 0 &&
        held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
      return TempFileOwner(directory, std::move(token), fd);
    }
    close(fd);
  }
  return Status::Io("cannot claim temporary files in " + directory +
                    ": the owner file kept disappearing");
}

TempFileOwner::TempFileOwner(TempFileOwner&& other) noexcept
    : directory_(std::move(other.directory_)), token_(std::move(other.token_)), fd_(other.fd_) {
  other.fd_ = -1;
}

TempFileOwner::~TempFileOwner() {
  if (fd_ < 0) return;
  unlink(OwnerPath(directory_, token_).c_str());
  close(fd_);
}

std::string TempFileOwner::PathFor(const std::string& name) const {
  return (fs::path(directory_) / (kTempFilePrefix + token_ + "-" + name)).string();
}

void RemoveUnownedTempFiles(const std::string& directory) {
  std::error_code error;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTempFilePrefix)) names.push_back(std::move(name));
  }
  std::set<std::string> alive;
  std::set<std::string> dead;
  for (const auto& name : names) {
    const std::string token = TokenOf(name);
    if (alive.contains(token)) continue;
    if (!dead.contains(token)) {
      if (OwnerIsAlive(directory, token)) {
        alive.insert(token);
        continue;
      }
      dead.insert(token);
    }
    fs::remove(fs::path(directory) / name, error);
  }
}

}  // namespace migrationd

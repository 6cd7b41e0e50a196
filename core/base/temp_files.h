// TempFiles: removes the files it names when it goes out of scope, unless released. For files
// that must not outlive a failed operation (half-written backups, generated restore scripts).
// Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

class TempFiles {
 public:
  TempFiles() = default;
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    for (const auto& path : paths_) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  }
  void Add(std::string path) { paths_.push_back(std::move(path)); }
  // Keeps every file named so far.
  void Release() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

// A live process's claim on the temporary files it writes in a directory that other daemons
// clean too (several daemons on one SQLite database share its backup directory). The claim is
// an owner file `.tmp-<token>.owner` held under flock(2) for the claim's lifetime; the files are
// named `.tmp-<token>-<name>`. The kernel drops the flock when the process dies, so
// RemoveUnownedTempFiles tells a dead owner's leftovers from a backup still being written.
class TempFileOwner {
 public:
  static Result<TempFileOwner> Claim(const std::string& directory);
  TempFileOwner(TempFileOwner&& other) noexcept;
  TempFileOwner& operator=(TempFileOwner&&) = delete;
  TempFileOwner(const TempFileOwner&) = delete;
  TempFileOwner& operator=(const TempFileOwner&) = delete;
  ~TempFileOwner();
  // The path of this owner's temporary file for `name`, in the directory.
  std::string PathFor(const std::string& name) const;

 private:
  TempFileOwner(std::string directory, std::string token, int fd)
      : directory_(std::move(directory)), token_(std::move(token)), fd_(fd) {}
  std::string directory_;
  std::string token_;
  int fd_ = -1;
};

// The prefix of every temporary file in a backup directory.
inline constexpr const char* kTempFilePrefix = ".tmp-";

// Removes the `.tmp-` files of `directory` that no live TempFileOwner holds: what a crashed or
// killed daemon left, and files of the old unowned naming.
void RemoveUnownedTempFiles(const std::string& directory);

}  // namespace migrationd

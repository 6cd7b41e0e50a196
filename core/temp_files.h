// TempFiles: removes the files it names when it goes out of scope, unless released. For files
// that must not outlive a failed operation (half-written backups, generated restore scripts).
// Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

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

}  // namespace migrationd

// ScriptDirectory: the migration scripts of one directory, parsed and joined into a graph.
//
// Load() reads every `*.sql` file of the directory (not its subdirectories), parses each, and
// builds the RevisionGraph. All parse errors are reported together, one per line, each naming
// its file and line. Immutable after Load(); safe to share between threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/revision_graph.h"
#include "core/script.h"
#include "core/status.h"

namespace migrationd {

class ScriptDirectory {
 public:
  static Result<ScriptDirectory> Load(const std::string& directory);
  // For tests and tools that build scripts in memory.
  static Result<ScriptDirectory> FromScripts(std::string directory, std::vector<Script> scripts);

  const std::string& directory() const { return directory_; }
  const RevisionGraph& graph() const { return graph_; }
  // The script of a revision the graph contains.
  const Script& script(const std::string& id) const { return scripts_.at(id); }

  // Checks that every revision can run on `dialect` (has an upgrade section for it).
  Status CheckDialect(std::string_view dialect) const;

 private:
  ScriptDirectory(std::string directory, std::map<std::string, Script> scripts, RevisionGraph graph)
      : directory_(std::move(directory)), scripts_(std::move(scripts)), graph_(std::move(graph)) {}

  std::string directory_;
  std::map<std::string, Script> scripts_;
  RevisionGraph graph_;
};

}  // namespace migrationd

namespace migrationd {

// The scripts of one directory, parsed once and again only when a file changed: each Get()
// costs one listing and one stat per file (name, size, mtime, inode compared with the last
// parse). A file modified within a second of its parse may have changed again within the
// filesystem's timestamp granularity, so such a parse is not trusted and Get() parses again
// until the files are older than that ("racy" entries, as git handles them). Thread-safe.
class ScriptDirectoryCache {
 public:
  ScriptDirectoryCache(std::string directory, std::string dialect)
      : directory_(std::move(directory)), dialect_(std::move(dialect)) {}
  // The parsed directory (dialect checked), or why it cannot be used.
  Result<std::shared_ptr<const ScriptDirectory>> Get();
  // When the directory in use was parsed (the epoch before the first parse).
  std::chrono::system_clock::time_point loaded_at() const;

 private:
  struct FileStamp {
    std::string name;
    off_t size;
    int64_t mtime_ns;
    ino_t inode;
    bool operator==(const FileStamp&) const = default;
  };
  // The directory's *.sql files as stat sees them, and the newest mtime among them.
  Result<std::vector<FileStamp>> StampFiles(int64_t& newest_mtime_ns) const;

  const std::string directory_;
  const std::string dialect_;
  mutable std::mutex mutex_;
  std::vector<FileStamp> stamps_;  // guarded by mutex_, as of the cached parse
  bool trusted_ = false;           // guarded by mutex_: no file was racy at the parse
  std::shared_ptr<const ScriptDirectory> cached_;      // guarded by mutex_
  std::chrono::system_clock::time_point loaded_at_{};  // guarded by mutex_
};

}  // namespace migrationd

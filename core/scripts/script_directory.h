// ScriptDirectory: the migration scripts of one directory, parsed and joined into a graph.
//
// Load() reads every `*.sql` file of the directory (not its subdirectories), parses each, and
// builds the RevisionGraph. All parse errors are reported together, one per line, each naming
// its file and line. Immutable after Load(); safe to share between threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/scripts/revision_graph.h"
#include "core/scripts/script.h"

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
  // Every script, by revision id.
  const std::map<std::string, Script>& scripts() const { return scripts_; }

  // Checks that every revision can run on `dialect` (has an upgrade section for it).
  Status CheckDialect(std::string_view dialect) const;
  // Whoever ran CheckDialect successfully on a directory it owns says so, and those that get
  // the directory after (every job, from the parse cache) need not lex every script again:
  // at 1,000 revisions that was 2-5% of a job's CPU.
  void MarkCheckedFor(std::string dialect) { checked_dialect_ = std::move(dialect); }
  bool CheckedFor(std::string_view dialect) const { return checked_dialect_ == dialect; }

 private:
  ScriptDirectory(std::string directory, std::map<std::string, Script> scripts, RevisionGraph graph)
      : directory_(std::move(directory)), scripts_(std::move(scripts)), graph_(std::move(graph)) {}

  std::string directory_;
  std::map<std::string, Script> scripts_;
  RevisionGraph graph_;
  std::string checked_dialect_;  // MarkCheckedFor
};

}  // namespace migrationd

namespace migrationd {

// The scripts of one directory, parsed once and again only when a file changed. Thread-safe.
//
// Where it can, it watches the directory with inotify: a Get() with no event since the last
// parse costs one stat of the directory's path (a path re-pointed at another directory, e.g. a
// `current` symlink of a deploy, is a change too) and no listing. It falls back to one listing
// and one stat per file (name, size, mtime, inode compared with the last parse) when inotify is
// unavailable, the directory is on a network filesystem (changes made by other hosts raise no
// event), or a script is a symlink (a change to its target raises no event in the directory).
// In that mode a file modified within a second of its parse may change again within the
// filesystem's timestamp granularity, so such a parse is not trusted and Get() parses again
// until the files are older than that ("racy" entries, as git handles them).
//
// One parse at a time: callers that miss while a parse runs wait for it instead of parsing the
// same files again (at 10,000 revisions a parse takes most of a second).
class ScriptDirectoryCache {
 public:
  ScriptDirectoryCache(std::string directory, std::string dialect);
  ~ScriptDirectoryCache();
  ScriptDirectoryCache(const ScriptDirectoryCache&) = delete;
  ScriptDirectoryCache& operator=(const ScriptDirectoryCache&) = delete;

  // The parsed directory (dialect checked), or why it cannot be used.
  Result<std::shared_ptr<const ScriptDirectory>> Get();
  // True until a first parse has finished (well or not): the daemon's start at many revisions.
  // `status` says so instead of waiting.
  bool Loading() const;
  // When the directory in use was parsed (the epoch before the first parse).
  std::chrono::system_clock::time_point loaded_at() const;
  // Whether changes are noticed through inotify (else: a stat per file per Get).
  bool watching() const;

 private:
  struct FileStamp {
    std::string name;
    off_t size;
    int64_t mtime_ns;
    ino_t inode;
    bool operator==(const FileStamp&) const = default;
  };
  using Parsed = Result<std::shared_ptr<const ScriptDirectory>>;
  // The directory's *.sql files as stat sees them, the newest mtime among them, and whether
  // one of them is a symlink.
  Result<std::vector<FileStamp>> StampFiles(int64_t& newest_mtime_ns, bool& has_symlink) const;
  // Under mutex_: reads pending inotify events (a change bumps generation_), re-arms the watch
  // when the path names another directory now. False when watching is not possible.
  bool PollWatchLocked();
  void WatchLocked();
  void StopWatchingLocked();
  // Under mutex_: whether the cached parse can be returned as it is.
  bool FreshLocked(const Result<std::vector<FileStamp>>* stamps) const;

  const std::string directory_;
  const std::string dialect_;
  mutable std::mutex mutex_;
  int inotify_fd_ = -1;             // guarded by mutex_; -1: not watching
  bool watch_possible_ = true;      // guarded by mutex_; false: stat mode for good
  dev_t watched_dev_ = 0;           // guarded by mutex_: the directory the watch is on
  ino_t watched_ino_ = 0;           // guarded by mutex_
  uint64_t generation_ = 0;         // guarded by mutex_: changes seen through inotify
  uint64_t cached_generation_ = 0;  // guarded by mutex_: generation_ when cached_'s parse began
  std::vector<FileStamp> stamps_;   // guarded by mutex_, as of the cached parse (stat mode)
  bool trusted_ = false;            // guarded by mutex_: no file was racy at the parse
  std::shared_ptr<const ScriptDirectory> cached_;      // guarded by mutex_
  std::shared_future<Parsed> in_flight_;               // guarded by mutex_: the running parse
  bool attempted_ = false;                             // guarded by mutex_: a parse has finished
  std::chrono::system_clock::time_point loaded_at_{};  // guarded by mutex_
};

}  // namespace migrationd

#include "core/scripts/script_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base/regular_file.h"

namespace migrationd {

namespace fs = std::filesystem;

namespace {

// A name the directory's scripts may have: `*.sql`, except an editor's lock file (Emacs makes
// `.#name.sql` a dangling symlink while a script is edited).
bool IsScriptName(std::string_view name) {
  return name.size() >= 5 && name.ends_with(".sql") && !name.starts_with(".#");
}

// The text of the script `file`, which must be a readable regular file: a FIFO, a device, a
// directory or a broken link named like a script is an error that names it, never skipped (it
// would be a revision silently missing) and never waited on. A symlink may point to a regular
// file inside the migrations tree (`real_root`), nowhere else: the daemon runs as root.
Result<std::string> ReadScriptFile(const fs::path& file, const fs::path& real_root) {
  const std::string name = file.string();
  std::error_code error;
  const auto link = fs::symlink_status(file, error);
  fs::path target = file;
  if (!error && fs::is_symlink(link)) {
    target = fs::canonical(file, error);
    if (error) {
      return Status::ParseError(name + ": a symbolic link to nothing (" + error.message() +
                                "); remove it or point it at a script");
    }
    const auto [root_end, unused] =
        std::mismatch(real_root.begin(), real_root.end(), target.begin(), target.end());
    if (root_end != real_root.end()) {
      return Status::ParseError(name + ": a symbolic link to '" + target.string() +
                                "', outside the migrations directory; scripts are read only "
                                "from inside it: copy the file in instead");
    }
  }
  // O_NOFOLLOW: the target was resolved above; a link swapped in since is refused.
  RegularFileRead read = ReadRegularFile(target.string(), O_NOFOLLOW, SIZE_MAX);
  if (read.regular && read.error != 0) {
    return Status::ParseError(name + ": cannot be read (" + std::strerror(read.error) + ")");
  }
  if (read.error != 0) {
    return Status::ParseError(name + ": cannot be read (" + std::strerror(read.error) +
                              "); every *.sql file here is a revision: fix or remove it");
  }
  if (!read.regular) {
    return Status::ParseError(name + ": " + FileKind(read.mode) +
                              ", not a script file; every *.sql name here must be a regular "
                              "file: rename or remove it");
  }
  return std::move(read.text);
}

}  // namespace

Result<ScriptDirectory> ScriptDirectory::Load(const std::string& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return Status::NotFound("migrations directory '" + directory +
                            "' does not exist or is not a directory");
  }
  const fs::path real_root = fs::canonical(directory, error);
  if (error) return Status::Io("cannot resolve '" + directory + "': " + error.message());
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    if (IsScriptName(entry.path().filename().string())) files.push_back(entry.path());
  }
  if (error) return Status::Io("cannot list '" + directory + "': " + error.message());
  std::sort(files.begin(), files.end());

  std::vector<Script> scripts;
  std::string errors;
  for (const auto& file : files) {
    auto text = ReadScriptFile(file, real_root);
    auto script = text.ok() ? ParseScript(*text, file.string()) : Result<Script>(text.status());
    if (!script.ok()) {
      errors += (errors.empty() ? "" : "\n") + script.status().message();
      continue;
    }
    scripts.push_back(std::move(script).value());
  }
  if (!errors.empty()) return Status::ParseError(errors);
  return FromScripts(directory, std::move(scripts));
}

Result<ScriptDirectory> ScriptDirectory::FromScripts(std::string directory,
                                                     std::vector<Script> scripts) {
  std::vector<RevisionNode> nodes;
  nodes.reserve(scripts.size());
  for (const auto& script : scripts) {
    nodes.push_back({script.id, script.parents,
                     script.path + ":" + std::to_string(std::max(script.parents_line, 1))});
  }
  auto graph = RevisionGraph::Build(std::move(nodes));
  if (!graph.ok()) return graph.status();
  std::map<std::string, Script> by_id;
  for (auto& script : scripts) {
    std::string id = script.id;
    by_id.emplace(std::move(id), std::move(script));
  }
  return ScriptDirectory(std::move(directory), std::move(by_id), std::move(graph).value());
}

Status ScriptDirectory::CheckDialect(std::string_view dialect) const {
  std::string missing;
  for (const auto& [id, script] : scripts_) {
    if (Status clean = script.CheckNoTransactionControl(dialect); !clean.ok()) {
      missing += (missing.empty() ? "" : "\n") + clean.message();
    }
    if (!script.HasUpgradeFor(dialect)) {
      missing += (missing.empty() ? "" : "\n") + script.path + ": revision '" + id +
                 "' has no '-- +upgrade' section for " + std::string(dialect) +
                 " and no common one";
    }
  }
  if (!missing.empty()) return Status::ParseError(missing);
  return Status::Ok();
}

}  // namespace migrationd

namespace migrationd {

namespace {

// Filesystems where a change made by another host raises no inotify event here.
bool OnNetworkFilesystem(const std::string& directory) {
  struct statfs info {};
  if (statfs(directory.c_str(), &info) != 0) return true;  // unknown: do not rely on events
  switch (static_cast<uint64_t>(info.f_type)) {
    case 0x6969:      // NFS
    case 0x517B:      // SMB
    case 0xFE534D42:  // SMB2
    case 0xFF534D42:  // CIFS
    case 0x65735546:  // FUSE (sshfs, and others)
    case 0x6B414653:  // AFS
    case 0x00C36400:  // Ceph
    case 0x47504653:  // GPFS
    case 0x564C:      // NCP
      return true;
    default:
      return false;
  }
}

}  // namespace

ScriptDirectoryCache::ScriptDirectoryCache(std::string directory, std::string dialect)
    : directory_(std::move(directory)), dialect_(std::move(dialect)) {}

ScriptDirectoryCache::~ScriptDirectoryCache() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

Result<std::vector<ScriptDirectoryCache::FileStamp>> ScriptDirectoryCache::StampFiles(
    int64_t& newest_mtime_ns, bool& has_symlink) const {
  // readdir + fstatat on the directory's descriptor: no path walk per file.
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(directory_.c_str()), closedir);
  if (!dir) return Status::Io("cannot list '" + directory_ + "': " + std::strerror(errno));
  std::vector<FileStamp> stamps;
  newest_mtime_ns = 0;
  has_symlink = false;
  while (const dirent* entry = readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (!IsScriptName(name)) continue;
    struct stat info {};
    if (entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN) {
      has_symlink = has_symlink ||
                    fstatat(dirfd(dir.get()), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
                    S_ISLNK(info.st_mode);
    }
    if (fstatat(dirfd(dir.get()), entry->d_name, &info, 0) != 0 || !S_ISREG(info.st_mode)) {
      // Not a script file (a FIFO, a broken link...): Load() refuses it, so its appearance is
      // a change like any other, never skipped.
      stamps.push_back({std::string(name), -1, 0, info.st_ino});
      continue;
    }
    const int64_t mtime =
        static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
    newest_mtime_ns = std::max(newest_mtime_ns, mtime);
    stamps.push_back({std::string(name), info.st_size, mtime, info.st_ino});
  }
  std::sort(stamps.begin(), stamps.end(),
            [](const FileStamp& a, const FileStamp& b) { return a.name < b.name; });
  return stamps;
}

void ScriptDirectoryCache::StopWatchingLocked() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  inotify_fd_ = -1;
}

void ScriptDirectoryCache::WatchLocked() {
  StopWatchingLocked();
  struct stat info {};
  // A missing directory is watched once it exists; until then every Get() reports it.
  if (stat(directory_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) return;
  if (OnNetworkFilesystem(directory_)) {
    watch_possible_ = false;
    return;
  }
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    watch_possible_ = false;  // EMFILE (max_user_instances): the stat pass does the job
    return;
  }
  constexpr uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                               IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
  if (inotify_add_watch(fd, directory_.c_str(), kEvents) < 0) {
    close(fd);
    watch_possible_ = false;  // ENOSPC (max_user_watches)
    return;
  }
  inotify_fd_ = fd;
  watched_dev_ = info.st_dev;
  watched_ino_ = info.st_ino;
  ++generation_;  // whatever was parsed before the watch existed is not known to be current
}

bool ScriptDirectoryCache::PollWatchLocked() {
  if (!watch_possible_) return false;
  struct stat info {};
  const bool same_directory = inotify_fd_ >= 0 && stat(directory_.c_str(), &info) == 0 &&
                              info.st_dev == watched_dev_ && info.st_ino == watched_ino_;
  if (!same_directory) {
    WatchLocked();
    return inotify_fd_ >= 0;
  }
  bool rewatch = false;
  alignas(inotify_event) char buffer[8192];
  for (;;) {
    const ssize_t length = read(inotify_fd_, buffer, sizeof buffer);
    if (length <= 0) break;  // EAGAIN: no more events
    for (ssize_t at = 0; at < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) != 0) rewatch = true;
      // Editors' swap files and the like do not change the scripts; an overflow may hide any.
      if ((event->mask & IN_Q_OVERFLOW) != 0 || event->len == 0 || IsScriptName(event->name)) {
        ++generation_;
      }
    }
  }
  if (rewatch) WatchLocked();
  return inotify_fd_ >= 0;
}

bool ScriptDirectoryCache::FreshLocked(const Result<std::vector<FileStamp>>* stamps) const {
  if (!cached_) return false;
  if (inotify_fd_ >= 0) return cached_generation_ == generation_;
  return stamps != nullptr && stamps->ok() && trusted_ && **stamps == stamps_;
}

Result<std::shared_ptr<const ScriptDirectory>> ScriptDirectoryCache::Get() {
  using std::chrono::system_clock;
  constexpr int64_t kRacyNs = 1'000'000'000;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (PollWatchLocked() && FreshLocked(nullptr)) return cached_;
    }
    const int64_t started_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(system_clock::now().time_since_epoch())
            .count();
    int64_t newest_ns = 0;
    bool has_symlink = false;
    auto stamps = StampFiles(newest_ns, has_symlink);
    std::promise<Parsed> promise;
    std::shared_future<Parsed> running;
    uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      if (inotify_fd_ < 0 && FreshLocked(&stamps)) return cached_;
      if (in_flight_.valid()) {
        running = in_flight_;
      } else {
        in_flight_ = promise.get_future().share();
        generation = generation_;
      }
    }
    if (running.valid()) {
      Parsed other = running.get();
      if (!other.ok()) return other;
      continue;  // a change may have come after that parse began: check again
    }
    Parsed parsed = [&]() -> Parsed {
      auto loaded = ScriptDirectory::Load(directory_);
      if (!loaded.ok()) return loaded.status();
      MIGRATIOND_RETURN_IF_ERROR(loaded->CheckDialect(dialect_));
      loaded->MarkCheckedFor(dialect_);
      return std::make_shared<const ScriptDirectory>(std::move(loaded).value());
    }();
    {
      std::lock_guard lock(mutex_);
      in_flight_ = {};
      attempted_ = true;
      if (parsed.ok()) {
        cached_ = *parsed;
        cached_generation_ = generation;
        loaded_at_ = system_clock::now();
        trusted_ = stamps.ok() && newest_ns + kRacyNs < started_ns;
        if (stamps.ok()) stamps_ = std::move(stamps).value();
        if (has_symlink && watch_possible_) {
          StopWatchingLocked();  // a symlink's target can change without an event here
          watch_possible_ = false;
        }
      }
    }
    promise.set_value(parsed);
    return parsed;
  }
}

bool ScriptDirectoryCache::Loading() const {
  std::lock_guard lock(mutex_);
  return !attempted_;
}

bool ScriptDirectoryCache::watching() const {
  std::lock_guard lock(mutex_);
  return inotify_fd_ >= 0;
}

std::chrono::system_clock::time_point ScriptDirectoryCache::loaded_at() const {
  std::lock_guard lock(mutex_);
  return loaded_at_;
}

}  // namespace migrationd

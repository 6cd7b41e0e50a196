#include "core/backup/backup_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <iomanip>
#include <optional>
#include <sstream>

#include "core/base/private_file.h"
#include "core/base/sha256.h"
#include "core/base/temp_files.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr const char* kManifestSuffix = ".manifest.json";

Status SyncPath(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::Io("cannot open " + path + ": " + std::strerror(errno));
  int synced = fsync(fd);
  int saved = errno;
  close(fd);
  if (synced != 0) return Status::Io("fsync " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

Result<std::string> HashFile(const std::string& path, int64_t& size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io("cannot read " + path);
  Sha256 hasher;
  std::vector<char> buffer(1 << 16);
  size = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    size += n;
  }
  if (in.bad()) return Status::Io("cannot read " + path);
  return hasher.HexDigest();
}

// A file-name-safe form of `text`: what IsBackupFileName accepts, at most `limit` bytes.
std::string SafeNamePart(const std::string& text, size_t limit) {
  std::string safe;
  for (unsigned char c : text) {
    if (safe.size() >= limit) break;
    safe += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  }
  return safe;
}

}  // namespace

namespace {

// The refusal of a backup directory because of `path` (the directory or one above it).
Status RefuseBackupDirectory(const std::string& directory, const std::string& path,
                             const std::string& what) {
  return Status::PermissionDenied(
      "refusing the backup directory " + directory + ": " + path + " " + what +
      ", so another user could read or replace backups; give it to the daemon's user and "
      "make it 0700 (chown " +
      std::to_string(geteuid()) + " " + path + "; chmod 0700 " + path +
      "), or set backup_dir to a private directory such as /var/lib/migrationd/backups");
}

// Every directory from / down to `path` (absolute; its missing tail is skipped) can be changed
// only by root and the daemon's user: owned by one of them, and not writable by others unless
// sticky (/tmp: others cannot rename what is ours). A symbolic link on the way is acceptable
// only because the directory holding it passed this check (no one else could have planted
// it); where it leads is checked by the caller through the canonical path. Checking every level
// up to / matters: a root-owned directory inside one another user owns can be swapped whole.
Status CheckAncestry(const std::string& directory, const fs::path& path) {
  fs::path prefix = path.root_path();
  std::vector<fs::path> levels = {prefix};
  for (const auto& part : path.relative_path()) levels.push_back(prefix /= part);
  for (const auto& level : levels) {
    struct stat info {};
    if (lstat(level.c_str(), &info) != 0) {
      if (errno == ENOENT) break;  // created later, private (BackupStore::Prepare)
      return Status::Io("cannot use the backup directory " + directory + ": " + level.string() +
                        ": " + std::strerror(errno));
    }
    if (S_ISLNK(info.st_mode)) continue;
    if (!S_ISDIR(info.st_mode)) {
      return RefuseBackupDirectory(directory, level.string(), "is not a directory");
    }
    if (info.st_uid != 0 && info.st_uid != geteuid()) {
      return RefuseBackupDirectory(directory, level.string(),
                                   "belongs to uid " + std::to_string(info.st_uid));
    }
    const bool open_to_others =
        (info.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(info.st_mode & S_ISVTX);
    if (open_to_others) {
      return RefuseBackupDirectory(directory, level.string(), "is writable by others");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckDirectoryIsPrivate(const std::string& directory) {
  std::error_code error;
  const fs::path absolute = fs::absolute(directory, error).lexically_normal();
  // The path as written (a link planted in a directory another user owns is refused there),
  // then where it really leads (a link placed by root may lead anywhere root chose).
  MIGRATIOND_RETURN_IF_ERROR(CheckAncestry(directory, absolute));
  const fs::path real = fs::canonical(absolute, error);
  if (error) {
    return Status::Io("cannot use the backup directory " + directory + ": " + error.message());
  }
  MIGRATIOND_RETURN_IF_ERROR(CheckAncestry(directory, real));
  struct stat info {};
  if (stat(real.c_str(), &info) != 0) {
    return Status::Io("cannot use the backup directory " + directory + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) return RefuseBackupDirectory(directory, real, "is not a directory");
  if (info.st_uid != geteuid()) {
    return RefuseBackupDirectory(directory, real, "belongs to uid " + std::to_string(info.st_uid));
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return RefuseBackupDirectory(directory, real, "is writable by others");
  }
  return Status::Ok();
}

std::string CompactTimestamp(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%d-%H%M%S", &utc);
  return buffer;
}

Status BackupStore::Prepare() const {
  struct stat info {};
  if (stat(directory_.c_str(), &info) != 0) {
    if (errno != ENOENT) {
      return Status::Io("cannot use the backup directory " + directory_ + ": " +
                        std::strerror(errno));
    }
    // Nothing is created inside a tree another user could change (a planted symlink would
    // take the new directory elsewhere).
    std::error_code error;
    const fs::path absolute = fs::absolute(directory_, error).lexically_normal();
    MIGRATIOND_RETURN_IF_ERROR(CheckAncestry(directory_, absolute));
    // Missing parents are created private too (mkdir -p -m 0700): under a umask of 002 they
    // would be group-writable, and the check below would then refuse the daemon's own tree.
    fs::path missing = absolute.parent_path();
    std::vector<fs::path> to_create;
    for (; !missing.empty() && !fs::exists(missing, error); missing = missing.parent_path()) {
      to_create.push_back(missing);
      if (missing == missing.root_path()) break;
    }
    for (auto it = to_create.rbegin(); it != to_create.rend(); ++it) mkdir(it->c_str(), 0700);
    if (mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Io("cannot create the backup directory " + directory_ + ": " +
                        std::strerror(errno) + "; set backup_dir, or pass --no-backup");
    }
  }
  MIGRATIOND_RETURN_IF_ERROR(CheckDirectoryIsPrivate(directory_));
  RemoveLeftovers();
  return Status::Ok();
}

void BackupStore::RemoveLeftovers() const {
  // Only what no live daemon owns: another daemon on the same database may be writing here.
  RemoveUnownedTempFiles(directory_);
}

Result<BackupManifest> BackupStore::Create(BackupEngine& engine, const NewBackup& request) const {
  MIGRATIOND_RETURN_IF_ERROR(CheckLabel(request.label));
  MIGRATIOND_RETURN_IF_ERROR(Prepare());
  auto now = std::chrono::system_clock::now();
  std::string base = std::string(BackupKindName(request.kind)) + "-" + CompactTimestamp(now) + "-" +
                     SafeNamePart(request.database_name, 64);
  if (!request.label.empty()) base += "-" + request.label;
  std::string id = base;
  std::error_code error;
  for (int n = 2; fs::exists(fs::path(directory_) / (id + kManifestSuffix), error); ++n) {
    id = base + "-" + std::to_string(n);
  }
  BackupManifest manifest;
  manifest.id = id;
  manifest.kind = BackupKindName(request.kind);
  manifest.file = id + "." + engine.extension();
  manifest.dialect = request.dialect;
  manifest.format = engine.format();
  manifest.database = request.database_description;
  manifest.revisions = request.revisions;
  manifest.created_at = FormatIsoTimestamp(now);
  manifest.tool = engine.tool_version();
  manifest.label = request.label;
  manifest.database_identity = request.database_identity;

  const std::string data_path = (fs::path(directory_) / manifest.file).string();
  auto owner = TempFileOwner::Claim(directory_);
  if (!owner.ok()) return owner.status();
  const std::string temp_data = owner->PathFor(manifest.file);
  const std::string manifest_path = (fs::path(directory_) / (id + kManifestSuffix)).string();
  const std::string temp_manifest = owner->PathFor(id + kManifestSuffix);
  TempFiles cleanup;
  cleanup.Add(temp_data);
  cleanup.Add(temp_manifest);

  auto started = Clock::now();
  MIGRATIOND_RETURN_IF_ERROR(WritePrivateFile(temp_data, ""));
  auto stats = engine.Dump(temp_data);
  if (!stats.ok()) return stats.status().WithContext("backup " + id);
  // The check (integrity_check, pg_restore --list) and the sync and hash of the file each read
  // it on their own: side by side on two cores instead of one after the other.
  auto verifying =
      std::async(std::launch::async, [&engine, &temp_data] { return engine.Verify(temp_data); });
  const Status synced = SyncPath(temp_data, false);
  std::optional<Result<std::string>> digest;
  if (synced.ok()) digest.emplace(HashFile(temp_data, manifest.size_bytes));
  MIGRATIOND_RETURN_IF_ERROR(verifying.get().WithContext("backup " + id));
  manifest.verified = true;
  MIGRATIOND_RETURN_IF_ERROR(synced);
  if (!digest->ok()) return digest->status();
  manifest.sha256 = **digest;
  manifest.longest_stall_ms = stats->longest_stall_ms;
  manifest.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

  MIGRATIOND_RETURN_IF_ERROR(WritePrivateFile(temp_manifest, manifest.ToJson(), true));
  if (rename(temp_data.c_str(), data_path.c_str()) != 0) {
    return Status::Io("cannot rename " + temp_data + ": " + std::strerror(errno));
  }
  cleanup.Add(data_path);  // until the manifest is in place, the data is not a backup
  if (rename(temp_manifest.c_str(), manifest_path.c_str()) != 0) {
    return Status::Io("cannot rename " + temp_manifest + ": " + std::strerror(errno));
  }
  cleanup.Release();
  MIGRATIOND_RETURN_IF_ERROR(SyncPath(directory_, true));
  return manifest;
}

Result<std::vector<BackupManifest>> BackupStore::List(std::vector<std::string>* ignored) const {
  std::vector<BackupManifest> backups;
  std::error_code error;
  if (!fs::exists(directory_, error)) return backups;
  for (const auto& entry : fs::directory_iterator(directory_, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTempFilePrefix) || !name.ends_with(kManifestSuffix)) continue;
    auto manifest = ReadManifest(entry.path().string());
    // Not ours, damaged or planted: never offered for restore, never touched by retention.
    if (manifest.ok() && name != manifest->id + kManifestSuffix) {
      manifest = Status::Integrity("manifest " + entry.path().string() + " names id '" +
                                   manifest->id + "', not its own file name; it is ignored");
    }
    if (!manifest.ok()) {
      if (ignored != nullptr) ignored->push_back(manifest.status().message());
      continue;
    }
    std::error_code missing;
    if (!fs::is_regular_file(fs::symlink_status(DataPath(*manifest), missing))) continue;
    backups.push_back(std::move(manifest).value());
  }
  if (error) return Status::Io("cannot list " + directory_ + ": " + error.message());
  std::sort(backups.begin(), backups.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return backups;
}

Result<BackupManifest> BackupStore::ReadManifest(const std::string& path) const {
  // Manifests are small; a huge file in the directory is not one of ours.
  constexpr std::uintmax_t kMaxManifestBytes = std::uintmax_t{64} * 1024;
  std::error_code error;
  auto size = fs::file_size(path, error);
  if (error || size > kMaxManifestBytes) {
    return Status::Integrity("manifest " + path + " is not a plain file of at most 64 KiB");
  }
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Status::Io("cannot read manifest " + path + ": " + std::strerror(errno));
  std::string text(static_cast<size_t>(size), '\0');
  ssize_t n = read(fd, text.data(), text.size());
  close(fd);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return BackupManifest::FromJson(text, path);
}

Result<BackupManifest> BackupStore::Find(const std::string& id) const {
  auto backups = List();
  if (!backups.ok()) return backups.status();
  for (auto& backup : *backups) {
    if (backup.id == id || backup.file == id) return backup;
  }
  return Status::NotFound("no backup '" + id + "' in " + directory_ +
                          "; 'migctl backups' lists them");
}

std::string BackupStore::DataPath(const BackupManifest& manifest) const {
  return (fs::path(directory_) / manifest.file).string();
}

Status BackupStore::VerifyDigest(const BackupManifest& manifest) const {
  int64_t size = 0;
  auto digest = HashFile(DataPath(manifest), size);
  if (!digest.ok()) return digest.status();
  if (*digest != manifest.sha256) {
    return Status::Integrity("backup " + manifest.id + " does not match its manifest (sha256 " +
                             digest->substr(0, 12) + ", recorded " + manifest.sha256.substr(0, 12) +
                             "); it will not be restored");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> BackupStore::ApplyRetention(
    const RetentionPolicy& policy, std::chrono::system_clock::time_point now,
    const BackupFilter& mine) const {
  auto backups = List();
  if (!backups.ok()) return backups.status();
  std::vector<std::string> deleted;
  std::map<std::string, int> seen;  // per kind, newest first
  bool kept_newest_before_migrate = false;
  for (const auto& backup : *backups) {
    if (!mine(backup)) continue;
    int position = ++seen[backup.kind];
    if (backup.kind == BackupKindName(BackupKind::kBeforeMigrate) && !kept_newest_before_migrate) {
      kept_newest_before_migrate = true;
      continue;
    }
    auto rule = policy.find(backup.kind);
    if (rule == policy.end()) continue;
    bool too_many = rule->second.count > 0 && position > rule->second.count;
    bool too_old = rule->second.max_age.count() > 0 &&
                   now - ParseIsoTimestamp(backup.created_at) > rule->second.max_age;
    if (!too_many && !too_old) continue;
    std::error_code error;
    // The manifest goes first: from then on the data file is no longer a backup. Both names
    // were checked by List(): plain names inside this directory.
    fs::remove(fs::path(directory_) / (backup.id + kManifestSuffix), error);
    if (error) return Status::Io("cannot delete " + backup.id + ": " + error.message());
    fs::remove(DataPath(backup), error);
    deleted.push_back(backup.id);
  }
  return deleted;
}

}  // namespace migrationd

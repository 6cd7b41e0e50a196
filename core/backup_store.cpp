#include "core/backup_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/sha256.h"
#include "core/temp_files.h"
#include "core/version_store.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr const char* kTempPrefix = ".tmp-";
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

Status WriteFileDurably(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
  int synced = fsync(fd);
  int saved = errno;
  close(fd);
  if (synced != 0) return Status::Io("fsync " + path + ": " + std::strerror(saved));
  return Status::Ok();
}

}  // namespace

std::string CompactTimestamp(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%d-%H%M%S", &utc);
  return buffer;
}

std::chrono::system_clock::time_point ParseIsoTimestamp(const std::string& text) {
  std::tm utc{};
  std::istringstream in(text);
  in >> std::get_time(&utc, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return {};
  return std::chrono::system_clock::from_time_t(timegm(&utc));
}

Status BackupStore::Prepare() const {
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) {
    return Status::Io("cannot create the backup directory " + directory_ + ": " + error.message() +
                      "; set backup_dir, or pass --no-backup");
  }
  chmod(directory_.c_str(), 0700);
  for (const auto& entry : fs::directory_iterator(directory_, error)) {
    if (entry.path().filename().string().starts_with(kTempPrefix)) fs::remove(entry.path(), error);
  }
  return Status::Ok();
}

Result<BackupManifest> BackupStore::Create(BackupEngine& engine, const NewBackup& request) const {
  MIGRATIOND_RETURN_IF_ERROR(Prepare());
  auto now = std::chrono::system_clock::now();
  std::string base = std::string(BackupKindName(request.kind)) + "-" + CompactTimestamp(now) + "-" +
                     request.database_name;
  if (!request.label.empty()) base += "-" + request.label;
  std::string id = base;
  for (int n = 2; fs::exists(fs::path(directory_) / (id + kManifestSuffix)); ++n) {
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

  const std::string data_path = (fs::path(directory_) / manifest.file).string();
  const std::string temp_data = (fs::path(directory_) / (kTempPrefix + manifest.file)).string();
  const std::string manifest_path = (fs::path(directory_) / (id + kManifestSuffix)).string();
  const std::string temp_manifest =
      (fs::path(directory_) / (kTempPrefix + id + kManifestSuffix)).string();
  TempFiles cleanup;
  cleanup.Add(temp_data);
  cleanup.Add(temp_manifest);

  auto started = Clock::now();
  auto stats = engine.Dump(temp_data);
  if (!stats.ok()) return stats.status().WithContext("backup " + id);
  chmod(temp_data.c_str(), 0600);
  MIGRATIOND_RETURN_IF_ERROR(engine.Verify(temp_data).WithContext("backup " + id));
  manifest.verified = true;
  MIGRATIOND_RETURN_IF_ERROR(SyncPath(temp_data, false));
  auto digest = HashFile(temp_data, manifest.size_bytes);
  if (!digest.ok()) return digest.status();
  manifest.sha256 = *digest;
  manifest.longest_stall_ms = stats->longest_stall_ms;
  manifest.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

  MIGRATIOND_RETURN_IF_ERROR(WriteFileDurably(temp_manifest, manifest.ToJson()));
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

Result<std::vector<BackupManifest>> BackupStore::List() const {
  std::vector<BackupManifest> backups;
  std::error_code error;
  if (!fs::exists(directory_, error)) return backups;
  for (const auto& entry : fs::directory_iterator(directory_, error)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTempPrefix) || !name.ends_with(kManifestSuffix)) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto manifest = BackupManifest::FromJson(text.str(), entry.path().string());
    if (!manifest.ok()) continue;  // not ours, or damaged: never offered for restore
    if (!fs::exists(fs::path(directory_) / manifest->file, error)) continue;
    backups.push_back(std::move(manifest).value());
  }
  if (error) return Status::Io("cannot list " + directory_ + ": " + error.message());
  std::sort(backups.begin(), backups.end(), [](const auto& a, const auto& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
  });
  return backups;
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
    const RetentionPolicy& policy, std::chrono::system_clock::time_point now) const {
  auto backups = List();
  if (!backups.ok()) return backups.status();
  std::vector<std::string> deleted;
  std::map<std::string, int> seen;  // per kind, newest first
  bool kept_newest_before_migrate = false;
  for (const auto& backup : *backups) {
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
    // The manifest goes first: from then on the data file is no longer a backup.
    fs::remove(fs::path(directory_) / (backup.id + kManifestSuffix), error);
    if (error) return Status::Io("cannot delete " + backup.id + ": " + error.message());
    fs::remove(DataPath(backup), error);
    deleted.push_back(backup.id);
  }
  return deleted;
}

}  // namespace migrationd

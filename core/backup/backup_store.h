// BackupStore: the backup directory. Takes backups safely, lists them, applies retention.
//
// A backup is complete only when its manifest exists: the data is written under a temporary
// name, verified, fsynced and renamed; then the manifest is written the same way, renamed last,
// and the directory fsynced. A crash or a full disk leaves at most ".tmp-" files, removed on
// failure and at start. Files are mode 0600. One job writes at a time (the job queue); listing
// is safe alongside.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/backup/backup.h"
#include "core/base/timestamps.h"

namespace migrationd {

// Per kind: keep at most `count` backups (0: no limit) and none older than `max_age` (0: no
// limit). The newest before-migrate backup is always kept: it is the way back from the
// revision the database is at now.
struct RetentionRule {
  int count = 0;
  std::chrono::seconds max_age{0};
};
using RetentionPolicy = std::map<std::string, RetentionRule>;  // by kind name

struct NewBackup {
  BackupKind kind = BackupKind::kManual;
  std::vector<std::string> revisions;
  std::string database_name;         // for the file name
  std::string database_description;  // URL without password, for the manifest
  std::string dialect;
  std::string label;
  std::string database_identity;
};

// Whether a backup belongs to the database this daemon serves.
using BackupFilter = std::function<bool(const BackupManifest&)>;

class BackupStore {
 public:
  explicit BackupStore(std::string directory) : directory_(std::move(directory)) {}
  const std::string& directory() const { return directory_; }

  // Creates the directory (0700) if needed, refuses one that another user could read or
  // replace (CheckDirectoryIsPrivate), and removes leftovers of interrupted backups.
  Status Prepare() const;
  Result<BackupManifest> Create(BackupEngine& engine, const NewBackup& request) const;
  // Complete backups, newest first. Manifests that are damaged, or name anything but a plain
  // file of this directory, are skipped; with `ignored`, each is reported there.
  Result<std::vector<BackupManifest>> List(std::vector<std::string>* ignored = nullptr) const;
  Result<BackupManifest> Find(const std::string& id) const;
  std::string DataPath(const BackupManifest& manifest) const;
  // Hashes the data file again; an integrity error if it no longer matches the manifest.
  Status VerifyDigest(const BackupManifest& manifest) const;
  // Deletes what the policy does not keep; returns the ids deleted.
  // Only backups `mine` accepts are counted and deleted: others belong to other databases.
  Result<std::vector<std::string>> ApplyRetention(const RetentionPolicy& policy,
                                                  std::chrono::system_clock::time_point now,
                                                  const BackupFilter& mine) const;

 private:
  void RemoveLeftovers() const;
  Result<BackupManifest> ReadManifest(const std::string& path) const;

  std::string directory_;
};

// A backup directory must be a directory of the daemon's user that no one else can write, and
// its parents up to a root-owned one must not be writable by others (sticky ones aside).
// Refused with a message that says how to fix it; never chmodded.
Status CheckDirectoryIsPrivate(const std::string& directory);

// "20261125-181500" (UTC) for file names.
std::string CompactTimestamp(std::chrono::system_clock::time_point time);

}  // namespace migrationd

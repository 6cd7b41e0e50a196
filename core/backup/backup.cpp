#include "core/backup/backup.h"

#include "core/scripts/script.h"

namespace migrationd {

std::unique_ptr<BackupEngine> MakeSqliteBackupEngine(const DatabaseUrl& url,
                                                     const BackupOptions& options);
std::unique_ptr<BackupEngine> MakePostgresBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options);

namespace {

constexpr std::pair<BackupKind, const char*> kKindNames[] = {
    {BackupKind::kBeforeMigrate, "before-migrate"},
    {BackupKind::kScheduled, "scheduled"},
    {BackupKind::kManual, "manual"},
    {BackupKind::kBeforeRestore, "before-restore"},
};

}  // namespace

const char* BackupKindName(BackupKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

Result<BackupKind> ParseBackupKind(const std::string& name) {
  for (const auto& [kind, known] : kKindNames) {
    if (name == known) return kind;
  }
  return Status::InvalidArgument("unknown backup kind '" + name + "'");
}

Result<std::unique_ptr<BackupEngine>> MakeBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options) {
  if (url.dialect() == kDialectSqlite) return MakeSqliteBackupEngine(url, options);
  if (options.postgres_format != "custom" && options.postgres_format != "plain") {
    return Status::InvalidArgument("backup format '" + options.postgres_format +
                                   "' is unknown; use custom or plain");
  }
  return MakePostgresBackupEngine(url, options);
}

}  // namespace migrationd

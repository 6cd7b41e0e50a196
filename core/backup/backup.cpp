#include "core/backup/backup.h"

namespace migrationd {

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
}  // namespace migrationd

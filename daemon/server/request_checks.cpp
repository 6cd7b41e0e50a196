#include "daemon/server/request_checks.h"

#include <string>

#include "core/backup/backup.h"

namespace migrationd {

const char* const kScheduledLabel = "\x01scheduled";

Status ValidateRequest(const proto::Request& request) {
  constexpr size_t kMaxTargetBytes = 256;
  if (request.target().size() > kMaxTargetBytes) {
    return Status::InvalidArgument("the target is " + std::to_string(request.target().size()) +
                                   " bytes long; revision ids and backup ids are shorter");
  }
  constexpr size_t kMaxRangeBytes = 2 * kMaxTargetBytes + 1;
  if (request.range().size() > kMaxRangeBytes) {
    return Status::InvalidArgument("the range is " + std::to_string(request.range().size()) +
                                   " bytes long; it is FROM:TO of two revisions");
  }
  constexpr size_t kMaxReasonBytes = 1000;
  if (request.reason().size() > kMaxReasonBytes) {
    return Status::InvalidArgument("the reason is " + std::to_string(request.reason().size()) +
                                   " bytes long; say it in at most " +
                                   std::to_string(kMaxReasonBytes));
  }
  if (request.revisions_size() > 10000) {
    return Status::InvalidArgument("too many revisions in one request");
  }
  for (const auto& revision : request.revisions()) {
    if (revision.size() > kMaxTargetBytes) {
      return Status::InvalidArgument("a revision of " + std::to_string(revision.size()) +
                                     " bytes; revision ids are shorter");
    }
  }
  // A flag a command does not understand must not be dropped silently: a dry run of a command
  // that has none would otherwise do the real thing.
  const auto command = request.command();
  const bool previewable = command == proto::UPGRADE || command == proto::DOWNGRADE ||
                           command == proto::STAMP || command == proto::REPAIR ||
                           command == proto::BACKUP || command == proto::RESTORE ||
                           command == proto::RESUME || command == proto::BASELINE;
  if (request.dry_run() && !previewable) {
    return Status::InvalidArgument("--dry-run is not available for this command; nothing was done");
  }
  if (request.apply() && command != proto::BASELINE) {
    return Status::InvalidArgument("apply is for baseline only; nothing was done");
  }
  if (command == proto::BASELINE && !request.target().empty() && !request.apply()) {
    return Status::InvalidArgument(
        "baseline REV names the revision to record: it needs --apply "
        "('migctl baseline --apply " +
        request.target() + "'); nothing was done");
  }
  if (request.atomic() && command != proto::UPGRADE && command != proto::DOWNGRADE &&
      command != proto::REHEARSE) {
    return Status::InvalidArgument(
        "--atomic is for upgrade, downgrade and rehearse; nothing was done");
  }
  if (request.all() && command != proto::LINT) {
    return Status::InvalidArgument("all is for lint only; nothing was done");
  }
  if (command == proto::LINT && request.all() && !request.range().empty()) {
    return Status::InvalidArgument("lint takes --all or a range, not both; nothing was done");
  }
  if (request.fresh_backup() && command != proto::REHEARSE) {
    return Status::InvalidArgument("fresh_backup is for rehearse only; nothing was done");
  }
  if (request.rehearse() && command != proto::UPGRADE) {
    return Status::InvalidArgument("--rehearse is for upgrade only; nothing was done");
  }
  if (request.rehearse() && request.dry_run()) {
    return Status::InvalidArgument(
        "--dry-run with --rehearse: a dry run changes nothing and a rehearsal runs the revisions "
        "on a copy; 'migctl rehearse' is the dry run that executes; nothing was done");
  }
  if (request.schema() && command != proto::CHECK) {
    return Status::InvalidArgument("schema is for check only; nothing was done");
  }
  // A dry run takes the flags of the command it previews (stamp --force --dry-run shows the
  // forced stamp).
  proto::Request real = request;
  real.set_dry_run(false);
  if ((request.force() || request.in_window()) && !NeedsMaintenanceWindow(real)) {
    return Status::InvalidArgument(
        std::string(request.force() ? "--force" : "--in-window") +
        " is for schema changes (upgrade, downgrade, stamp, repair, resume, restore, baseline "
        "--apply), which "
        "maintenance windows govern; this request may run at any time; nothing was done");
  }
  if (request.force() && request.in_window()) {
    return Status::InvalidArgument(
        "--force runs now and --in-window waits for the next window: pass one of them");
  }
  if (command == proto::CANCEL && !request.target().empty() &&
      request.target().find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("cancel takes a job id as 'migctl status' shows it, not '" +
                                   request.target() + "'");
  }
  if (request.command() == proto::BACKUP && request.label() != kScheduledLabel) {
    return CheckLabel(request.label());
  }
  return Status::Ok();
}

bool NeedsMaintenanceWindow(const proto::Request& request) {
  switch (request.command()) {
    case proto::UPGRADE:
    case proto::DOWNGRADE:
    case proto::STAMP:
    case proto::REPAIR:
    case proto::RESUME:
    case proto::RESTORE:
      return !request.dry_run();
    case proto::BASELINE:
      return request.apply() && !request.dry_run();
    default:
      return false;
  }
}

}  // namespace migrationd

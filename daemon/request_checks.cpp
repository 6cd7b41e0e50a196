#include "daemon/request_checks.h"

#include <string>

#include "core/backup.h"

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
  if (request.command() == proto::BACKUP && request.label() != kScheduledLabel) {
    return CheckLabel(request.label());
  }
  return Status::Ok();
}

}  // namespace migrationd

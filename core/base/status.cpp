#include "core/base/status.h"

namespace migrationd {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kParseError:
      return "parse error";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kIntegrity:
      return "integrity error";
    case ErrorCode::kDatabase:
      return "database error";
    case ErrorCode::kBusy:
      return "busy";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kOutsideWindow:
      return "outside the maintenance window";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConnectionLost:
      return "connection lost";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown error";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

}  // namespace migrationd

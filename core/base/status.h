// Status and Result<T>: the one error type of migrationd's core.
//
// Every core API returns a Status (or a Result<T>, a value or a Status). A Status carries a code,
// which the daemon maps to one protocol error and migctl to one exit code, and a message written
// for the operator: it names the file, line, revision or field at fault and says what to do.
// Values are immutable and cheap to move; thread-compatible.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace migrationd {

enum class ErrorCode {
  kOk,
  kInvalidArgument,   // a bad target, flag or request: the caller must change what it asks
  kParseError,        // a migration script or config file is malformed
  kNotFound,          // a revision, backup or file that does not exist
  kIntegrity,         // several heads, checksum mismatch, unknown revision in the database
  kDatabase,          // the database refused or failed a statement
  kBusy,              // the migration lock or the job queue is taken
  kConflict,          // another migration moved the version rows, or the migration lock was lost
  kPermissionDenied,  // the peer may not do this
  kIo,                // the file system failed
  kCancelled,         // the job was cancelled (operator request or shutdown grace expired)
  kOutsideWindow,     // a schema change outside the maintenance windows
  kUnavailable,       // the daemon (or the database) cannot be reached
  kConnectionLost,    // the database session ended under a statement (restart, termination)
  kInternal,          // a bug: an invariant did not hold
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {ErrorCode::kInvalidArgument, std::move(m)};
  }
  static Status ParseError(std::string m) { return {ErrorCode::kParseError, std::move(m)}; }
  static Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status Integrity(std::string m) { return {ErrorCode::kIntegrity, std::move(m)}; }
  static Status Database(std::string m) { return {ErrorCode::kDatabase, std::move(m)}; }
  static Status Busy(std::string m) { return {ErrorCode::kBusy, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Status Io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Status Cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }
  static Status OutsideWindow(std::string m) { return {ErrorCode::kOutsideWindow, std::move(m)}; }
  static Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status ConnectionLost(std::string m) { return {ErrorCode::kConnectionLost, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "parse error: migrations/001.sql:3: ..." for logs and terminals.
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context` and ": ".
  Status WithContext(const std::string& context) const;

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value of type T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "a Result built from a Status needs an error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T& value() & { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace migrationd

// Returns early from the enclosing function with the error of a Status-returning expression.
#define MIGRATIOND_RETURN_IF_ERROR(expr)           \
  do {                                             \
    ::migrationd::Status status_macro_ = (expr);   \
    if (!status_macro_.ok()) return status_macro_; \
  } while (false)

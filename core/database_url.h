// DatabaseUrl: which engine and which database a daemon works on.
//
//   sqlite:///absolute/path.db   sqlite://relative/path.db
//   postgresql://user@host:port/db?host=/run/postgresql   (libpq's URI rules; postgres:// too)
//
// Passwords are for libpq only: Redacted() is the form for every log line, error, status reply
// and manifest. Plain value; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace migrationd {

class DatabaseUrl {
 public:
  static Result<DatabaseUrl> Parse(std::string_view url);

  const std::string& dialect() const { return dialect_; }  // kDialectSqlite or kDialectPostgresql
  // SQLite: the database file's path. PostgreSQL: the full URI to hand to libpq.
  const std::string& target() const { return target_; }
  // The URL with any password replaced by "***".
  const std::string& Redacted() const { return redacted_; }
  // A short name for backup files: the SQLite file's stem or the PostgreSQL database name.
  std::string DatabaseName() const;
  // PostgreSQL: the same server, user and parameters, another database (a scratch one).
  Result<DatabaseUrl> WithDatabase(const std::string& name) const;

 private:
  std::string dialect_;
  std::string target_;
  std::string redacted_;
};

// A libpq URI without its password, and the password (percent-decoded; "" if none). Programs
// such as pg_dump get the first on their command line and the second in PGPASSWORD.
struct UriCredentials {
  std::string uri_without_password;
  std::string password;
};
UriCredentials SplitPassword(const std::string& uri);

// Replaces passwords in a libpq URI or in text that quotes one (e.g. a libpq error message).
std::string RedactPasswords(std::string_view text);

}  // namespace migrationd

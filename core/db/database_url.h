// DatabaseUrl: which engine and which database a daemon works on.
//
//   sqlite:///absolute/path.db   sqlite://relative/path.db
//   postgresql://user@host:port/db?host=/run/postgresql   (libpq's URI rules; postgres:// too)
//
// Passwords are for libpq only: Redacted() is the form for every log line, error, status reply
// and manifest. Plain value; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

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

// A PostgreSQL URI split as libpq splits it (conninfo_uri_parse_options): the credentials before
// the first '/', then hosts and database as written, then parameters whose keys and values are
// percent-decoded. Decisions about secrets are made on the decoded keys: libpq reads
// `?%70assword=x` as a password, so must we. Every URI that is shown goes through Render.
struct PostgresUri {
  struct Parameter {
    std::string raw_key, raw_value;  // as written
    std::string key, value;          // decoded
    bool has_value = false;          // written with '='
  };
  std::string scheme;                   // "postgresql://" or "postgres://"
  std::string user;                     // as written
  std::optional<std::string> password;  // from user:password@, decoded
  std::string location;                 // hosts, ports and /dbname, as written
  std::vector<Parameter> parameters;

  static std::optional<PostgresUri> Parse(std::string_view uri);  // nullopt: not such a URI
  // A password (user:password@, password=, or sslpassword=, however encoded).
  bool CarriesSecret() const;
  // The password libpq would use from the URI, decoded.
  std::optional<std::string> Password() const;
  // kMasked: secrets as "***" (for every log line, reply and manifest). kOmitted: the password
  // left out (for a command line, with the password given in PGPASSWORD).
  enum class SecretForm { kMasked, kOmitted };
  std::string Render(SecretForm form) const;
};

// A libpq URI without its secrets, and the secrets (percent-decoded; "" if none). Programs such
// as pg_dump get the URI on their command line, the password in PGPASSWORD, and an sslpassword
// (for which libpq has no environment variable) in a private service file named by
// PGSERVICEFILE: the URI then names the service kSslPasswordService instead. An sslpassword
// stays in the URI only where a service file cannot carry it: the URI already names a service,
// or the value has a line break or leading or trailing blanks.
struct UriCredentials {
  std::string uri_without_password;
  std::string password;
  std::string ssl_password;
};
inline constexpr const char* kSslPasswordService = "migrationd-sslpassword";
UriCredentials SplitPassword(const std::string& uri);

// Whether a database URL holds a secret (decided on the decoded keys for a PostgreSQL URI).
bool CarriesSecret(std::string_view url);

// Replaces passwords in a libpq URI or in text that quotes one (e.g. a libpq error message).
std::string RedactPasswords(std::string_view text);

}  // namespace migrationd

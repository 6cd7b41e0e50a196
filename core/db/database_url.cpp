#include "core/db/database_url.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <regex>

#include "core/scripts/script.h"

namespace migrationd {

namespace {

std::string PercentDecode(std::string_view text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded.push_back(
          static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

// The connection parameters that hold a secret, as libpq names them (after decoding).
bool IsSecretKey(std::string_view decoded_key) {
  return decoded_key == "password" || decoded_key == "sslpassword";
}

}  // namespace

std::optional<PostgresUri> PostgresUri::Parse(std::string_view uri) {
  PostgresUri parsed;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (uri.starts_with(scheme)) parsed.scheme = std::string(scheme);
  }
  if (parsed.scheme.empty()) return std::nullopt;
  std::string_view rest = uri.substr(parsed.scheme.size());
  // libpq looks for the credentials' '@' before the first '/' (conninfo_uri_parse_options).
  const size_t at = rest.find_first_of("@/");
  if (at != std::string_view::npos && rest[at] == '@') {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    parsed.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      parsed.password = PercentDecode(userinfo.substr(colon + 1));
    }
    rest.remove_prefix(at + 1);
  }
  const size_t query = rest.find('?');
  parsed.location = std::string(rest.substr(0, query));  // hosts, ports, /dbname, as written
  if (query == std::string_view::npos) return parsed;
  std::string_view params = rest.substr(query + 1);
  while (!params.empty()) {
    const size_t amp = params.find('&');
    const std::string_view pair = params.substr(0, amp);
    const size_t equals = pair.find('=');
    Parameter parameter;
    parameter.raw_key = std::string(pair.substr(0, equals));
    parameter.key = PercentDecode(parameter.raw_key);
    if (equals != std::string_view::npos) {
      parameter.has_value = true;
      parameter.raw_value = std::string(pair.substr(equals + 1));
      parameter.value = PercentDecode(parameter.raw_value);
    }
    parsed.parameters.push_back(std::move(parameter));
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
  }
  return parsed;
}

bool PostgresUri::CarriesSecret() const {
  return password.has_value() || std::any_of(parameters.begin(), parameters.end(),
                                             [](const Parameter& p) { return IsSecretKey(p.key); });
}

std::optional<std::string> PostgresUri::Password() const {
  std::optional<std::string> found = password;
  for (const auto& parameter : parameters) {
    if (parameter.key == "password") found = parameter.value;  // the last one wins, as in libpq
  }
  return found;
}

std::string PostgresUri::Render(SecretForm form) const {
  std::string text = scheme;
  if (!user.empty() || (password && form == SecretForm::kMasked)) {
    text += user + (password && form == SecretForm::kMasked ? ":***" : "") + "@";
  }
  text += location;
  char separator = '?';
  for (const auto& parameter : parameters) {
    const bool secret = IsSecretKey(parameter.key);
    if (secret && form == SecretForm::kOmitted && parameter.key == "password") continue;
    text += separator + parameter.raw_key;
    if (secret && form == SecretForm::kMasked) {
      text += "=***";
    } else if (parameter.has_value) {
      // kOmitted keeps an sslpassword: libpq has no environment variable for it, and
      // SplitPassword moves it to a service file where one can carry it.
      text += "=" + parameter.raw_value;
    }
    separator = '&';
  }
  return text;
}

std::string RedactPasswords(std::string_view text) {
  // A whole URI: through its parsed form, whatever way its keys are written (%70assword).
  if (auto uri = PostgresUri::Parse(text);
      uri && text.find_first_of(" \t\n") == std::string_view::npos) {
    return uri->Render(PostgresUri::SecretForm::kMasked);
  }
  // Text that quotes one (a libpq or pg_dump message): scheme://user:password@host, and
  // password=value in the query or keyword form, the key percent-encoded or not.
  static const std::regex kUserInfo(R"(([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s]*@)");
  static const std::regex kKeyword(
      R"(((?:ssl)?(?:p|%70|%50)(?:a|%61|%41)(?:s|%73|%53)(?:s|%73|%53)(?:w|%77|%57)(?:o|%6f|%4f)(?:r|%72|%52)(?:d|%64|%44)\s*=\s*)('[^']*'|[^&\s]*))",
      std::regex::icase);
  std::string redacted = std::regex_replace(std::string(text), kUserInfo, "$1:***@");
  return std::regex_replace(redacted, kKeyword, "$1***");
}

bool CarriesSecret(std::string_view url) {
  if (auto uri = PostgresUri::Parse(url)) return uri->CarriesSecret();
  return RedactPasswords(url) != url;
}

UriCredentials SplitPassword(const std::string& uri) {
  auto parsed = PostgresUri::Parse(uri);
  if (!parsed) return {uri, "", ""};
  UriCredentials credentials{"", parsed->Password().value_or(""), ""};
  std::optional<std::string> ssl_password;
  bool names_service = false;
  for (const auto& parameter : parsed->parameters) {
    if (parameter.key == "sslpassword") ssl_password = parameter.value;  // the last one wins
    if (parameter.key == "service") names_service = true;
  }
  // A service file line holds it when it has no line break and no blank at either end.
  const bool in_a_service_file = ssl_password && !ssl_password->empty() && !names_service &&
                                 ssl_password->find_first_of("\r\n") == std::string::npos &&
                                 !std::isspace(static_cast<unsigned char>(ssl_password->front())) &&
                                 !std::isspace(static_cast<unsigned char>(ssl_password->back()));
  if (in_a_service_file) {
    std::erase_if(parsed->parameters,
                  [](const PostgresUri::Parameter& p) { return p.key == "sslpassword"; });
    parsed->parameters.push_back(
        {"service", kSslPasswordService, "service", kSslPasswordService, true});
    credentials.ssl_password = *ssl_password;
  }
  credentials.uri_without_password = parsed->Render(PostgresUri::SecretForm::kOmitted);
  return credentials;
}

Result<DatabaseUrl> DatabaseUrl::Parse(std::string_view url) {
  DatabaseUrl parsed;
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) {
    std::string path(url.substr(kSqlite.size()));
    if (path.empty() || path == "/") {
      return Status::InvalidArgument("database URL '" + std::string(url) +
                                     "' names no file; use sqlite:///absolute/path.db or "
                                     "sqlite://relative/path.db");
    }
    parsed.dialect_ = std::string(kDialectSqlite);
    parsed.target_ = path;
    parsed.redacted_ = std::string(url);
    return parsed;
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    parsed.dialect_ = std::string(kDialectPostgresql);
    parsed.target_ = std::string(url);
    parsed.redacted_ = PostgresUri::Parse(url)->Render(PostgresUri::SecretForm::kMasked);
    return parsed;
  }
  return Status::InvalidArgument("database URL '" + RedactPasswords(url) +
                                 "' has an unknown scheme; use sqlite://... or postgresql://...");
}

std::string DatabaseUrl::DatabaseName() const {
  if (dialect_ == kDialectSqlite) return std::filesystem::path(target_).stem().string();
  // postgresql://user@host:port/dbname?params
  std::string_view rest = target_;
  rest.remove_prefix(rest.find("://") + 3);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "postgres";
  std::string_view name = rest.substr(slash + 1);
  name = name.substr(0, name.find('?'));
  return name.empty() ? "postgres" : std::string(name);
}

Result<DatabaseUrl> DatabaseUrl::WithDatabase(const std::string& name) const {
  if (dialect_ != kDialectPostgresql) {
    return Status::InvalidArgument("only a PostgreSQL URL names a database on a server");
  }
  // postgresql://user@host:port/dbname?params: the path between the authority and '?'.
  const size_t authority = target_.find("://") + 3;
  const size_t query = std::min(target_.find('?', authority), target_.size());
  const size_t slash = target_.find('/', authority);
  const size_t path = slash < query ? slash : query;
  return Parse(target_.substr(0, path) + "/" + name + target_.substr(query));
}

}  // namespace migrationd

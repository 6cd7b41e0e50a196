#include "core/database_url.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>

#include "core/script.h"

namespace migrationd {

std::string RedactPasswords(std::string_view text) {
  // scheme://user:password@host  and  password=value  (query parameter or keyword form)
  static const std::regex kUserInfo(R"(([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s]*@)");
  static const std::regex kKeyword(R"((password\s*=\s*)('[^']*'|[^&\s]*))", std::regex::icase);
  std::string redacted = std::regex_replace(std::string(text), kUserInfo, "$1:***@");
  return std::regex_replace(redacted, kKeyword, "$1***");
}

namespace {

std::string PercentDecode(const std::string& text) {
  std::string decoded;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(text[i]);
    }
  }
  return decoded;
}

}  // namespace

UriCredentials SplitPassword(const std::string& uri) {
  UriCredentials result{uri, ""};
  static const std::regex kUserInfo(R"(^([A-Za-z][A-Za-z0-9+.-]*://[^:/@?]*):([^@/?]*)@)");
  static const std::regex kParameter(R"(([?&])password=([^&]*)(&?))");
  std::smatch match;
  if (std::regex_search(result.uri_without_password, match, kUserInfo)) {
    result.password = PercentDecode(match[2].str());
    result.uri_without_password = match[1].str() + "@" + match.suffix().str();
  }
  if (std::regex_search(result.uri_without_password, match, kParameter)) {
    result.password = PercentDecode(match[2].str());
    std::string keep = match[3].length() > 0 ? match[1].str() : "";
    result.uri_without_password = match.prefix().str() + keep + match.suffix().str();
  }
  return result;
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
    parsed.redacted_ = RedactPasswords(url);
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

#include "core/backup.h"

#include <cctype>
#include <cstdio>
#include <map>
#include <variant>

#include "core/script.h"

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

std::string Quote(const std::string& text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      quoted += escaped;
    } else {
      quoted += static_cast<char>(c);
    }
  }
  return quoted + "\"";
}

// The manifest's JSON: one flat object of strings, numbers, booleans and string arrays.
using JsonValue = std::variant<std::string, double, bool, std::vector<std::string>>;

class FlatJsonParser {
 public:
  explicit FlatJsonParser(const std::string& text) : text_(text) {}

  Result<std::map<std::string, JsonValue>> Parse() {
    std::map<std::string, JsonValue> object;
    if (!Consume('{')) return Error("expected '{'");
    if (Consume('}')) return object;
    do {
      std::string key;
      if (!String(key)) return Error("expected a quoted key");
      if (!Consume(':')) return Error("expected ':'");
      JsonValue value;
      if (!Value(value)) return Error("bad value for '" + key + "'");
      object[key] = std::move(value);
    } while (Consume(','));
    if (!Consume('}')) return Error("expected '}'");
    return object;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::ParseError("at byte " + std::to_string(pos_) + ": " + what);
  }
  void Skip() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(char c) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool String(std::string& out) {
    if (!Consume('"')) return false;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\' && pos_ < text_.size()) {
        char escaped = text_[pos_++];
        if (escaped == 'u' && pos_ + 4 <= text_.size()) {
          out.push_back(static_cast<char>(std::stoi(text_.substr(pos_, 4), nullptr, 16)));
          pos_ += 4;
        } else {
          out.push_back(escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped);
        }
      } else {
        out.push_back(c);
      }
    }
    return Consume('"');
  }
  bool Value(JsonValue& out) {
    Skip();
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '"') {
      std::string s;
      if (!String(s)) return false;
      out = s;
      return true;
    }
    if (Consume('[')) {
      std::vector<std::string> items;
      if (Consume(']')) {
        out = items;
        return true;
      }
      do {
        std::string item;
        if (!String(item)) return false;
        items.push_back(item);
      } while (Consume(','));
      out = items;
      return Consume(']');
    }
    if (text_.compare(pos_, 4, "true") == 0 || text_.compare(pos_, 5, "false") == 0) {
      out = text_[pos_] == 't';
      pos_ += text_[pos_] == 't' ? 4 : 5;
      return true;
    }
    size_t used = 0;
    try {
      out = std::stod(text_.substr(pos_), &used);
    } catch (const std::exception&) {
      return false;
    }
    pos_ += used;
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
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

std::string BackupManifest::ToJson() const {
  std::string revision_list;
  for (const auto& revision : revisions) {
    revision_list += (revision_list.empty() ? "" : ", ") + Quote(revision);
  }
  char numbers[160];
  std::snprintf(
      numbers, sizeof(numbers),
      "  \"size_bytes\": %lld,\n  \"duration_ms\": %.3f,\n  \"longest_stall_ms\": %.3f,\n",
      static_cast<long long>(size_bytes), duration_ms, longest_stall_ms);
  return "{\n  \"id\": " + Quote(id) + ",\n  \"kind\": " + Quote(kind) +
         ",\n  \"file\": " + Quote(file) + ",\n  \"dialect\": " + Quote(dialect) +
         ",\n  \"format\": " + Quote(format) + ",\n  \"database\": " + Quote(database) +
         ",\n  \"revisions\": [" + revision_list + "],\n  \"created_at\": " + Quote(created_at) +
         ",\n  \"sha256\": " + Quote(sha256) + ",\n" + numbers + "  \"tool\": " + Quote(tool) +
         ",\n  \"verified\": " + (verified ? "true" : "false") + ",\n  \"label\": " + Quote(label) +
         "\n}\n";
}

Result<BackupManifest> BackupManifest::FromJson(const std::string& text, const std::string& path) {
  auto parsed = FlatJsonParser(text).Parse();
  if (!parsed.ok()) return parsed.status().WithContext("manifest " + path);
  auto& fields = *parsed;
  auto text_of = [&](const char* key) {
    auto it = fields.find(key);
    return it != fields.end() && std::holds_alternative<std::string>(it->second)
               ? std::get<std::string>(it->second)
               : std::string();
  };
  auto number_of = [&](const char* key) {
    auto it = fields.find(key);
    return it != fields.end() && std::holds_alternative<double>(it->second)
               ? std::get<double>(it->second)
               : 0.0;
  };
  BackupManifest manifest;
  manifest.id = text_of("id");
  manifest.kind = text_of("kind");
  manifest.file = text_of("file");
  manifest.dialect = text_of("dialect");
  manifest.format = text_of("format");
  manifest.database = text_of("database");
  if (auto it = fields.find("revisions");
      it != fields.end() && std::holds_alternative<std::vector<std::string>>(it->second)) {
    manifest.revisions = std::get<std::vector<std::string>>(it->second);
  }
  manifest.created_at = text_of("created_at");
  manifest.sha256 = text_of("sha256");
  manifest.size_bytes = static_cast<int64_t>(number_of("size_bytes"));
  manifest.duration_ms = number_of("duration_ms");
  manifest.longest_stall_ms = number_of("longest_stall_ms");
  manifest.tool = text_of("tool");
  if (auto it = fields.find("verified");
      it != fields.end() && std::holds_alternative<bool>(it->second)) {
    manifest.verified = std::get<bool>(it->second);
  }
  manifest.label = text_of("label");
  if (manifest.id.empty() || manifest.file.empty()) {
    return Status::ParseError("manifest " + path + " has no id or file");
  }
  return manifest;
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

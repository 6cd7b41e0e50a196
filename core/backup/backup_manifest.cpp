// BackupManifest's JSON (protobuf's JSON mapping of proto/backup_manifest.proto) and the rules
// for the names a backup may have. No I/O: the fuzz target reads manifests through this file.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>

#include "backup_manifest.pb.h"
#include "core/backup/backup.h"
#include "core/base/utf8.h"

namespace migrationd {

// A manifest may name only a plain file in its own directory: never a path, a hidden or
// temporary file, or another backup's data. Anything else was not written by migrationd.
bool IsBackupFileName(const std::string& name) {
  if (name.empty() || name.size() > kMaxBackupNameBytes || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

std::string BackupManifest::ToJson() const {
  proto::BackupManifest message;
  message.set_id(id);
  message.set_kind(kind);
  message.set_file(file);
  message.set_dialect(dialect);
  message.set_format(format);
  message.set_database(database);
  for (const auto& revision : revisions) message.add_revisions(revision);
  message.set_created_at(created_at);
  message.set_sha256(sha256);
  message.set_size_bytes(size_bytes);
  message.set_duration_ms(duration_ms);
  message.set_longest_stall_ms(longest_stall_ms);
  message.set_tool(tool);
  message.set_verified(verified);
  message.set_label(label);
  message.set_database_identity(database_identity);
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

Result<BackupManifest> BackupManifest::FromJson(const std::string& text, const std::string& path) {
  if (const size_t bad = FindInvalidUtf8(text); bad != std::string::npos) {
    return Status::ParseError("manifest " + path + " is not valid: byte " + std::to_string(bad) +
                              " is not UTF-8 (JSON is UTF-8 text)");
  }
  proto::BackupManifest message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // manifests of a newer migrationd stay readable
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &message, options);
  if (!parsed.ok()) {
    return Status::ParseError("manifest " + path +
                              " is not valid: " + std::string(parsed.message()));
  }
  BackupManifest manifest;
  manifest.id = message.id();
  manifest.kind = message.kind();
  manifest.file = message.file();
  manifest.dialect = message.dialect();
  manifest.format = message.format();
  manifest.database = message.database();
  manifest.revisions.assign(message.revisions().begin(), message.revisions().end());
  manifest.created_at = message.created_at();
  manifest.sha256 = message.sha256();
  manifest.size_bytes = message.size_bytes();
  manifest.duration_ms = message.duration_ms();
  manifest.longest_stall_ms = message.longest_stall_ms();
  manifest.tool = message.tool();
  manifest.verified = message.verified();
  manifest.label = message.label();
  manifest.database_identity = message.database_identity();
  if (!IsBackupFileName(manifest.id) || !manifest.file.starts_with(manifest.id + ".") ||
      !IsBackupFileName(manifest.file)) {
    return Status::Integrity("manifest " + path + " names id '" + manifest.id + "' and file '" +
                             manifest.file +
                             "': a backup's file must be a plain name in the backup directory, "
                             "its id followed by an extension; the manifest is ignored");
  }
  return manifest;
}

Status CheckLabel(const std::string& label) {
  constexpr size_t kMaxLabelBytes = 64;
  if (label.size() > kMaxLabelBytes) {
    return Status::InvalidArgument("the label is " + std::to_string(label.size()) +
                                   " bytes long; use at most " + std::to_string(kMaxLabelBytes));
  }
  for (unsigned char c : label) {
    if (!std::isalnum(c) && c != '_' && c != '-') {
      return Status::InvalidArgument("label '" + label +
                                     "' may use only letters, digits, '-' and '_'");
    }
  }
  return Status::Ok();
}

}  // namespace migrationd

#include "client/new_revision.h"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "core/scripts/script_directory.h"

namespace migrationd {
namespace {

// "Add audit log!" -> "add_audit_log"
std::string Slug(const std::string& message) {
  std::string slug;
  for (unsigned char c : message) {
    if (std::isalnum(c)) {
      slug.push_back(static_cast<char>(std::tolower(c)));
    } else if (!slug.empty() && slug.back() != '_') {
      slug.push_back('_');
    }
    if (slug.size() >= 40) break;
  }
  while (!slug.empty() && slug.back() == '_') slug.pop_back();
  return slug.empty() ? "revision" : slug;
}

// The next number after the largest numeric prefix ("003_x" -> "004"), keeping the width.
std::string NextNumber(const RevisionGraph& graph) {
  long largest = -1;
  size_t width = 3;
  for (const auto& id : graph.TopologicalOrder()) {
    size_t digits = 0;
    while (digits < id.size() && std::isdigit(static_cast<unsigned char>(id[digits]))) ++digits;
    if (digits == 0 || digits > 12) continue;
    largest = std::max(largest, std::stol(id.substr(0, digits)));
    width = std::max(width, digits);
  }
  std::string number = std::to_string(largest + 1);
  return std::string(width > number.size() ? width - number.size() : 0, '0') + number;
}

}  // namespace

Result<std::string> CreateRevisionFile(const NewRevisionRequest& request) {
  if (request.message.empty()) return Status::InvalidArgument("revision needs -m MESSAGE");
  // The message becomes a header comment: a line break would put whatever follows it into
  // the script as SQL.
  if (request.message.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument(
        "the -m message must be one line (it becomes the script's "
        "'-- message:' header)");
  }
  auto scripts = ScriptDirectory::Load(request.directory);
  if (!scripts.ok()) return scripts.status();
  const RevisionGraph& graph = scripts->graph();
  std::vector<std::string> parents;
  if (graph.size() > 0) {
    auto head = graph.SingleHead();
    if (!head.ok()) return head.status();
    parents.push_back(*head);
  }
  std::string id =
      request.id.empty() ? NextNumber(graph) + "_" + Slug(request.message) : request.id;
  if (!IsValidRevisionId(id)) {
    return Status::InvalidArgument("revision id '" + id + "' is invalid: use letters, digits, '_'");
  }
  if (graph.Contains(id)) return Status::InvalidArgument("revision '" + id + "' already exists");
  std::string path = (std::filesystem::path(request.directory) / (id + ".sql")).string();
  if (std::filesystem::exists(path)) return Status::InvalidArgument(path + " already exists");
  std::string text = RenderNewScript(id, parents, request.message);
  auto parsed = ParseScript(text, path);  // the template must be a valid script
  if (!parsed.ok())
    return Status::Internal("template does not parse: " + parsed.status().message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Io("cannot write " + path);
  return path;
}

}  // namespace migrationd

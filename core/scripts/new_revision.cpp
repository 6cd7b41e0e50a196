#include "core/scripts/new_revision.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

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

Result<NewRevision> PlanNewRevision(const NewRevisionRequest& request) {
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
  NewRevision planned;
  if (graph.size() > 0) {
    auto head = graph.SingleHead();
    if (!head.ok()) return head.status();
    planned.parents.push_back(*head);
  }
  planned.id = request.id.empty() ? NextNumber(graph) + "_" + Slug(request.message) : request.id;
  if (!IsValidRevisionId(planned.id)) {
    return Status::InvalidArgument("revision id '" + planned.id +
                                   "' is invalid: use letters, digits, '_'");
  }
  if (graph.Contains(planned.id)) {
    return Status::InvalidArgument("revision '" + planned.id + "' already exists");
  }
  planned.path = (std::filesystem::path(request.directory) / (planned.id + ".sql")).string();
  if (std::filesystem::exists(planned.path)) {
    return Status::InvalidArgument(planned.path + " already exists");
  }
  return planned;
}

Status WriteNewScript(const std::string& path, const std::string& text) {
  auto parsed = ParseScript(text, path);
  if (!parsed.ok()) {
    return Status::Internal("the new script does not parse: " + parsed.status().message());
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::Io(
        "cannot create " + path + ": " + std::strerror(errno) +
        (errno == EEXIST ? " (a file of that name appeared; nothing was replaced)" : ""));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      unlink(path.c_str());
      return Status::Io("cannot write " + path + ": " + why);
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return Status::Io("cannot write " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<std::string> CreateRevisionFile(const NewRevisionRequest& request) {
  auto planned = PlanNewRevision(request);
  if (!planned.ok()) return planned.status();
  MIGRATIOND_RETURN_IF_ERROR(WriteNewScript(
      planned->path, RenderNewScript(planned->id, planned->parents, request.message)));
  return planned->path;
}

}  // namespace migrationd

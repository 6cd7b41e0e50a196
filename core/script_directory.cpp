#include "core/script_directory.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace migrationd {

namespace fs = std::filesystem;

Result<ScriptDirectory> ScriptDirectory::Load(const std::string& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return Status::NotFound("migrations directory '" + directory +
                            "' does not exist or is not a directory; set --migrations");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql")
      files.push_back(entry.path());
  }
  if (error) return Status::Io("cannot list '" + directory + "': " + error.message());
  std::sort(files.begin(), files.end());

  std::vector<Script> scripts;
  std::string errors;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) {
      errors += (errors.empty() ? "" : "\n") + file.string() + ": cannot be read";
      continue;
    }
    auto script = ParseScript(text.str(), file.string());
    if (!script.ok()) {
      errors += (errors.empty() ? "" : "\n") + script.status().message();
      continue;
    }
    scripts.push_back(std::move(script).value());
  }
  if (!errors.empty()) return Status::ParseError(errors);
  return FromScripts(directory, std::move(scripts));
}

Result<ScriptDirectory> ScriptDirectory::FromScripts(std::string directory,
                                                     std::vector<Script> scripts) {
  std::vector<RevisionNode> nodes;
  nodes.reserve(scripts.size());
  for (const auto& script : scripts) {
    nodes.push_back({script.id, script.parents,
                     script.path + ":" + std::to_string(std::max(script.parents_line, 1))});
  }
  auto graph = RevisionGraph::Build(std::move(nodes));
  if (!graph.ok()) return graph.status();
  std::map<std::string, Script> by_id;
  for (auto& script : scripts) {
    std::string id = script.id;
    by_id.emplace(std::move(id), std::move(script));
  }
  return ScriptDirectory(std::move(directory), std::move(by_id), std::move(graph).value());
}

Status ScriptDirectory::CheckDialect(std::string_view dialect) const {
  std::string missing;
  for (const auto& [id, script] : scripts_) {
    if (!script.HasUpgradeFor(dialect)) {
      missing += (missing.empty() ? "" : "\n") + script.path + ": revision '" + id +
                 "' has no '-- +upgrade' section for " + std::string(dialect) +
                 " and no common one";
    }
  }
  if (!missing.empty()) return Status::ParseError(missing);
  return Status::Ok();
}

}  // namespace migrationd

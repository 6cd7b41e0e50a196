// ScriptDirectory: the migration scripts of one directory, parsed and joined into a graph.
//
// Load() reads every `*.sql` file of the directory (not its subdirectories), parses each, and
// builds the RevisionGraph. All parse errors are reported together, one per line, each naming
// its file and line. Immutable after Load(); safe to share between threads.
#pragma once

#include <map>
#include <string>

#include "core/revision_graph.h"
#include "core/script.h"
#include "core/status.h"

namespace migrationd {

class ScriptDirectory {
 public:
  static Result<ScriptDirectory> Load(const std::string& directory);
  // For tests and tools that build scripts in memory.
  static Result<ScriptDirectory> FromScripts(std::string directory, std::vector<Script> scripts);

  const std::string& directory() const { return directory_; }
  const RevisionGraph& graph() const { return graph_; }
  // The script of a revision the graph contains.
  const Script& script(const std::string& id) const { return scripts_.at(id); }

  // Checks that every revision can run on `dialect` (has an upgrade section for it).
  Status CheckDialect(std::string_view dialect) const;

 private:
  ScriptDirectory(std::string directory, std::map<std::string, Script> scripts, RevisionGraph graph)
      : directory_(std::move(directory)), scripts_(std::move(scripts)), graph_(std::move(graph)) {}

  std::string directory_;
  std::map<std::string, Script> scripts_;
  RevisionGraph graph_;
};

}  // namespace migrationd

// A new revision file: `migctl revision -m MESSAGE` writes one from the template, locally;
// `migctl revision --autogenerate` (migrationd --autogenerate) plans its id, parents and path
// the same way and writes the generated script.
//
// Uses the script parser to read the directory and to check the new file, so there is one
// definition of the format. No daemon and no database are involved.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"

namespace migrationd {

struct NewRevisionRequest {
  std::string directory;
  std::string message;
  std::string id;  // empty: "<next number>_<slug of the message>"
};

struct NewRevision {
  std::string id;
  std::vector<std::string> parents;  // the scripts' single head (none for a first revision)
  std::string path;                  // <directory>/<id>.sql, which does not exist yet
};
// Where a new revision goes. A message over several lines, an invalid or used id, an existing
// file: invalid argument; several heads: an integrity error naming them.
Result<NewRevision> PlanNewRevision(const NewRevisionRequest& request);

// Writes a new script that must parse, never replacing a file (one made meanwhile included).
Status WriteNewScript(const std::string& path, const std::string& text);

// Returns the path of the new file. Several heads: an integrity error naming them.
Result<std::string> CreateRevisionFile(const NewRevisionRequest& request);

}  // namespace migrationd

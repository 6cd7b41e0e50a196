// `migctl revision -m MESSAGE`: writes a new revision file from the template, locally.
//
// Uses the daemon's own script parser (core/) to read the directory and to check the new file,
// so there is one definition of the format. No daemon and no database are involved.
#pragma once

#include <string>

#include "core/base/status.h"

namespace migrationd {

struct NewRevisionRequest {
  std::string directory;
  std::string message;
  std::string id;  // empty: "<next number>_<slug of the message>"
};

// Returns the path of the new file. Several heads: an integrity error naming them.
Result<std::string> CreateRevisionFile(const NewRevisionRequest& request);

}  // namespace migrationd

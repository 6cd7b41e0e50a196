// Files the daemon creates that may hold a copy of the data (backups, manifests, generated
// restore scripts): created mode 0600 from the first byte, never through a symlink and never
// over an existing file.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace migrationd {

// Creates `path` (O_CREAT | O_EXCL | O_NOFOLLOW, 0600) and writes `text`; with `sync`, fsyncs
// it before returning. Fails if anything already exists at `path`.
Status WritePrivateFile(const std::string& path, std::string_view text, bool sync = false);

}  // namespace migrationd

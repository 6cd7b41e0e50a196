// `migrationd --lint`: the static part of `migctl lint`, for CI, without a daemon or a
// database: every revision of a scripts directory (or a range) linted for one engine, each as if
// the revisions before it were applied (core/lint/lint.h). Table sizes are unknown here.
#pragma once

namespace migrationd {

// Whether the command line asks for --lint.
bool WantsLint(int argc, const char* const* argv);
// Exit codes: 0 no unsuppressed error, 7 an error-level finding, 2 usage or unreadable scripts.
int RunLintCommand(int argc, const char* const* argv);

}  // namespace migrationd

// The printed forms of lint findings, shared by `migctl lint` and `migrationd --lint`: text for
// people, GitHub workflow commands (annotations on the pull request's lines) and SARIF 2.1.0
// for code-review tools. JSON is the protocol's own mapping (--json).
#pragma once

#include <string>

#include "migrationd.pb.h"

namespace migrationd {

enum class LintFormat { kText, kGithub, kSarif };
// "text", "github", "sarif"; false for anything else.
bool ParseLintFormat(const std::string& name, LintFormat& format);

// The findings and the summary line (text), one annotation per finding (github), or one SARIF
// log (sarif). Suppressed findings are listed in text and SARIF (as suppressed), not annotated.
std::string RenderLint(const proto::Result& result, LintFormat format);

// "lint: 3 revision(s), 12 statement(s): 1 error(s), 2 warning(s), 1 suppressed".
std::string LintSummaryLine(const proto::LintSummary& summary);

}  // namespace migrationd

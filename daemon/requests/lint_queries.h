// Lint through the daemon (core/lint/lint.h): `migctl lint`, and the lint an upgrade makes of
// its plan (lint_on_upgrade), with what the live database says of each table.
#pragma once

#include "core/lint/lint.h"
#include "daemon/requests/queries.h"

namespace migrationd {

// The report as the protocol carries it: findings, summary, and the code (INTEGRITY when an
// unsuppressed error remains).
void FillLint(const LintReport& report, const std::string& scope, bool live, proto::Result& result);

// `lint [TARGET]`: the pending revisions up to TARGET, sized by the live database; with a
// range or `all`, those revisions as a static lint would see them.
proto::Result QueryLint(const QueryContext& context, const std::string& target,
                        const std::string& range, bool all);

// The upgrade plan's upgrade steps linted on `live` (sizes read there).
Result<LintReport> LintPlan(Backend& live, const ScriptDirectory& scripts,
                            const MigrationPlan& plan, const DaemonConfig& config);

// "2 error(s): index-not-concurrent at migrations/005_x.sql:12, ..." (the first few).
std::string DescribeLintErrors(const LintReport& report);

}  // namespace migrationd

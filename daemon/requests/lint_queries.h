// Lint through the daemon (core/lint/lint.h): `migctl lint`, and the lint an upgrade makes of
// its plan (lint_on_upgrade), with what the live database says of each table.
#pragma once

#include "core/lint/lint.h"
#include "daemon/requests/queries.h"

namespace migrationd {

// The report as the protocol carries it: findings, summary, and the code (INTEGRITY when an
// unsuppressed error remains).
void FillLint(const LintReport& report, const std::string& scope, bool live, proto::Result& result);

// The report as a whole answer: FillLint, INTEGRITY and what to do while an unsuppressed error
// remains, else a one-line verdict. `lint` through the daemon and `migrationd --lint` answer so.
proto::Result LintResult(const LintReport& report, const std::string& scope, bool live);

// A static lint of `range` ("" for every revision) on `dialect`: each revision as if the ones
// before it were applied, sizes unknown.
Result<LintReport> LintRange(const ScriptDirectory& scripts, std::string_view dialect,
                             const std::string& range);

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

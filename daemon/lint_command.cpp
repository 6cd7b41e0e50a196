#include "daemon/lint_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>

#include "core/lint/lint.h"
#include "daemon/requests/lint_queries.h"
#include "proto/frame.h"
#include "proto/lint_report.h"

namespace migrationd {

bool WantsLint(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--lint") == 0) return true;
  }
  return false;
}

int RunLintCommand(int argc, const char* const* argv) {
  CLI::App app(
      "migrationd --lint: lint a scripts directory for one engine without a database (the "
      "static part of 'migctl lint', for CI)",
      "migrationd");
  bool lint = false;
  std::string migrations;
  std::string dialect;
  std::string range;
  std::string format = "text";
  app.add_flag("--lint", lint, "this mode")->required();
  app.add_option("--migrations", migrations, "the scripts directory")->type_name("DIR")->required();
  app.add_option("--dialect", dialect, "the engine whose sections are linted")
      ->type_name("ENGINE")
      ->check(CLI::IsMember({"sqlite", "postgresql"}))
      ->required();
  app.add_option("-r,--rev-range", range, "only these revisions (default: every revision)")
      ->type_name("FROM:TO");
  app.add_option("--format", format, "text (default), json, github or sarif")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json", "github", "sarif"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  auto scripts = ScriptDirectory::Load(migrations);
  if (!scripts.ok()) {
    std::fprintf(stderr, "migrationd: migrations: %s\n", scripts.status().message().c_str());
    return 2;
  }
  auto report = LintRange(*scripts, dialect, range);
  if (!report.ok()) {
    std::fprintf(stderr, "migrationd: %s\n", report.status().message().c_str());
    return 2;
  }
  const proto::Result result = LintResult(*report, range.empty() ? "every revision" : range, false);
  if (format == "json") {
    proto::ServerMessage message;
    *message.mutable_result() = result;
    std::printf("%s\n", ToJsonLine(message).c_str());
  } else {
    LintFormat chosen = LintFormat::kText;
    ParseLintFormat(format, chosen);
    std::fputs(RenderLint(result, chosen).c_str(), stdout);
  }
  return report->errors() > 0 ? 7 : 0;
}

}  // namespace migrationd

// migctl's bash completion (packaging/migctl.bash-completion) in a real bash, against a real
// daemon: commands and flags from migctl's own --help, revision and backup ids from the daemon.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::Process;

// What completing `words` (the cursor on the last one) offers, one candidate per element.
std::vector<std::string> Complete(const TempDir& dir, const std::vector<std::string>& words) {
  std::string array;
  for (const auto& word : words) array += " '" + word + "'";
  const std::string bin_dir = std::filesystem::path(testing::MigctlBinary()).parent_path();
  const std::string script = "PATH='" + bin_dir +
                             "':$PATH; source '" MIGRATIOND_SOURCE_DIR
                             "/packaging/migctl.bash-completion'; COMP_WORDS=(" +
                             array + "); COMP_CWORD=" + std::to_string(words.size() - 1) +
                             "; _migctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
  Process bash({"/bin/bash", "-c", script}, dir / "bash");
  REQUIRE(bash.Wait() == 0);
  std::vector<std::string> candidates;
  std::istringstream lines(bash.Stdout());
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) candidates.push_back(line);
  }
  std::sort(candidates.begin(), candidates.end());  // bash shows them sorted too
  return candidates;
}

using Catch::Matchers::VectorContains;

TEST_CASE("bash completion offers migctl's commands, each command's flags and the daemon's ids",
          "[completion]") {
  TempDir dir;
  CHECK(Complete(dir, {"migctl", "up"}) == std::vector<std::string>{"upgrade"});
  CHECK(Complete(dir, {"migctl", "re"}) ==
        std::vector<std::string>{"rehearse", "repair", "restore", "resume", "revision"});
  CHECK(Complete(dir, {"migctl", "upgrade", "--i"}) == std::vector<std::string>{"--in-window"});
  const auto backup_flags = Complete(dir, {"migctl", "backup", "--"});
  CHECK_THAT(backup_flags, VectorContains(std::string("--label")));
  CHECK_THAT(backup_flags, !VectorContains(std::string("--force")));  // backups run any time

  SqliteDatabase db;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "002"}).exit_code == 0);
  CHECK(Complete(dir, {"migctl", "--socket", daemon.socket(), "upgrade", "00"}) ==
        std::vector<std::string>{"000_initial_base", "001_group_ai", "002_add_indexes",
                                 "003_add_script_version_management"});
  CHECK(Complete(dir, {"migctl", "--socket", daemon.socket(), "downgrade", "h"}).empty());
  CHECK(Complete(dir, {"migctl", "--socket", daemon.socket(), "downgrade", "b"}) ==
        std::vector<std::string>{"base"});
  const auto backups = daemon.Migctl({"backups"});
  REQUIRE(backups.result().backups_size() == 1);
  CHECK(Complete(dir, {"migctl", "--socket", daemon.socket(), "restore", "be"}) ==
        std::vector<std::string>{backups.result().backups(0).id()});
}

}  // namespace
}  // namespace migrationd

// Both programs' command lines: every mutating command previews with --dry-run and changes
// nothing; --version exists; and the help, docs/MIGCTL.md and the man pages name the same flags
// for the same commands (checked against the real binaries' --help).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "proto/frame.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

size_t BackupCount(const Daemon& daemon) {
  MigctlRun list = daemon.Migctl({"backups"});
  REQUIRE(list.exit_code == 0);
  return static_cast<size_t>(list.result().backups_size());
}

TEMPLATE_TEST_CASE("every mutating command previews with --dry-run and changes nothing",
                   "[daemon][cli]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  std::string migrations = testing::SeedMigrationsPlus(dir, {});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  const Rows version = {{"002_add_indexes"}};
  const Rows history = db.Query("SELECT count(*) FROM migrationd_history");

  // 002's schema is not 003's: the real stamp needs --force, and so does its preview.
  CHECK(daemon.Migctl({"stamp", "003", "--dry-run"}).exit_code == 7);
  MigctlRun stamp = daemon.Migctl({"stamp", "003", "--force", "--dry-run"});
  INFO(stamp.out << stamp.err);
  CHECK(stamp.exit_code == 0);
  CHECK_THAT(stamp.result().message(), Catch::Contains("dry run") &&
                                           Catch::Contains("002_add_indexes") &&
                                           Catch::Contains("003_add_script_version_management") &&
                                           Catch::Contains("Nothing was changed"));

  MigctlRun backup = daemon.Migctl({"backup", "--label", "preview", "--dry-run"});
  INFO(backup.out << backup.err);
  CHECK(backup.exit_code == 0);
  CHECK_THAT(backup.result().message(), Catch::Contains("dry run") &&
                                            Catch::Contains("-preview.") &&
                                            Catch::Contains("Nothing was written"));
  CHECK(BackupCount(daemon) == 0);
  // A preview makes the checks the real backup makes: a bad label is refused.
  CHECK(daemon.Migctl({"backup", "--label", "no/slash", "--dry-run"}).exit_code == 2);

  REQUIRE(daemon.Migctl({"backup"}).exit_code == 0);
  const std::string id = daemon.Migctl({"backups"}).result().backups(0).id();
  db.Exec("INSERT INTO users (username, email, password_hash) VALUES ('after_backup', 'a@b', 'x')");
  MigctlRun restore = daemon.Migctl({"restore", id, "--dry-run"});
  INFO(restore.out << restore.err);
  CHECK(restore.exit_code == 0);
  CHECK_THAT(restore.result().message(), Catch::Contains("dry run") && Catch::Contains("intact") &&
                                             Catch::Contains("Nothing was changed"));
  CHECK(db.Query("SELECT count(*) FROM users WHERE username = 'after_backup'") == Rows{{"1"}});
  CHECK(BackupCount(daemon) == 1);  // no before-restore backup either
  CHECK(daemon.Migctl({"restore", "manual-19990101-000000-nope", "--dry-run"}).exit_code == 2);

  // An edited applied script: the repair preview names it, and records nothing.
  const std::string path = migrations + "/001_group_ai.sql";
  testing::WriteFile(path, testing::ReadFile(path) + "\n-- a comment added later\n");
  MigctlRun repair = daemon.Migctl({"repair", "--reason", "comment", "--dry-run"});
  INFO(repair.out << repair.err);
  CHECK(repair.exit_code == 0);
  CHECK_THAT(repair.result().message(),
             Catch::Contains("dry run") && Catch::Contains("001_group_ai.sql"));
  CHECK(daemon.Migctl({"check"}).exit_code == 7);                // still not repaired
  CHECK(daemon.Migctl({"repair", "--dry-run"}).exit_code == 2);  // the reason is still needed

  // Nothing moved: version rows, history (the one manual backup writes none).
  CHECK(db.Query("SELECT revision FROM migrationd_version") == version);
  CHECK(db.Query("SELECT count(*) FROM migrationd_history") == history);
}

TEST_CASE("a dry run is refused for commands that have none, whatever client sends it",
          "[daemon][cli]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  for (proto::Command command : {proto::CANCEL, proto::STATUS, proto::CHECK}) {
    testing::RawClient raw(daemon.socket());
    raw.Send(testing::HelloFrame());
    REQUIRE(raw.ReadMessage().has_hello());
    proto::ClientMessage message;
    message.mutable_request()->set_request_id(3);
    message.mutable_request()->set_command(command);
    message.mutable_request()->set_dry_run(true);
    raw.Send(EncodeFrame(message));
    CHECK(raw.ReadMessage().result().code() == proto::INVALID_ARGUMENT);
  }
}

// The flags `--help` lists in its Options section ("-v,--verbose", "-n N" -> both spellings).
std::set<std::string> HelpFlags(const std::string& help) {
  std::set<std::string> flags;
  std::istringstream lines(help);
  std::string line;
  bool in_options = false;
  while (std::getline(lines, line)) {
    if (line == "Options:") {
      in_options = true;
      continue;
    }
    if (line.empty() || line[0] != ' ') in_options = false;
    if (!in_options || line.size() < 3 || line[2] != '-') continue;
    std::string spec = line.substr(2, line.find("  ", 2) - 2);
    spec = spec.substr(0, spec.find(' '));  // drop the value's name
    std::stringstream names(spec);
    for (std::string name; std::getline(names, name, ',');) {
      if (name != "-h" && name != "--help") flags.insert(name);
    }
  }
  return flags;
}

std::string Help(const std::string& binary, std::vector<std::string> args, const TempDir& dir) {
  args.insert(args.begin(), binary);
  args.push_back("--help");
  testing::Process help(args, dir / "help");
  REQUIRE(help.Wait() == 0);
  return help.Stdout();
}

// roff without its escapes and font changes: "\fB\-\-dry\-run\fR" -> "--dry-run".
std::string Unroff(std::string text) {
  text = std::regex_replace(text, std::regex(R"(\\f[BIRP])"), "");
  return std::regex_replace(text, std::regex(R"(\\-)"), "-");
}

// The .TP entry of `command` in the man page: its heading line and the text below.
std::string ManEntry(const std::string& man, const std::string& command) {
  std::regex heading("\\.TP\\n\\.B[IR]? \"?" + command + "[\" \\n]");
  std::smatch match;
  if (!std::regex_search(man, match, heading)) return "";
  size_t begin = static_cast<size_t>(match.position(0)) + 4;
  return man.substr(begin, man.find(".TP", begin) - begin);
}

TEST_CASE("migctl --help, docs/MIGCTL.md and migctl(1) name the same flags per command",
          "[cli][docs]") {
  TempDir dir;
  const std::string docs = testing::ReadFile(MIGRATIOND_SOURCE_DIR "/docs/MIGCTL.md");
  const std::string man = Unroff(testing::ReadFile(MIGRATIOND_SOURCE_DIR "/docs/man/migctl.1"));
  const std::string top = Help(testing::MigctlBinary(), {}, dir);
  std::vector<std::string> commands;
  {
    std::istringstream lines(top.substr(top.find("Subcommands:")));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line) && line.starts_with("  ")) {
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  REQUIRE(commands.size() >= 16);
  // The flags table of MIGCTL.md: | `flag`, `alias` | commands | meaning |
  std::map<std::string, std::string> docs_commands_of;
  const std::regex flag_row(R"(\n\| (`-[^|]*) \| ([^|]*) \|)");
  const std::regex flag_name("`(-[-a-z]*)");
  const std::sregex_iterator end;
  for (std::sregex_iterator row(docs.begin(), docs.end(), flag_row); row != end; ++row) {
    const std::string flags = (*row)[1];
    for (std::sregex_iterator flag(flags.begin(), flags.end(), flag_name); flag != end; ++flag) {
      docs_commands_of[(*flag)[1]] = (*row)[2];
    }
  }
  for (const std::string& flag : HelpFlags(top)) {
    INFO("global flag " << flag);
    CHECK(docs_commands_of.count(flag) == 1);
    CHECK_THAT(man, Catch::Contains(flag));
  }
  for (const std::string& command : commands) {
    const std::string entry = ManEntry(man, command);
    INFO("command " << command << "; man page entry: " << entry);
    CHECK(!entry.empty());
    CHECK_THAT(docs, Catch::Contains("| `" + command));
    for (const std::string& flag : HelpFlags(Help(testing::MigctlBinary(), {command}, dir))) {
      INFO("flag " << flag);
      REQUIRE(docs_commands_of.count(flag) == 1);
      CHECK_THAT(docs_commands_of[flag], Catch::Contains(command) || Catch::Contains("all"));
      CHECK_THAT(entry, Catch::Contains(flag));
    }
  }
}

TEST_CASE(
    "migrationd --help, migrationd(8) and migrationd.conf(5) name the same settings, and both "
    "programs have --version",
    "[cli][docs]") {
  TempDir dir;
  const std::string man = Unroff(testing::ReadFile(MIGRATIOND_SOURCE_DIR "/docs/man/migrationd.8"));
  const std::set<std::string> flags = HelpFlags(Help(testing::MigrationdBinary(), {}, dir));
  REQUIRE(flags.count("--database") == 1);
  REQUIRE(flags.count("--retain-manual-age") == 1);
  const std::string conf =
      Unroff(testing::ReadFile(MIGRATIOND_SOURCE_DIR "/docs/man/migrationd.conf.5"));
  for (const std::string& flag : flags) {
    INFO(flag);
    CHECK_THAT(man, Catch::Contains(flag));
    // Every setting is a key of migrationd.conf(5), with '_' for '-'.
    if (flag == "--version" || flag == "--config" || flag == "--check-config" ||
        flag == "--verify") {
      continue;  // actions, not settings
    }
    std::string key = flag.substr(2);
    std::replace(key.begin(), key.end(), '-', '_');
    CHECK_THAT(conf, Catch::Contains(key));
  }
  for (const std::string& binary : {testing::MigctlBinary(), testing::MigrationdBinary()}) {
    testing::Process version({binary, "--version"}, dir / "version");
    CHECK(version.Wait() == 0);
    CHECK_THAT(version.Stdout(), Catch::Matches(R"((migctl|migrationd) \d+\.\d+\.\d+\n)"));
  }
}

}  // namespace
}  // namespace migrationd

// The start-up policy (auto_upgrade = never | empty | always) on an empty database, one behind
// the scripts and one at head, on both engines: what runs, and how history records it.
#include <catch2/catch.hpp>
#include <ctime>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

constexpr const char* kHead = testing::kSeedHead;

std::vector<std::string> Current(const Daemon& daemon) {
  MigctlRun current = daemon.Migctl({"current"});
  REQUIRE(current.exit_code == 0);
  return testing::List(current.result().current());
}

TEMPLATE_TEST_CASE("auto_upgrade: never, empty and always on empty, behind and current databases",
                   "[daemon][startup]", SqliteDatabase, PostgresDatabase) {
  struct Case {
    std::string policy;
    std::string start_at;  // "" empty database, else the revision it is brought to first
    std::vector<std::string> expected;
    bool upgraded_by_daemon;
  };
  const std::vector<std::string> head = {kHead};
  for (const Case& c : {Case{"never", "", {}, false}, Case{"never", "001", {"001_group_ai"}, false},
                        Case{"never", kHead, head, false}, Case{"empty", "", head, true},
                        Case{"empty", "001", {"001_group_ai"}, false},
                        Case{"empty", kHead, head, false}, Case{"always", "", head, true},
                        Case{"always", "001", head, true}, Case{"always", kHead, head, false}}) {
    INFO("auto_upgrade = " << c.policy << ", database at '" << c.start_at << "'");
    TestType db;
    TempDir dir;
    if (!c.start_at.empty()) {
      Daemon setup(dir, "setup", db.url(), testing::SeedMigrationsDir());
      REQUIRE(setup.Migctl({"upgrade", c.start_at, "--no-backup"}).exit_code == 0);
    }
    Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--auto-upgrade", c.policy});
    CHECK(Current(daemon) == c.expected);
    const size_t backups = static_cast<size_t>(daemon.Migctl({"backups"}).result().backups_size());
    if (!c.upgraded_by_daemon) {
      CHECK(backups == 0);
      continue;
    }
    // A normal job in history, requested by the daemon itself.
    CHECK(db.Query("SELECT DISTINCT user_name FROM migrationd_history WHERE direction = 'upgrade'"
                   " AND revision = '" +
                   std::string(kHead) + "'") == Rows{{"migrationd (auto_upgrade)"}});
    // 'empty' backs up nothing (there is nothing); 'always' takes the usual backup.
    CHECK(backups == (c.policy == "always" ? 1u : 0u));
    CHECK_THAT(daemon.Log(), Catch::Contains("auto_upgrade"));
  }
}

TEST_CASE("auto_upgrade outside every maintenance window runs nothing and says what will",
          "[daemon][startup]") {
  SqliteDatabase db;
  TempDir dir;
  // A window that is never open now: tomorrow's weekday only.
  const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  const std::string window = std::string(kDays[(utc.tm_wday + 2) % 7]) + " 02:00..03:00 UTC";
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(),
                {"--auto-upgrade", "always", "--maintenance-window", window});
  CHECK(Current(daemon).empty());
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE name = 'migrationd_history'") ==
        Rows{{"0"}});
  const std::string log = daemon.Log();
  CHECK_THAT(log, Catch::Contains("auto_upgrade = always: the daemon started outside the "
                                  "maintenance windows (" +
                                  window + "): the next one opens at") &&
                      Catch::Contains("Nothing was run; 'migctl upgrade --in-window'"));
  CHECK_THAT(log, !Catch::Contains("--force") && !Catch::Contains("closed before"));
}

TEST_CASE("auto_upgrade takes only never, empty or always", "[daemon][startup]") {
  TempDir dir;
  testing::Process bad({testing::MigrationdBinary(), "--check-config", "--database",
                        "sqlite://" + std::string(dir / "x.db"), "--migrations",
                        testing::SeedMigrationsDir(), "--auto-upgrade", "sometimes"},
                       dir / "bad");
  CHECK(bad.Wait() == 2);
  CHECK_THAT(bad.Stderr(), Catch::Contains("never, empty or always"));
}

}  // namespace
}  // namespace migrationd

// Clear refusals: each says what is wrong and who or what may fix it, instead of a generic
// failure or a silent surprise.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "proto/frame.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;
using testing::Process;

TEST_CASE("a socket the user may not open is a permission error naming who may",
          "[daemon][refusals]") {
  if (geteuid() != 0) FAIL("this test switches uid and needs root (CI runs as root)");
  SqliteDatabase db;
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir(), {"--socket-mode", "0600"});
  MigctlRun denied = daemon.Migctl({"status"}, 65534);
  CHECK(denied.exit_code == 6);
  CHECK_THAT(denied.out + denied.err, Catch::Contains("may not connect") &&
                                          Catch::Contains("mode 0600") &&
                                          Catch::Contains("owner root"));
}

TEST_CASE("log lines carry UTC timestamps with a Z", "[daemon][refusals]") {
  SqliteDatabase db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  const std::string log = daemon.Log();
  CHECK(std::regex_search(
      log, std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info migrationd)")));
}

TEST_CASE("a mistyped SQLite path is not created by reading it", "[daemon][refusals]") {
  TempDir dir;
  const std::string typo = dir / "apps.db";
  Daemon daemon(dir, "d", "sqlite://" + typo, testing::SeedMigrationsDir());
  CHECK(daemon.Migctl({"status"}).exit_code == 0);
  CHECK(daemon.Migctl({"current"}).exit_code == 0);
  CHECK(daemon.Migctl({"check"}).exit_code == 3);
  CHECK(daemon.Migctl({"history"}).exit_code == 0);
  CHECK(daemon.Migctl({"backups"}).exit_code == 0);
  CHECK_FALSE(fs::exists(typo));
  CHECK_THAT(daemon.WaitForLog(" does not exist"),
             Catch::Contains(typo + " does not exist") && Catch::Contains("check --database"));
  // A change creates it, as before.
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(fs::exists(typo));
}

TEST_CASE("migctl revision: one-line messages only, valid JSON for any path",
          "[daemon][refusals]") {
  TempDir dir;
  for (const std::string& name : {std::string("we\"ird\\dir\nx"), std::string("bytes\xff\xfe")}) {
    const std::string migrations = dir / name;
    fs::create_directory(migrations);
    testing::CopySeedMigrations(migrations);
    Process json({testing::MigctlBinary(), "--json", "revision", "-m", "add audit", "--migrations",
                  migrations},
                 dir / "json");
    REQUIRE(json.Wait() == 0);
    google::protobuf::Struct parsed;
    INFO(json.Stdout());
    CHECK(google::protobuf::util::JsonStringToMessage(json.Stdout(), &parsed).ok());
  }
  const std::string migrations = dir / "plain";
  fs::create_directory(migrations);
  testing::CopySeedMigrations(migrations);
  Process injected({testing::MigctlBinary(), "revision", "-m", "x\nDROP TABLE users;",
                    "--migrations", migrations},
                   dir / "injected");
  CHECK(injected.Wait() == 2);
  CHECK_THAT(injected.Stdout() + injected.Stderr(), Catch::Contains("one line"));
  CHECK(std::distance(fs::directory_iterator(migrations), fs::directory_iterator()) == 4);
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a flag a command does not take is refused, naming it", "[daemon][refusals]") {
  testing::SqliteDatabase db;
  testing::TempDir dir;
  testing::Daemon daemon(dir, "d", db.url(), testing::SeedMigrationsDir());
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);
  struct Case {
    std::vector<std::string> args;
    std::string named;
  };
  for (const Case& c :
       {Case{{"stamp", "003", "--no-backup"}, "--no-backup"},
        Case{{"status", "--dry-run"}, "--dry-run"}, Case{{"upgrade", "--label", "x"}, "--label"},
        Case{{"check", "--wait"}, "--wait"}, Case{{"log", "-n", "-5"}, "-n"},
        Case{{"log", "-n", "lots"}, "-n"}}) {
    testing::MigctlRun run = daemon.Migctl(c.args);
    INFO(c.args[0] << " " << c.args[1] << ": " << run.out << run.err);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.out + run.err, Catch::Contains(c.named));
  }
  // Nothing was stamped or upgraded.
  CHECK(db.Query("SELECT revision FROM migrationd_version") == testing::Rows{{"002_add_indexes"}});

  // The daemon refuses a dry run it cannot honour too, whatever client sends it.
  testing::RawClient raw(daemon.socket());
  raw.Send(testing::HelloFrame());
  REQUIRE(raw.ReadMessage().has_hello());
  proto::ClientMessage stamp;
  stamp.mutable_request()->set_request_id(7);
  stamp.mutable_request()->set_command(proto::STAMP);
  stamp.mutable_request()->set_target("head");
  stamp.mutable_request()->set_no_backup(true);
  stamp.mutable_request()->set_wait(true);
  stamp.mutable_request()->set_dry_run(true);
  raw.Send(EncodeFrame(stamp));
  proto::ServerMessage reply = raw.ReadMessage();
  // A stamp preview, refused as the real stamp would be (002's schema is not head's); nothing
  // written either way.
  CHECK(reply.result().code() == proto::INTEGRITY);
  CHECK_THAT(reply.result().message(), Catch::Contains("Nothing was stamped"));
  CHECK(db.Query("SELECT revision FROM migrationd_version") == testing::Rows{{"002_add_indexes"}});
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

// A dry run's exit code and message are the real command's, minus the change.
TEST_CASE("a dry run makes the checks the real command makes", "[daemon][refusals]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = testing::SeedMigrationsPlus(
      dir,
      {{"004_index.sql", std::string("-- revision: 004_index\n-- parents: ") + testing::kSeedHead +
                             "\n-- transaction: none\n-- +upgrade\n"
                             "CREATE INDEX ix_users_created ON users (created_at);\n"
                             "-- +downgrade\nDROP INDEX ix_users_created;\n"}});
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "002", "--no-backup"}).exit_code == 0);

  SECTION("stamp onto a schema that differs") {
    MigctlRun real = daemon.Migctl({"stamp", "003"});
    MigctlRun dry = daemon.Migctl({"stamp", "003", "--dry-run"});
    CHECK(real.exit_code == 7);
    CHECK(dry.exit_code == real.exit_code);
    CHECK(dry.result().message() == real.result().message());
    CHECK(dry.result().schema_diff_size() == real.result().schema_diff_size());
  }
  SECTION("stamp --force previews the forced stamp") {
    MigctlRun dry = daemon.Migctl({"stamp", "003", "--force", "--dry-run"});
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.result().message(), Catch::Contains("dry run") && Catch::Contains("003"));
    CHECK(dry.result().schema_diff_size() > 0);  // what the force would accept
    CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
    CHECK(daemon.Migctl({"stamp", "003", "--force"}).exit_code == 0);
  }
  SECTION("upgrade --atomic with a transaction: none revision in the plan") {
    MigctlRun real = daemon.Migctl({"upgrade", "--atomic", "--no-backup"});
    MigctlRun dry = daemon.Migctl({"upgrade", "--atomic", "--dry-run"});
    CHECK(real.exit_code == 2);
    CHECK(dry.exit_code == real.exit_code);
    CHECK(dry.result().message() == real.result().message());
    CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"002_add_indexes"}});
  }
}

}  // namespace
}  // namespace migrationd

// Scripts are read by the engines' own lexers: the corpus in tests/corpus/tricky (E'' and
// U&'' strings, dollar quotes, odd identifiers, nested comments, BEGIN ATOMIC, trigger bodies
// with CASE ... END, SQLite's 12-step table rebuild) runs on both engines through the daemon;
// the rebuild keeps its child rows, and the ways it used to go wrong are refused.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;

std::string CorpusCopy(const TempDir& dir) {
  const std::string copy = dir / "tricky";
  fs::copy(MIGRATIOND_SOURCE_DIR "/tests/corpus/tricky", copy);
  return copy;
}

TEMPLATE_TEST_CASE("the tricky-script corpus runs as its engine reads it", "[daemon][lexers]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  Daemon daemon(dir, "d", db.url(), CorpusCopy(dir));
  MigctlRun upgrade = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(upgrade.out << upgrade.err);
  REQUIRE(upgrade.exit_code == 0);

  // Every semicolon inside a string stayed in its string.
  const bool postgres = db.dialect() == "postgresql";
  CHECK(db.Query("SELECT id, body FROM notes ORDER BY id") ==
        Rows{{"1", "it's; tricky"},
             {"2", "semi;colon -- not a comment /* nor this */"},
             {"3", " a; $$ b; "},
             {"4", "data;"}});
  CHECK(db.TableColumns().count("odd;name") == 1);
  CHECK(db.Query("SELECT name FROM tags") == Rows{{"a"}});
  // The bodies were created whole: the trigger fills an empty body, the function adds one.
  db.Exec("INSERT INTO notes (id, body) VALUES (5, NULL)");
  CHECK(db.Query("SELECT body FROM notes WHERE id = 5") == Rows{{"empty;"}});
  if (postgres) CHECK(db.Query("SELECT add_one(41)") == Rows{{"42"}});
  // The rebuild added the column and kept every book (foreign keys off around it on SQLite).
  CHECK(db.Query("SELECT count(*) FROM books") == Rows{{"3"}});
  CHECK(db.Query("SELECT id, country FROM authors ORDER BY id") ==
        Rows{{"1", "unknown"}, {"2", "unknown"}});
  if (!postgres) {
    CHECK(db.Query("PRAGMA foreign_key_check").empty());
    // The daemon's connection enforces foreign keys again after the revision.
    CHECK(daemon.Migctl({"downgrade", "003_bodies", "--no-backup"}).exit_code == 0);
    CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  }
  // And every revision rolls back to nothing.
  MigctlRun down = daemon.Migctl({"downgrade", "base", "--no-backup"});
  INFO(down.out << down.err);
  CHECK(down.exit_code == 0);
  CHECK(db.TableColumns().empty());
}

std::string Rebuild(const std::string& header, const std::string& pragma,
                    const std::string& copy_filter) {
  return "-- revision: 005_rebuild_again\n-- parents: 004_rebuild\n" + header +
         "-- +upgrade sqlite\n" + pragma +
         "CREATE TABLE authors_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT "
         "NULL DEFAULT 'unknown', born INTEGER);\n"
         "INSERT INTO authors_new (id, name, country) SELECT id, name, country FROM authors" +
         copy_filter +
         ";\nDROP TABLE authors;\nALTER TABLE authors_new RENAME TO authors;\n"
         "-- +downgrade sqlite\nSELECT 1;\n";
}

TEST_CASE("a SQLite table rebuild cannot cascade or leave orphans", "[daemon][lexers]") {
  SqliteDatabase db;
  TempDir dir;
  const std::string migrations = CorpusCopy(dir);
  Daemon daemon(dir, "d", db.url(), migrations);
  REQUIRE(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  const std::string file = migrations + "/005_rebuild_again.sql";

  // The documented PRAGMA does nothing inside migrationd's transaction (DROP TABLE would
  // cascade to every book): refused at load, naming the line and the header to use.
  testing::WriteFile(file, Rebuild("", "PRAGMA foreign_keys = OFF;\n", ""));
  MigctlRun pragma = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(pragma.out << pragma.err);
  CHECK(pragma.exit_code != 0);
  CHECK_THAT(pragma.result().message(), Catch::Contains("005_rebuild_again.sql:4:") &&
                                            Catch::Contains("-- sqlite-foreign-keys: off"));
  CHECK(db.Query("SELECT count(*) FROM books") == Rows{{"3"}});

  // With the header, a rebuild that loses a referenced row fails the foreign key check and
  // rolls back whole.
  testing::WriteFile(file, Rebuild("-- sqlite-foreign-keys: off\n", "", " WHERE id = 1"));
  MigctlRun orphans = daemon.Migctl({"upgrade", "--no-backup"});
  INFO(orphans.out << orphans.err);
  CHECK(orphans.exit_code == 7);
  CHECK_THAT(orphans.result().message(),
             Catch::Contains("violate a foreign key") && Catch::Contains("books"));
  CHECK(db.Query("SELECT count(*) FROM authors") == Rows{{"2"}});
  CHECK(db.TableColumns()["authors"].size() == 3);  // no 'born': the revision rolled back
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"004_rebuild"}});

  // The same rebuild keeping every row goes through.
  testing::WriteFile(file, Rebuild("-- sqlite-foreign-keys: off\n", "", ""));
  CHECK(daemon.Migctl({"upgrade", "--no-backup"}).exit_code == 0);
  CHECK(db.Query("SELECT count(*) FROM books") == Rows{{"3"}});
  CHECK(db.TableColumns()["authors"].size() == 4);
}

}  // namespace
}  // namespace migrationd

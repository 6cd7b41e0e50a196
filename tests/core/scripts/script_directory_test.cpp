// ScriptDirectory on real files: the seed's chain loads; broken directories are refused with
// every error named by file and line.
#include "core/scripts/script_directory.h"

#include <catch2/catch.hpp>

#include "core/db/database_url.h"
#include "tests/test_support.h"

namespace migrationd {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST_CASE("the shipped seed chain loads as one linear chain", "[scripts]") {
  auto scripts = ScriptDirectory::Load(testing::SeedMigrationsDir());
  REQUIRE(scripts.ok());
  const RevisionGraph& graph = scripts->graph();
  CHECK(graph.TopologicalOrder() == std::vector<std::string>{"000_initial_base", "001_group_ai",
                                                             "002_add_indexes",
                                                             "003_add_script_version_management"});
  CHECK(graph.Heads() == std::vector<std::string>{"003_add_script_version_management"});
  for (const char* dialect : {"sqlite", "postgresql"}) {
    CHECK(scripts->CheckDialect(dialect).ok());
    for (const auto& id : graph.TopologicalOrder()) {
      INFO(id << " on " << dialect);
      CHECK(scripts->script(id).HasDowngradeFor(dialect));
      CHECK_FALSE(scripts->script(id).Statements(Direction::kUpgrade, dialect).empty());
    }
  }
}

TEST_CASE("a directory with broken scripts reports every file at fault", "[scripts]") {
  TempDir dir;
  WriteFile(dir / "001.sql", "-- revision: one\n-- parents:\n-- +upgrade\nSELECT 1;\n");
  WriteFile(dir / "002.sql", "-- revision: two\n-- parents: one\n-- transaction: maybe\n");
  WriteFile(dir / "003.sql", "-- revision: three\n-- parents: two\n");
  WriteFile(dir / "notes.txt", "not a script");
  auto scripts = ScriptDirectory::Load(dir.path().string());
  REQUIRE_FALSE(scripts.ok());
  CHECK(scripts.status().code() == ErrorCode::kParseError);
  CHECK_THAT(scripts.status().message(),
             Catch::Contains(dir / "002.sql" + ":3: transaction must be") &&
                 Catch::Contains(dir / "003.sql" + ":1: no '-- +upgrade' section"));
}

TEST_CASE("duplicate ids and unknown parents name the files", "[scripts]") {
  TempDir dir;
  WriteFile(dir / "a.sql", "-- revision: one\n-- parents:\n-- +upgrade\n");
  WriteFile(dir / "b.sql", "-- revision: one\n-- parents:\n-- +upgrade\n");
  auto duplicate = ScriptDirectory::Load(dir.path().string());
  REQUIRE_FALSE(duplicate.ok());
  CHECK_THAT(duplicate.status().message(), Catch::Contains("duplicate revision id 'one'") &&
                                               Catch::Contains(dir / "a.sql") &&
                                               Catch::Contains(dir / "b.sql"));

  WriteFile(dir / "b.sql", "-- revision: two\n\n-- parents: onee\n-- +upgrade\n");
  auto unknown = ScriptDirectory::Load(dir.path().string());
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.status().message(),
             Catch::Contains(dir / "b.sql" + ":3") && Catch::Contains("unknown parent 'onee'"));
}

TEST_CASE("a cycle across files is refused", "[scripts]") {
  TempDir dir;
  WriteFile(dir / "a.sql", "-- revision: a\n-- parents: c\n-- +upgrade\n");
  WriteFile(dir / "b.sql", "-- revision: b\n-- parents: a\n-- +upgrade\n");
  WriteFile(dir / "c.sql", "-- revision: c\n-- parents: b\n-- +upgrade\n");
  auto scripts = ScriptDirectory::Load(dir.path().string());
  REQUIRE_FALSE(scripts.ok());
  CHECK_THAT(scripts.status().message(), Catch::Contains("cycle") && Catch::Contains("a.sql"));
}

TEST_CASE("a missing directory is a clear error", "[scripts]") {
  auto scripts = ScriptDirectory::Load("/nonexistent/migrations");
  REQUIRE_FALSE(scripts.ok());
  CHECK(scripts.status().code() == ErrorCode::kNotFound);
  CHECK_THAT(scripts.status().message(), Catch::Contains("/nonexistent/migrations"));
}

TEST_CASE("a dialect-only script is refused on the other dialect", "[scripts]") {
  TempDir dir;
  WriteFile(dir / "a.sql", "-- revision: a\n-- parents:\n-- +upgrade sqlite\nSELECT 1;\n");
  auto scripts = ScriptDirectory::Load(dir.path().string());
  REQUIRE(scripts.ok());
  CHECK(scripts->CheckDialect("sqlite").ok());
  Status postgres = scripts->CheckDialect("postgresql");
  CHECK(postgres.code() == ErrorCode::kParseError);
  CHECK_THAT(postgres.message(), Catch::Contains("a.sql") && Catch::Contains("postgresql"));
}

std::string Revision(const std::string& id, const std::string& parent, const std::string& table) {
  return "-- revision: " + id + "\n-- parents: " + parent + "\n-- +upgrade\nCREATE TABLE " + table +
         " (id INTEGER);\n-- +downgrade\nDROP TABLE " + table + ";\n";
}

std::string UpgradeOf(ScriptDirectoryCache& cache, const std::string& id) {
  auto scripts = cache.Get();
  REQUIRE(scripts.ok());
  return (*scripts)->script(id).Statements(Direction::kUpgrade, "sqlite").front().text;
}

// Both ways of noticing changes: inotify on a plain directory; one stat per file when a script
// is a symlink (its target can change without an event in the directory).
TEST_CASE("the script cache notices added, edited and deleted scripts, even within one second",
          "[scripts][cache]") {
  TempDir dir;
  const bool through_symlink = GENERATE(false, true);
  INFO((through_symlink ? "stat mode (a symlinked script)" : "inotify mode"));
  const std::string migrations = dir / "m";
  std::filesystem::create_directories(migrations);
  // Symlinks may point only inside the migrations tree: a subdirectory's file is not a script.
  std::filesystem::create_directories(migrations + "/shared");
  const std::string target = migrations + "/shared/r1-target.sql";
  WriteFile(through_symlink ? target : migrations + "/r1.sql", Revision("r1", "", "aaaa"));
  if (through_symlink) std::filesystem::create_symlink(target, migrations + "/r1.sql");

  ScriptDirectoryCache cache(migrations, "sqlite");
  auto first = cache.Get();
  REQUIRE(first.ok());
  CHECK(cache.watching() == !through_symlink);
  CHECK(UpgradeOf(cache, "r1") == "CREATE TABLE aaaa (id INTEGER)");

  // Edited right after the read, same size: the same second (and on a coarse-timestamp
  // filesystem, the same mtime).
  WriteFile(through_symlink ? target : migrations + "/r1.sql", Revision("r1", "", "bbbb"));
  CHECK(UpgradeOf(cache, "r1") == "CREATE TABLE bbbb (id INTEGER)");

  WriteFile(migrations + "/r2.sql", Revision("r2", "r1", "cccc"));
  auto added = cache.Get();
  REQUIRE(added.ok());
  CHECK((*added)->graph().Heads() == std::vector<std::string>{"r2"});

  std::filesystem::remove(migrations + "/r2.sql");
  auto removed = cache.Get();
  REQUIRE(removed.ok());
  CHECK((*removed)->graph().Heads() == std::vector<std::string>{"r1"});

  // Nothing changed: the very same parse comes back (in stat mode once the files are older
  // than the filesystem's timestamp granularity).
  const auto an_hour_ago = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(through_symlink ? target : migrations + "/r1.sql", an_hour_ago);
  auto settled = cache.Get();
  REQUIRE(settled.ok());
  auto again = cache.Get();
  REQUIRE(again.ok());
  CHECK(again->get() == settled->get());
}

TEST_CASE("the script cache follows a directory path re-pointed at another release",
          "[scripts][cache]") {
  TempDir dir;
  std::filesystem::create_directories(dir / "release1");
  std::filesystem::create_directories(dir / "release2");
  WriteFile(dir / "release1/r1.sql", Revision("r1", "", "one"));
  WriteFile(dir / "release2/r1.sql", Revision("r1", "", "two"));
  std::filesystem::create_directory_symlink(dir / "release1", dir / "current");
  ScriptDirectoryCache cache(dir / "current", "sqlite");
  CHECK(UpgradeOf(cache, "r1") == "CREATE TABLE one (id INTEGER)");
  CHECK(cache.watching());
  // A deploy swaps the symlink atomically: no event in the watched (old) directory.
  std::filesystem::create_directory_symlink(dir / "release2", dir / "next");
  std::filesystem::rename(dir / "next", dir / "current");
  CHECK(UpgradeOf(cache, "r1") == "CREATE TABLE two (id INTEGER)");
}

TEST_CASE("database URLs: engines, paths, and passwords never shown", "[url]") {
  auto absolute = DatabaseUrl::Parse("sqlite:///var/lib/app/admin.db");
  REQUIRE(absolute.ok());
  CHECK(absolute->dialect() == "sqlite");
  CHECK(absolute->target() == "/var/lib/app/admin.db");
  CHECK(absolute->DatabaseName() == "admin");
  auto relative = DatabaseUrl::Parse("sqlite://data/admin.db");
  REQUIRE(relative.ok());
  CHECK(relative->target() == "data/admin.db");

  auto pg = DatabaseUrl::Parse("postgresql://app:s3cret@db.internal:5432/admin?sslmode=require");
  REQUIRE(pg.ok());
  CHECK(pg->dialect() == "postgresql");
  CHECK(pg->target() == "postgresql://app:s3cret@db.internal:5432/admin?sslmode=require");
  CHECK(pg->Redacted() == "postgresql://app:***@db.internal:5432/admin?sslmode=require");
  CHECK(pg->DatabaseName() == "admin");
  auto keyword = DatabaseUrl::Parse("postgres:///admin?host=/run/postgresql&password=hunter2");
  REQUIRE(keyword.ok());
  CHECK_THAT(keyword->Redacted(), !Catch::Contains("hunter2"));

  CHECK(DatabaseUrl::Parse("mysql://x/y").status().code() == ErrorCode::kInvalidArgument);
  auto bad = DatabaseUrl::Parse("mysql://u:pw@x/y");
  CHECK_THAT(bad.status().message(), !Catch::Contains(":pw@"));
  CHECK(DatabaseUrl::Parse("sqlite://").status().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace migrationd

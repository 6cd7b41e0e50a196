// ScriptDirectory on real files: the seed's chain loads; broken directories are refused with
// every error named by file and line.
#include "core/script_directory.h"

#include <catch2/catch.hpp>

#include "core/database_url.h"
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

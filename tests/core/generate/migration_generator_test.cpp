// GenerateMigration against a migration history we did not write for it: every consecutive
// pair of schemas of tests/corpus/realistic (369 revisions: tables, columns, keys, indexes,
// views, enums, backfills, merges), forwards and then backwards, on a real database of each
// engine. Each generated step is executed and the database must then have exactly the schema
// the scripts produce at that revision.
#include "core/generate/migration_generator.h"

#include <catch2/catch.hpp>

#include "core/engines/open_backend.h"
#include "core/run/expected_schema.h"
#include "core/run/scratch_walk.h"
#include "tests/test_support.h"

namespace migrationd {
namespace {

using testing::PostgresDatabase;
using testing::SqliteDatabase;

std::string Describe(const std::vector<SchemaDifference>& differences) {
  std::string text;
  for (const auto& difference : differences) text += difference.Describe() + "\n";
  return text;
}

// Runs one generated step as a revision would: one transaction, SQLite's foreign keys off
// around it when a table is rebuilt.
Status RunStep(Backend& db, std::string_view dialect, const GeneratedStatements& step) {
  const bool keys_off = dialect == kDialectSqlite && step.needs_foreign_keys_off;
  if (keys_off) MIGRATIOND_RETURN_IF_ERROR(db.Execute("PRAGMA foreign_keys = OFF"));
  MIGRATIOND_RETURN_IF_ERROR(db.Begin());
  for (const auto& statement : step.statements) {
    if (Status ran = db.Execute(statement); !ran.ok()) {
      db.Rollback();
      return ran.WithContext(statement);
    }
  }
  MIGRATIOND_RETURN_IF_ERROR(db.Commit());
  if (keys_off) MIGRATIOND_RETURN_IF_ERROR(db.Execute("PRAGMA foreign_keys = ON"));
  return Status::Ok();
}

// Moves `db` from `current` to `target` with generated statements and checks where it landed.
void Step(Backend& db, std::string_view dialect, NormalizedSchema& current,
          const NormalizedSchema& target, const std::string& label) {
  INFO(label);
  const GeneratedStatements step = GenerateMigration(current, target, dialect);
  std::string statements;
  for (const auto& statement : step.statements) statements += statement + "\n";
  INFO(statements);
  CHECK(Describe(step.not_generated).empty());
  Status ran = RunStep(db, dialect, step);
  INFO(ran.message());
  REQUIRE(ran.ok());
  auto reached = db.ReadSchema();
  REQUIRE(reached.ok());
  CHECK(Describe(DiffSchemas(target, *reached)).empty());
  current = std::move(reached).value();
}

}  // namespace

TEMPLATE_TEST_CASE("each consecutive pair of the realistic corpus's schemas is generated exactly",
                   "[generate][corpus]", SqliteDatabase, PostgresDatabase) {
  TestType like;
  auto url = DatabaseUrl::Parse(like.url());
  REQUIRE(url.ok());
  auto scripts = ScriptDirectory::Load(MIGRATIOND_SOURCE_DIR "/tests/corpus/realistic");
  REQUIRE(scripts.ok());
  ExpectedSchemas expected(*url, "");
  auto all = expected.All(*scripts);
  REQUIRE(all.ok());
  REQUIRE(all->size() > 300);

  auto scratch = OpenScratch(*url, "");
  REQUIRE(scratch.ok());
  Backend& db = *scratch->backend;
  NormalizedSchema current;
  for (const auto& [revision, schema] : *all) {
    Step(db, url->dialect(), current, schema, "forwards to " + revision);
  }
  for (size_t i = all->size() - 1; i-- > 0;) {
    Step(db, url->dialect(), current, (*all)[i].second, "backwards to " + (*all)[i].first);
  }
  Step(db, url->dialect(), current, NormalizedSchema(), "backwards to base");
}

}  // namespace migrationd

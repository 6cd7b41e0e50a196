// `migctl revision --autogenerate`: real migctl and migrationd processes, real SQLite files and
// the real PostgreSQL server. Each test builds the desired schema in a database of its own (as
// an application's create_all would), generates, and then checks what a user cares about: the
// file, the exit code, and that the scripts with the new revision produce exactly the desired
// schema on a fresh database, keep the rows of an existing one, and round-trip (verify).
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/engines/open_backend.h"
#include "core/run/scratch_walk.h"
#include "tests/daemon/daemon_harness.h"

namespace migrationd {
namespace {

using testing::Daemon;
using testing::PostgresDatabase;
using testing::Process;
using testing::Rows;
using testing::SqliteDatabase;
using testing::TempDir;
using testing::TestDatabase;

struct Generated {
  int exit_code = -1;
  std::string out, err;
  proto::GeneratedRevision revision;  // from --json
};

// migctl revision --autogenerate --json ..., with migrationd from the build tree.
Generated Autogenerate(const TempDir& dir, const std::string& migrations,
                       const std::string& desired_url, const std::string& message,
                       std::vector<std::string> extra = {}) {
  static int counter = 0;
  setenv("MIGCTL_MIGRATIOND", testing::MigrationdBinary().c_str(), 1);
  std::vector<std::string> argv = {testing::MigctlBinary(), "--json",  "revision",
                                   "--autogenerate",        "-m",      message,
                                   "--migrations",          migrations};
  if (!desired_url.empty()) argv.insert(argv.end(), {"--from-database", desired_url});
  argv.insert(argv.end(), extra.begin(), extra.end());
  Process process(argv, dir / ("autogenerate" + std::to_string(counter++)));
  Generated generated;
  generated.exit_code = process.Wait();
  generated.out = process.Stdout();
  generated.err = process.Stderr();
  proto::GeneratedRevisionLine line;
  if (google::protobuf::util::JsonStringToMessage(generated.out, &line).ok()) {
    generated.revision = line.revision();
  }
  return generated;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

NormalizedSchema SchemaOf(const std::string& url) {
  auto parsed = DatabaseUrl::Parse(url);
  REQUIRE(parsed.ok());
  auto backend = OpenBackendForReading(*parsed);
  REQUIRE(backend.ok());
  auto schema = (*backend)->ReadSchema();
  REQUIRE(schema.ok());
  return *schema;
}

// Brings `url`'s database to `heads` of the scripts in `directory` with the runner.
void UpgradeDatabase(const std::string& url, const std::string& directory,
                     const std::vector<std::string>& heads) {
  auto scripts = ScriptDirectory::Load(directory);
  REQUIRE(scripts.ok());
  auto parsed = DatabaseUrl::Parse(url);
  REQUIRE(parsed.ok());
  auto backend = OpenBackend(*parsed);
  REQUIRE(backend.ok());
  Status upgraded = UpgradeTo(*scripts, **backend, heads);
  INFO(upgraded.message());
  REQUIRE(upgraded.ok());
}

std::string Differences(const NormalizedSchema& expected, const NormalizedSchema& actual) {
  std::string text;
  for (const auto& difference : DiffSchemas(expected, actual)) text += difference.Describe() + "\n";
  return text;
}

// migrationd --verify on the directory: every revision's round trip.
int Verify(const TempDir& dir, const std::string& like_url, const std::string& migrations) {
  Process verify(
      {testing::MigrationdBinary(), "--verify", "--database", like_url, "--migrations", migrations},
      dir / "verify");
  const int code = verify.Wait();
  INFO(verify.Stdout() << verify.Stderr());
  CHECK(code == 0);
  return code;
}

const std::vector<std::string> kSeed = {"000_initial_base", "001_group_ai", "002_add_indexes",
                                        "003_add_script_version_management"};

}  // namespace

TEMPLATE_TEST_CASE("autogenerate regenerates the seed chain from base, one revision at a time",
                   "[daemon][autogenerate]", SqliteDatabase, PostgresDatabase) {
  TempDir dir;
  const std::string seed = dir / "seed";
  const std::string generated = dir / "generated";
  std::filesystem::create_directories(seed);
  std::filesystem::create_directories(generated);
  testing::CopySeedMigrations(seed);
  for (size_t k = 0; k < kSeed.size(); ++k) {
    INFO("desired: the schema at " << kSeed[k]);
    TestType desired;
    UpgradeDatabase(desired.url(), seed, {kSeed[k]});
    Generated run = Autogenerate(dir, generated, desired.url(), "step " + std::to_string(k));
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.revision.todo_size() == 0);
    REQUIRE(std::filesystem::exists(run.revision.path()));
    CHECK(run.revision.changes_size() > 0);

    // The generated chain on a fresh database gives exactly the desired schema.
    TestType fresh;
    auto scripts = ScriptDirectory::Load(generated);
    REQUIRE(scripts.ok());
    CHECK(scripts->graph().size() == k + 1);
    UpgradeDatabase(fresh.url(), generated, scripts->graph().Heads());
    const NormalizedSchema want = SchemaOf(desired.url()), got = SchemaOf(fresh.url());
    INFO(Differences(want, got));
    CHECK(got.Fingerprint() == want.Fingerprint());
  }
  TestType like;
  Verify(dir, like.url(), generated);

  // Once the desired schema is the head's, there is nothing to write.
  TestType at_head;
  UpgradeDatabase(at_head.url(), seed, {kSeed.back()});
  Generated none = Autogenerate(dir, generated, at_head.url(), "nothing");
  INFO(none.out << none.err);
  CHECK(none.exit_code == 0);
  CHECK(none.revision.changes_size() == 0);
  CHECK(none.revision.path().empty());
  CHECK(ScriptDirectory::Load(generated)->graph().size() == kSeed.size());
}

namespace {

// A small project: a parent table and a child with a foreign key, an index, a view and a
// trigger, and rows in both.
constexpr const char* kBaseRevision = R"(-- revision: 001_base
-- parents:
-- +upgrade
CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title VARCHAR(20) NOT NULL,
    legacy TEXT
);
CREATE INDEX ix_posts_title ON posts (title);
CREATE VIEW post_titles AS SELECT id, title FROM posts;
-- +downgrade
DROP VIEW post_titles;
DROP TABLE posts;
DROP TABLE authors;
)";

// The desired shape: posts.title wider and with a default, legacy gone, a new column with its
// own index, a check, a changed view, a new table pointing at posts.
// The same text on both engines, as create_all would issue it.
constexpr const char* kDesired = R"(
CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, bio TEXT);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title VARCHAR(200) NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0 CHECK (score >= 0)
);
CREATE INDEX ix_posts_title ON posts (title);
CREATE INDEX ix_posts_score ON posts (score);
CREATE VIEW post_titles AS SELECT id, title, score FROM posts;
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id), body TEXT);
)";
// A scripts directory in `dir` with the base revision alone.
std::string ProjectAtBase(const TempDir& dir) {
  const std::string migrations = dir / "migrations";
  std::filesystem::create_directories(migrations);
  testing::WriteFile(migrations + "/001_base.sql", kBaseRevision);
  return migrations;
}

void ExecEach(TestDatabase& db, const std::string& script) {
  std::stringstream statements(script);
  std::string statement;
  while (std::getline(statements, statement, ';')) {
    if (statement.find_first_not_of(" \n") != std::string::npos) db.Exec(statement);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("autogenerate changes columns, keys, indexes and views and keeps the rows",
                   "[daemon][autogenerate]", SqliteDatabase, PostgresDatabase) {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  TestType desired;
  ExecEach(desired, kDesired);

  Generated run = Autogenerate(dir, migrations, desired.url(), "reshape posts");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.revision.todo_size() == 0);
  const std::string script = ReadText(run.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("-- parents: 001_base"));
  // The header says what cannot be given back, each way; `show` repeats it.
  const std::string loses = script.substr(
      script.find("-- loses-data: "),
      script.find('\n', script.find("-- loses-data: ")) - script.find("-- loses-data: "));
  CHECK_THAT(loses, Catch::StartsWith("-- loses-data: upgrade: column posts.legacy; downgrade: ") &&
                        Catch::Contains("table comments") &&
                        Catch::Contains("column authors.bio") &&
                        Catch::Contains("column posts.score"));
  // The downgrade says what it cannot give back.
  CHECK_THAT(script, Catch::Contains("Loses data: column posts.score dropped"));
  if (desired.dialect() == "sqlite") {
    // posts changes in ways ALTER TABLE cannot: rebuilt, with foreign keys off around it;
    // authors only gains a column: in place.
    CHECK_THAT(script, Catch::Contains("-- sqlite-foreign-keys: off"));
    CHECK_THAT(script, Catch::Contains("INSERT INTO \"_migrationd_new_posts\""));
    CHECK_THAT(script, Catch::Contains("ALTER TABLE authors ADD COLUMN bio TEXT;"));
  } else {
    CHECK_THAT(script, Catch::Contains("ALTER TABLE posts ALTER COLUMN title TYPE character "
                                       "varying(200)"));
    CHECK_THAT(script, Catch::Contains("ALTER TABLE posts DROP COLUMN legacy;"));
  }

  // A database at the base with rows, upgraded by a real daemon through the new revision.
  TestType live;
  UpgradeDatabase(live.url(), migrations, {"001_base"});
  live.Exec("INSERT INTO authors (id, name) VALUES (1, 'ann'), (2, 'bob')");
  live.Exec(
      "INSERT INTO posts (id, author_id, title, legacy) VALUES (10, 1, 'hello', 'x'), "
      "(11, 2, 'world', NULL)");
  {
    Daemon daemon(dir, "d", live.url(), migrations);
    testing::MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
    INFO(upgraded.out << upgraded.err);
    REQUIRE(upgraded.exit_code == 0);
  }
  const NormalizedSchema want = SchemaOf(desired.url()), got = SchemaOf(live.url());
  INFO(Differences(want, got));
  CHECK(got.Fingerprint() == want.Fingerprint());
  {
    Daemon daemon(dir, "show", live.url(), migrations);
    testing::MigctlRun shown = daemon.Migctl({"show", run.revision.id()});
    REQUIRE(shown.result().revisions_size() == 1);
    CHECK_THAT(shown.result().revisions(0).loses_data(), Catch::Contains("column posts.legacy"));
  }
  CHECK(live.Query("SELECT p.id, a.name, p.title, p.score FROM posts p JOIN authors a ON "
                   "a.id = p.author_id ORDER BY p.id") ==
        Rows{{"10", "ann", "hello", "0"}, {"11", "bob", "world", "0"}});
  // The foreign key from posts to authors still holds and still cascades.
  live.Exec("DELETE FROM authors WHERE id = 1");
  CHECK(live.Query("SELECT id FROM posts ORDER BY id") == Rows{{"11"}});
  Verify(dir, desired.url(), migrations);
}

TEST_CASE("autogenerate lists what it cannot generate as TODO lines and exits 7",
          "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  // Partitioned tables are not generated (docs/MIGRATION_GUIDE.md lists what is): one item
  // for the table and all of it.
  desired.Exec("CREATE TABLE events (id integer, at date) PARTITION BY RANGE (at)");
  desired.Exec("ALTER TABLE authors ADD COLUMN bio text");

  Generated run = Autogenerate(dir, migrations, desired.url(), "partitioned");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 7);
  REQUIRE(run.revision.todo_size() == 1);
  CHECK_THAT(run.revision.todo(0),
             Catch::Contains("+ table events partitioned") &&
                 Catch::Contains("not generated; write its upgrade and downgrade by hand"));
  const std::string script = ReadText(run.revision.path());
  CHECK_THAT(script, Catch::Contains("-- TODO: + table events partitioned"));
  // What could be generated is there, and checked.
  CHECK_THAT(script, Catch::Contains("ALTER TABLE authors ADD COLUMN bio text;"));
}

TEST_CASE(
    "autogenerate writes PostgreSQL domains, composite and range types, comments and policies",
    "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  // The head has comments: one changes, one goes.
  testing::WriteFile(migrations + "/002_comment.sql",
                     "-- revision: 002_comment\n-- parents: 001_base\n-- +upgrade postgresql\n"
                     "COMMENT ON TABLE posts IS 'old';\nCOMMENT ON COLUMN posts.title IS 'gone';\n"
                     "-- +downgrade postgresql\nCOMMENT ON TABLE posts IS NULL;\n"
                     "COMMENT ON COLUMN posts.title IS NULL;\n-- +upgrade sqlite\nSELECT 1;\n"
                     "-- +downgrade sqlite\nSELECT 1;\n");
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"002_comment"});
  desired.Exec("COMMENT ON TABLE posts IS 'the base''s posts'");
  desired.Exec("COMMENT ON COLUMN posts.title IS NULL");
  desired.Exec("CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0)");
  desired.Exec("CREATE TYPE point2 AS (x double precision, y double precision)");
  desired.Exec("CREATE TYPE floatrange AS RANGE (subtype = float8)");
  desired.Exec(
      "ALTER TABLE posts ADD COLUMN votes positive, ADD COLUMN at point2, "
      "ADD COLUMN span floatrange");
  desired.Exec("COMMENT ON COLUMN authors.name IS 'shown on every post'");
  desired.Exec("ALTER TABLE posts ENABLE ROW LEVEL SECURITY");
  desired.Exec("ALTER TABLE posts FORCE ROW LEVEL SECURITY");
  desired.Exec("CREATE POLICY own_posts ON posts FOR SELECT TO PUBLIC USING (author_id > 0)");

  Generated run = Autogenerate(dir, migrations, desired.url(), "types");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.revision.todo_size() == 0);
  const std::string script = ReadText(run.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL"));
  CHECK_THAT(script, Catch::Contains("COMMENT ON COLUMN authors.name IS 'shown on every post';"));
  CHECK_THAT(script, Catch::Contains("COMMENT ON COLUMN posts.title IS NULL;"));
  CHECK_THAT(script, Catch::Contains("COMMENT ON TABLE posts IS 'the base''s posts';"));
  CHECK_THAT(script, Catch::Contains("CREATE POLICY own_posts ON posts AS PERMISSIVE FOR SELECT"));
  CHECK_THAT(script, Catch::Contains("ALTER TABLE posts FORCE ROW LEVEL SECURITY;"));

  PostgresDatabase fresh;
  UpgradeDatabase(fresh.url(), migrations, {run.revision.id()});
  const NormalizedSchema want = SchemaOf(desired.url()), got = SchemaOf(fresh.url());
  INFO(Differences(want, got));
  CHECK(got.Fingerprint() == want.Fingerprint());
  Verify(dir, desired.url(), migrations);
}

TEST_CASE(
    "autogenerate writes PostgreSQL enums, functions and triggers, and a new label in its place",
    "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  desired.Exec("CREATE TYPE mood AS ENUM ('sad', 'happy')");
  desired.Exec("ALTER TABLE posts ADD COLUMN mood mood NOT NULL DEFAULT 'happy'");
  desired.Exec("ALTER TABLE posts ADD COLUMN touched_at timestamptz");
  desired.Exec(
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.touched_at := now(); RETURN NEW; END $$");
  desired.Exec(
      "CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch()");
  Generated first = Autogenerate(dir, migrations, desired.url(), "moods");
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  const std::string script = ReadText(first.revision.path());
  CHECK_THAT(script, Catch::Contains("CREATE TYPE mood AS ENUM ('sad', 'happy');"));
  // The body as written: pg_get_functiondef's text, not the normalized (lower-cased) one.
  CHECK_THAT(script, Catch::Contains("NEW.touched_at := now()"));

  // A label between the two: ADD VALUE ... AFTER, in place; the downgrade makes the type again.
  desired.Exec("ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad'");
  Generated second = Autogenerate(dir, migrations, desired.url(), "meh");
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  const std::string added = ReadText(second.revision.path());
  CHECK_THAT(added, Catch::Contains("ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';"));
  CHECK_THAT(added, Catch::Contains("ALTER TYPE mood RENAME TO mood_migrationd_old;"));

  // Rows through a real daemon: the trigger fires, the enum holds the new label.
  PostgresDatabase live;
  UpgradeDatabase(live.url(), migrations, {"001_base"});
  live.Exec("INSERT INTO authors VALUES (1, 'ann')");
  live.Exec("INSERT INTO posts (id, author_id, title) VALUES (1, 1, 'x')");
  {
    Daemon daemon(dir, "d", live.url(), migrations);
    testing::MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
    INFO(upgraded.out << upgraded.err);
    REQUIRE(upgraded.exit_code == 0);
  }
  live.Exec("UPDATE posts SET mood = 'meh'");
  CHECK(live.Query("SELECT mood, touched_at IS NOT NULL FROM posts") == Rows{{"meh", "t"}});
  CHECK(SchemaOf(live.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  Verify(dir, desired.url(), migrations);
}

TEST_CASE("autogenerate --sql-only prints the script and writes nothing",
          "[daemon][autogenerate]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  SqliteDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  desired.Exec("CREATE INDEX ix_authors_name ON authors (name)");
  setenv("MIGCTL_MIGRATIOND", testing::MigrationdBinary().c_str(), 1);
  Process process({testing::MigctlBinary(), "revision", "--autogenerate", "-m", "index",
                   "--migrations", migrations, "--from-database", desired.url(), "--sql-only"},
                  dir / "sql-only");
  CHECK(process.Wait() == 0);
  CHECK_THAT(process.Stdout(),
             Catch::Contains("-- revision: 002_index") &&
                 Catch::Contains("CREATE INDEX ix_authors_name ON authors (name);") &&
                 Catch::Contains("DROP INDEX ix_authors_name;"));
  CHECK_THAT(process.Stderr(), Catch::Contains("+ index ix_authors_name"));
  CHECK_FALSE(std::filesystem::exists(migrations + "/002_index.sql"));
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE("autogenerate --from-schema reads a schema.sql as SQLite would run it",
          "[daemon][autogenerate]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  // As `sqlite3 DB .schema` prints it: SQLite's own table included, which cannot be created.
  const std::string schema_file = dir / "schema.sql";
  testing::WriteFile(schema_file,
                     std::string(kDesired) + "CREATE TABLE sqlite_sequence(name,seq);\n");
  SqliteDatabase desired;
  ExecEach(desired, kDesired);

  Generated run = Autogenerate(dir, migrations, "", "from schema", {"--from-schema", schema_file});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.revision.todo_size() == 0);
  SqliteDatabase fresh;
  UpgradeDatabase(fresh.url(), migrations, {run.revision.id()});
  const NormalizedSchema want = SchemaOf(desired.url()), got = SchemaOf(fresh.url());
  INFO(Differences(want, got));
  CHECK(got.Fingerprint() == want.Fingerprint());

  // A statement the engine refuses names the file's line; nothing is written.
  testing::WriteFile(schema_file,
                     "CREATE TABLE a (id INTEGER);\n\nCREATE TABLE b (id INTEGR NOT NULL,);\n");
  Generated bad = Autogenerate(dir, migrations, "", "bad", {"--from-schema", schema_file});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Catch::Contains(schema_file + ":3: "));
  CHECK(ScriptDirectory::Load(migrations)->graph().size() == 2);
}

TEST_CASE("autogenerate --from-schema reads pg_dump --schema-only output",
          "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  ExecEach(desired, kDesired);
  desired.Exec("CREATE TYPE mood AS ENUM ('sad', 'happy')");
  desired.Exec("ALTER TABLE posts ADD COLUMN mood mood");
  const char* bindir = std::getenv("MIGRATIOND_TEST_PG_BINDIR");
  REQUIRE(bindir != nullptr);
  const std::string dump = dir / "schema.sql";
  Process pg_dump({std::string(bindir) + "/pg_dump", "--schema-only", "--file", dump, "--dbname",
                   desired.url()},
                  dir / "pg_dump");
  REQUIRE(pg_dump.Wait() == 0);

  Generated run = Autogenerate(dir, migrations, "", "from dump",
                               {"--from-schema", dump, "--dialect", "postgresql",
                                "--scratch-database", PostgresDatabase::ClusterUrl()});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.revision.todo_size() == 0);
  PostgresDatabase fresh;
  UpgradeDatabase(fresh.url(), migrations, {run.revision.id()});
  const NormalizedSchema want = SchemaOf(desired.url()), got = SchemaOf(fresh.url());
  INFO(Differences(want, got));
  CHECK(got.Fingerprint() == want.Fingerprint());
}

}  // namespace migrationd

namespace migrationd {

TEMPLATE_TEST_CASE(
    "autogenerate names a likely rename, and --rename makes it a RENAME that keeps the rows",
    "[daemon][autogenerate]", SqliteDatabase, PostgresDatabase) {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  TestType desired;
  ExecEach(desired, R"(
CREATE TABLE writers (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES writers (id) ON DELETE CASCADE,
    headline VARCHAR(20) NOT NULL,
    legacy TEXT
);
CREATE INDEX ix_posts_title ON posts (headline);
CREATE VIEW post_titles AS SELECT id, headline AS title FROM posts;
)");

  // Without a hint: drop and add, and the hints name what to pass.
  Generated guessed = Autogenerate(dir, migrations, desired.url(), "renames", {"--sql-only"});
  INFO(guessed.out << guessed.err);
  REQUIRE(guessed.exit_code == 0);
  REQUIRE(guessed.revision.likely_renames_size() == 2);
  CHECK_THAT(guessed.revision.likely_renames(0) + guessed.revision.likely_renames(1),
             Catch::Contains("--rename column:posts.title=headline") &&
                 Catch::Contains("--rename table:authors=writers"));
  CHECK_THAT(guessed.revision.script(),
             Catch::Contains("-- Rename? table authors and table writers"));

  // A rename of what is not there is refused, naming it; nothing is written.
  Generated wrong =
      Autogenerate(dir, migrations, desired.url(), "renames", {"--rename", "table:nosuch=writers"});
  CHECK(wrong.exit_code == 2);
  CHECK_THAT(wrong.out, Catch::Contains("there is no table nosuch"));

  Generated renamed = Autogenerate(
      dir, migrations, desired.url(), "renames",
      {"--rename", "column:posts.title=headline", "--rename", "table:authors=writers"});
  INFO(renamed.out << renamed.err);
  REQUIRE(renamed.exit_code == 0);
  CHECK(renamed.revision.likely_renames_size() == 0);
  const std::string script = ReadText(renamed.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("ALTER TABLE authors RENAME TO writers;"));
  CHECK_THAT(script, Catch::Contains("ALTER TABLE posts RENAME COLUMN title TO headline;"));
  CHECK_THAT(script, Catch::Contains("ALTER TABLE writers RENAME TO authors;"));
  CHECK_THAT(script, !Catch::Contains("DROP TABLE authors"));

  TestType live;
  UpgradeDatabase(live.url(), migrations, {"001_base"});
  live.Exec("INSERT INTO authors (id, name) VALUES (1, 'ann')");
  live.Exec("INSERT INTO posts (id, author_id, title) VALUES (10, 1, 'hello')");
  {
    Daemon daemon(dir, "d", live.url(), migrations);
    testing::MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
    INFO(upgraded.out << upgraded.err);
    REQUIRE(upgraded.exit_code == 0);
  }
  CHECK(live.Query("SELECT w.name, p.headline FROM posts p JOIN writers w ON w.id = p.author_id") ==
        Rows{{"ann", "hello"}});
  CHECK(SchemaOf(live.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  Verify(dir, desired.url(), migrations);
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE(
    "autogenerate rebuilds a SQLite parent table with rows: children's keys, indexes and "
    "triggers kept",
    "[daemon][autogenerate]") {
  TempDir dir;
  const std::string migrations = dir / "migrations";
  std::filesystem::create_directories(migrations);
  testing::WriteFile(migrations + "/001_base.sql", R"(-- revision: 001_base
-- parents:
-- +upgrade sqlite
CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR(10));
CREATE TABLE child (id INTEGER PRIMARY KEY,
                    parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);
CREATE TABLE audit (parent_id INTEGER, at TEXT);
CREATE INDEX ix_parent_name ON parent (name);
CREATE TRIGGER parent_audit AFTER UPDATE ON parent
BEGIN
  INSERT INTO audit (parent_id, at) VALUES (NEW.id, 'now');
END;
-- +downgrade sqlite
DROP TABLE audit;
DROP TABLE child;
DROP TABLE parent;
)");
  SqliteDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  // name: another type, NOT NULL with a default: a rebuild of the parent.
  desired.Exec("PRAGMA foreign_keys = OFF");
  desired.Exec("CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')");
  desired.Exec("DROP TABLE parent");
  desired.Exec("ALTER TABLE parent_new RENAME TO parent");
  desired.Exec("CREATE INDEX ix_parent_name ON parent (name)");
  desired.Exec(
      "CREATE TRIGGER parent_audit AFTER UPDATE ON parent BEGIN INSERT INTO audit "
      "(parent_id, at) VALUES (NEW.id, 'now'); END");

  Generated run = Autogenerate(dir, migrations, desired.url(), "parent name");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const std::string script = ReadText(run.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("-- sqlite-foreign-keys: off") &&
                         Catch::Contains("INSERT INTO \"_migrationd_new_parent\" (id, name)"));

  SqliteDatabase live;
  UpgradeDatabase(live.url(), migrations, {"001_base"});
  live.Exec("INSERT INTO parent VALUES (1, 'one'), (2, 'two')");
  live.Exec("INSERT INTO child VALUES (10, 1), (20, 2)");
  {
    Daemon daemon(dir, "d", live.url(), migrations);
    testing::MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
    INFO(upgraded.out << upgraded.err);
    REQUIRE(upgraded.exit_code == 0);
  }
  CHECK(SchemaOf(live.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  CHECK(live.Query("SELECT id, name FROM parent ORDER BY id") == Rows{{"1", "one"}, {"2", "two"}});
  // The trigger was made again and fires; the children's key still cascades.
  live.Exec("UPDATE parent SET name = 'uno' WHERE id = 1");
  CHECK(live.Query("SELECT parent_id FROM audit") == Rows{{"1"}});
  live.Exec("PRAGMA foreign_keys = ON");
  live.Exec("DELETE FROM parent WHERE id = 2");
  CHECK(live.Query("SELECT id FROM child") == Rows{{"10"}});
  CHECK(live.Query("PRAGMA foreign_key_check") == Rows{});
  Verify(dir, desired.url(), migrations);
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE("autogenerate --online writes PostgreSQL's non-blocking forms for existing tables",
          "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  desired.Exec("CREATE INDEX ix_posts_author ON posts (author_id)");
  desired.Exec("ALTER TABLE authors ADD CONSTRAINT authors_name_key UNIQUE (name)");
  desired.Exec("ALTER TABLE posts ADD CONSTRAINT posts_title_check CHECK (length(title) > 0)");
  desired.Exec("ALTER TABLE posts ADD COLUMN editor_id integer");
  desired.Exec(
      "ALTER TABLE posts ADD CONSTRAINT posts_editor_fkey FOREIGN KEY (editor_id) "
      "REFERENCES authors (id)");
  desired.Exec("ALTER TABLE posts ALTER COLUMN legacy SET NOT NULL");
  desired.Exec("CREATE TABLE tags (id integer PRIMARY KEY, post_id integer REFERENCES posts (id))");
  desired.Exec("CREATE INDEX ix_tags_post ON tags (post_id)");

  Generated run = Autogenerate(dir, migrations, desired.url(), "online", {"--online"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const std::string script = ReadText(run.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("-- transaction: none"));
  CHECK_THAT(script, Catch::Contains("CREATE INDEX CONCURRENTLY ix_posts_author ON"));
  CHECK_THAT(script, Catch::Contains("CREATE UNIQUE INDEX CONCURRENTLY authors_name_key ON "
                                     "authors (name);") &&
                         Catch::Contains("ADD CONSTRAINT authors_name_key UNIQUE USING INDEX "
                                         "authors_name_key;"));
  CHECK_THAT(script,
             Catch::Contains("posts_title_check CHECK (length(title::text) > 0) NOT VALID;") &&
                 Catch::Contains("VALIDATE CONSTRAINT posts_title_check;"));
  CHECK_THAT(script, Catch::Contains("REFERENCES authors(id) NOT VALID;") &&
                         Catch::Contains("VALIDATE CONSTRAINT posts_editor_fkey;"));
  CHECK_THAT(script, Catch::Contains("ADD CONSTRAINT legacy_not_null CHECK (legacy IS NOT NULL) "
                                     "NOT VALID;") &&
                         Catch::Contains("DROP CONSTRAINT legacy_not_null;"));
  // A table the revision creates has no rows to wait for: the plain forms.
  CHECK_THAT(script, Catch::Contains("CREATE INDEX ix_tags_post ON"));
  CHECK_THAT(script, Catch::Contains("DROP INDEX CONCURRENTLY ix_posts_author;"));

  PostgresDatabase live;
  UpgradeDatabase(live.url(), migrations, {"001_base"});
  live.Exec("INSERT INTO authors VALUES (1, 'ann'), (2, 'bob')");
  live.Exec("INSERT INTO posts (id, author_id, title, legacy) VALUES (10, 1, 'x', 'kept')");
  {
    Daemon daemon(dir, "d", live.url(), migrations);
    testing::MigctlRun upgraded = daemon.Migctl({"upgrade", "--no-backup"});
    INFO(upgraded.out << upgraded.err);
    REQUIRE(upgraded.exit_code == 0);
  }
  CHECK(SchemaOf(live.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  CHECK(live.Query("SELECT legacy FROM posts") == Rows{{"kept"}});
  Verify(dir, desired.url(), migrations);
}

}  // namespace migrationd

namespace migrationd {

TEMPLATE_TEST_CASE(
    "column order is its own kind of difference: reported by check, rebuilt on SQLite",
    "[daemon][autogenerate]", SqliteDatabase, PostgresDatabase) {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  // The same tables, posts' columns in another order (as a create_all from models would).
  TestType desired;
  ExecEach(desired, R"(
CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    title VARCHAR(20) NOT NULL,
    legacy TEXT,
    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE
);
CREATE INDEX ix_posts_title ON posts (title);
CREATE VIEW post_titles AS SELECT id, title FROM posts;
)");
  // check --schema on that database: not drift (exit 0), and the order is named.
  UpgradeDatabase(desired.url(), migrations, {});  // migrationd's own tables
  {
    Daemon daemon(dir, "check", desired.url(), migrations);
    REQUIRE(daemon.Migctl({"stamp", "001_base", "--force"}).exit_code == 0);
    testing::MigctlRun check = daemon.Migctl({"check", "--schema"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    REQUIRE(check.result().column_order_size() == 1);
    CHECK(check.result().column_order(0).text() ==
          "~ column order posts: (id, author_id, title, legacy) -> (id, title, legacy, author_id)");
  }

  Generated run = Autogenerate(dir, migrations, desired.url(), "order");
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  REQUIRE(run.revision.column_order_size() == 1);
  if (desired.dialect() == "sqlite") {
    // Rebuilt in the desired order, with the rows.
    REQUIRE_FALSE(run.revision.path().empty());
    SqliteDatabase fresh;
    UpgradeDatabase(fresh.url(), migrations, {"001_base"});
    fresh.Exec("INSERT INTO authors VALUES (1, 'ann')");
    fresh.Exec("INSERT INTO posts VALUES (7, 1, 'hi', 'old')");
    UpgradeDatabase(fresh.url(), migrations, {run.revision.id()});
    CHECK(fresh.Query("SELECT * FROM posts") == Rows{{"7", "hi", "old", "1"}});
  } else {
    // PostgreSQL cannot reorder columns in place: said, nothing written, not a TODO.
    CHECK(run.revision.path().empty());
    CHECK(run.revision.todo_size() == 0);
  }
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE("autogenerate keeps what SQLite's ADD COLUMN would lose: a new column's collation",
          "[daemon][autogenerate]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  SqliteDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  desired.Exec("ALTER TABLE authors ADD COLUMN nick TEXT COLLATE NOCASE");
  Generated run = Autogenerate(dir, migrations, desired.url(), "nick");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  SqliteDatabase live;
  UpgradeDatabase(live.url(), migrations, {run.revision.id()});
  live.Exec("INSERT INTO authors (id, name, nick) VALUES (1, 'ann', 'Ann')");
  CHECK(live.Query("SELECT count(*) FROM authors WHERE nick = 'ANN'") == Rows{{"1"}});
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE(
    "autogenerate adds, switches and drops identity columns, alters sequences and changes a "
    "generated column",
    "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  desired.Exec("ALTER TABLE authors ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY");
  desired.Exec("CREATE SEQUENCE invoice_no START 1000");
  Generated first = Autogenerate(dir, migrations, desired.url(), "identity");
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(ReadText(first.revision.path()),
             Catch::Contains("ALTER TABLE authors ALTER COLUMN id ADD GENERATED BY DEFAULT AS "
                             "IDENTITY;") &&
                 Catch::Contains("ALTER TABLE authors ALTER COLUMN id DROP IDENTITY;"));

  desired.Exec("ALTER TABLE authors ALTER COLUMN id SET GENERATED ALWAYS");
  // A stored generated column whose expression changes (made here, changed below).
  desired.Exec(
      "ALTER TABLE authors ADD COLUMN shout text GENERATED ALWAYS AS (upper(name)) "
      "STORED");
  desired.Exec("ALTER SEQUENCE invoice_no INCREMENT 5");
  Generated second = Autogenerate(dir, migrations, desired.url(), "always");
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  const std::string script = ReadText(second.revision.path());
  CHECK_THAT(script, Catch::Contains("SET GENERATED ALWAYS;") &&
                         Catch::Contains("ALTER SEQUENCE invoice_no AS bigint START 1000 "
                                         "INCREMENT 5"));

  desired.Exec("ALTER TABLE authors DROP COLUMN shout");
  desired.Exec(
      "ALTER TABLE authors ADD COLUMN shout text GENERATED ALWAYS AS (lower(name)) "
      "STORED");
  Generated third = Autogenerate(dir, migrations, desired.url(), "shout");
  INFO(third.out << third.err);
  REQUIRE(third.exit_code == 0);
  CHECK(third.revision.todo_size() == 0);

  PostgresDatabase fresh;
  UpgradeDatabase(fresh.url(), migrations, {third.revision.id()});
  CHECK(SchemaOf(fresh.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  fresh.Exec("INSERT INTO authors (name) VALUES ('Ann')");
  CHECK(fresh.Query("SELECT shout FROM authors") == Rows{{"ann"}});
  Verify(dir, desired.url(), migrations);
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE("autogenerate with a desired database per engine writes both engines' sections",
          "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  SqliteDatabase sqlite_desired;
  PostgresDatabase postgres_desired;
  ExecEach(sqlite_desired, kDesired);
  ExecEach(postgres_desired, kDesired);

  Generated run = Autogenerate(dir, migrations, sqlite_desired.url(), "both engines",
                               {"--from-database", postgres_desired.url()});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.revision.todo_size() == 0);
  const std::string script = ReadText(run.revision.path());
  INFO(script);
  CHECK_THAT(script, Catch::Contains("-- +upgrade sqlite") &&
                         Catch::Contains("-- +downgrade sqlite") &&
                         Catch::Contains("-- +upgrade postgresql") &&
                         Catch::Contains("-- +downgrade postgresql"));
  // Each engine's items say whose they are.
  CHECK_THAT(run.revision.changes(0).object(),
             Catch::StartsWith("sqlite: ") || Catch::StartsWith("postgresql: "));

  SqliteDatabase sqlite_fresh;
  PostgresDatabase postgres_fresh;
  UpgradeDatabase(sqlite_fresh.url(), migrations, {run.revision.id()});
  UpgradeDatabase(postgres_fresh.url(), migrations, {run.revision.id()});
  CHECK(SchemaOf(sqlite_fresh.url()).Fingerprint() == SchemaOf(sqlite_desired.url()).Fingerprint());
  CHECK(SchemaOf(postgres_fresh.url()).Fingerprint() ==
        SchemaOf(postgres_desired.url()).Fingerprint());
  Verify(dir, sqlite_desired.url(), migrations);
  Verify(dir, postgres_desired.url(), migrations);

  // Two desired schemas for one engine is a usage error.
  SqliteDatabase other;
  Generated twice = Autogenerate(dir, migrations, sqlite_desired.url(), "twice",
                                 {"--from-database", other.url()});
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.out, Catch::Contains("two desired schemas for sqlite"));
}

}  // namespace migrationd

namespace migrationd {

TEST_CASE(
    "autogenerate changes PostgreSQL function bodies, triggers, policies and materialized "
    "views, and adds exclusion constraints",
    "[daemon][autogenerate][postgresql]") {
  TempDir dir;
  const std::string migrations = ProjectAtBase(dir);
  PostgresDatabase desired;
  UpgradeDatabase(desired.url(), migrations, {"001_base"});
  const auto step = [&](const std::string& message) {
    Generated run = Autogenerate(dir, migrations, desired.url(), message);
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.revision.todo_size() == 0);
    return ReadText(run.revision.path());
  };
  desired.Exec(
      "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.title := NEW.title; RETURN NEW; END $$");
  desired.Exec(
      "CREATE TRIGGER posts_stamp BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION "
      "stamp()");
  desired.Exec("ALTER TABLE posts ENABLE ROW LEVEL SECURITY");
  desired.Exec("CREATE POLICY mine ON posts USING (author_id > 0)");
  desired.Exec(
      "CREATE MATERIALIZED VIEW title_counts AS SELECT title, count(*) AS n FROM posts "
      "GROUP BY title");
  desired.Exec(
      "ALTER TABLE authors ADD CONSTRAINT authors_name_excl EXCLUDE USING btree (name "
      "WITH =)");
  CHECK_THAT(step("add them"), Catch::Contains("CREATE MATERIALIZED VIEW title_counts AS") &&
                                   Catch::Contains("EXCLUDE USING btree (name WITH =)"));

  desired.Exec(
      "CREATE OR REPLACE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.title := upper(NEW.title); RETURN NEW; END $$");
  desired.Exec("DROP TRIGGER posts_stamp ON posts");
  desired.Exec(
      "CREATE TRIGGER posts_stamp BEFORE INSERT OR UPDATE ON posts FOR EACH ROW "
      "EXECUTE FUNCTION stamp()");
  desired.Exec("DROP POLICY mine ON posts");
  desired.Exec("CREATE POLICY mine ON posts USING (author_id > 1)");
  desired.Exec("DROP MATERIALIZED VIEW title_counts");
  desired.Exec(
      "CREATE MATERIALIZED VIEW title_counts AS SELECT title, count(*) AS posts FROM "
      "posts GROUP BY title");
  const std::string changed = step("change them");
  CHECK_THAT(changed, Catch::Contains("NEW.title := upper(NEW.title)") &&
                          Catch::Contains("DROP POLICY mine ON posts;") &&
                          Catch::Contains("DROP MATERIALIZED VIEW title_counts;"));

  PostgresDatabase fresh;
  UpgradeDatabase(fresh.url(), migrations, ScriptDirectory::Load(migrations)->graph().Heads());
  CHECK(SchemaOf(fresh.url()).Fingerprint() == SchemaOf(desired.url()).Fingerprint());
  Verify(dir, desired.url(), migrations);
}

}  // namespace migrationd

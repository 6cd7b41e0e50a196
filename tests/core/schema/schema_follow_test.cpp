// Backend::FollowSchemaChanges on PostgreSQL (and SQLite's kept pragma answers): a read that takes
// again only what changed must equal a whole read of the same database on another connection, after
// every step of a history we did not write (tests/corpus/realistic, walked the way verify walks it:
// up, down, up again) and after DDL chosen to break it: renames that change other objects'
// definitions, partitions PostgreSQL fills inside one command, a role without privileges, a replica
// session, DISCARD. A cache whose one bug would be a false "verified" is compared here, not
// trusted.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>

#include "core/engines/open_backend.h"
#include "core/run/scratch_walk.h"
#include "tests/test_support.h"

namespace migrationd {
namespace {

using testing::PostgresDatabase;
using testing::SqliteDatabase;
using testing::TempDir;

// Everything a read says: the definitions and what recreates each object.
std::string Dump(const NormalizedSchema& schema) {
  std::string text = schema.Text();
  for (const auto& [object, definition] : schema.objects()) {
    if (const ObjectSource* source = schema.source(object)) {
      text += object + " <- " + source->table + "|" + source->name + "|" + source->sql + "|" +
              source->type + "|" + (source->not_null ? "1" : "0") + "|" + source->default_sql +
              "|" + std::to_string(source->ordinal) + "|" + (source->owned ? "1" : "0") + "\n";
    }
  }
  return text;
}

std::unique_ptr<Backend> Open(const DatabaseUrl& url) {
  auto backend = OpenBackend(url);
  if (!backend.ok()) FAIL(backend.status().ToString());
  return std::move(backend).value();
}

NormalizedSchema Read(Backend& db) {
  auto schema = db.ReadSchema();
  if (!schema.ok()) FAIL(schema.status().ToString());
  return std::move(schema).value();
}

// The followed read equals the whole read, object by object.
void CheckSame(const NormalizedSchema& followed, Backend& whole_reader, const std::string& label) {
  INFO(label);
  const NormalizedSchema whole = Read(whole_reader);
  std::string differences;
  for (const auto& difference : DiffSchemas(whole, followed)) {
    differences += difference.Describe() + "\n";
  }
  INFO("followed read against whole read:\n" << differences);
  CHECK(differences.empty());
  CHECK(Dump(followed) == Dump(whole));
}

}  // namespace

namespace {

// Walks tests/corpus/realistic as verify walks it (each revision up, down and up again, branch
// by branch) on a scratch database like `like`, and hands `compare` the walk's own read at each
// of the 1,107 states.
void WalkRealisticCorpus(
    const std::string& like,
    const std::function<void(ScratchWalk&, const NormalizedSchema&, const std::string&)>& compare) {
  auto url = DatabaseUrl::Parse(like);
  REQUIRE(url.ok());
  auto scripts = ScriptDirectory::Load(MIGRATIOND_SOURCE_DIR "/tests/corpus/realistic");
  REQUIRE(scripts.ok());
  ScratchWalk walk(*scripts, *url, "");
  const RevisionGraph& graph = scripts->graph();
  size_t compared = 0;
  for (const auto& revision : graph.BranchByBranchOrder(graph.TopologicalOrder())) {
    auto parents = graph.Parents(revision);
    std::sort(parents.begin(), parents.end());
    for (const auto& [step, heads] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"up to ", {revision}}, {"down from ", parents}, {"up again to ", {revision}}}) {
      Status moved = walk.MoveTo(heads);
      INFO(step + revision + ": " + moved.ToString());
      REQUIRE(moved.ok());
      auto read = walk.Schema();
      REQUIRE(read.ok());
      compare(walk, *read, step + revision);
      ++compared;
    }
  }
  CHECK(compared == 3 * graph.TopologicalOrder().size());
}

}  // namespace

TEST_CASE("a followed schema read equals a whole read at every step of the realistic corpus",
          "[schema][follow][corpus]") {
  PostgresDatabase like;
  std::unique_ptr<Backend> reader;  // on the walk's scratch database, opened again when it is new
  std::string reader_url;
  WalkRealisticCorpus(like.url(), [&](ScratchWalk& walk, const NormalizedSchema& followed,
                                      const std::string& label) {
    if (walk.url()->target() != reader_url) {
      reader = Open(*walk.url());
      reader_url = walk.url()->target();
      // The walk follows when it can; here it must (the test server's role is a superuser), or
      // this test would compare the whole read with itself.
      auto triggers = reader->Query(
          "SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'migrationd_note_%'", {});
      REQUIRE(triggers.ok());
      REQUIRE(triggers->at(0).at(0).value_or("") == "2");
    }
    CheckSame(followed, *reader, label);
  });
}

// SQLite keeps the pragma answers of a connection's reads by the CREATE statements they derive
// from (SqliteBackend::PragmaRows). The walk's connection holds its file in exclusive mode, so
// each state is compared with a fresh connection's read of a copy of the file.
TEST_CASE(
    "a SQLite schema read with kept pragma answers equals a fresh read at every step of the "
    "realistic corpus",
    "[schema][follow][corpus]") {
  SqliteDatabase like;
  TempDir dir;
  const std::string copy = dir / "copy.sqlite";
  auto copy_url = DatabaseUrl::Parse("sqlite://" + copy);
  REQUIRE(copy_url.ok());
  WalkRealisticCorpus(
      like.url(), [&](ScratchWalk& walk, const NormalizedSchema& kept, const std::string& label) {
        std::filesystem::copy_file(walk.url()->target(), copy,
                                   std::filesystem::copy_options::overwrite_existing);
        std::unique_ptr<Backend> fresh = Open(*copy_url);
        CheckSame(kept, *fresh, label);
      });
}

// What a kept answer must not hide: a statement that changes while the pragma's argument stays
// (a table rebuilt under its name, an index made again on other columns), a parent whose
// primary key changes under a child's `REFERENCES parent` (the child's statement does not),
// renames SQLite writes into other tables' statements.
TEST_CASE("a SQLite schema read with kept pragma answers sees rebuilds and renames",
          "[schema][follow]") {
  SqliteDatabase db;
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  std::unique_ptr<Backend> keeper = Open(*url);
  const std::vector<std::string> steps = {
      "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE)",
      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent, "
      "note TEXT CHECK (note <> ''))",
      "CREATE INDEX ix_child ON child (note)",
      "DROP INDEX ix_child",
      "CREATE INDEX ix_child ON child (parent_id DESC)",
      "CREATE TABLE parent_new (code TEXT PRIMARY KEY, id INTEGER)",
      "DROP TABLE parent",
      "ALTER TABLE parent_new RENAME TO parent",
      "ALTER TABLE child RENAME COLUMN note TO remark",
      "ALTER TABLE child ADD COLUMN added TEXT DEFAULT 'x'",
      "ALTER TABLE parent RENAME TO parents",
      "CREATE VIEW v AS SELECT id FROM child",
      "DROP VIEW v",
      "CREATE VIEW v AS SELECT id, remark FROM child",
      "CREATE TRIGGER tr AFTER INSERT ON child BEGIN SELECT 1; END",
      "ALTER TABLE child DROP COLUMN added",
  };
  for (const auto& step : steps) {
    INFO(step);
    REQUIRE(keeper->Execute(step).ok());
    const NormalizedSchema kept = Read(*keeper);
    std::unique_ptr<Backend> fresh = Open(*url);
    CheckSame(kept, *fresh, step);
  }
}

TEST_CASE("a followed schema read sees renames, partitions, roles, replica sessions and DISCARD",
          "[schema][follow]") {
  PostgresDatabase db;
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  std::unique_ptr<Backend> follower = Open(*url);
  std::unique_ptr<Backend> reader = Open(*url);
  REQUIRE(follower->FollowSchemaChanges({}).ok());
  const std::string role = "follow_tester_" + std::to_string(getpid());
  db.Exec("DROP ROLE IF EXISTS " + role);
  db.Exec("CREATE ROLE " + role);
  struct RoleDropper {
    PostgresDatabase& db;
    std::string role;
    ~RoleDropper() {
      for (const std::string& name : {role, role + "_renamed"}) {
        try {
          db.Exec("DROP OWNED BY " + name + " CASCADE; DROP ROLE IF EXISTS " + name);
        } catch (...) {
        }
      }
    }
  } drop_role{db, role};

  const std::vector<std::string> steps = {
      "CREATE TYPE mood AS ENUM ('calm', 'busy'); "
      "CREATE TABLE users (id int PRIMARY KEY, email text, m mood, ms mood[]); "
      "CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users (id)); "
      "CREATE VIEW contacts AS SELECT email, m FROM users; "
      "CREATE INDEX ix_users_email ON users (lower(email)); "
      "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
      "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch(); "
      "CREATE FUNCTION positive(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0'; "
      "ALTER TABLE users ADD CONSTRAINT users_id_positive CHECK (positive(id)); "
      "CREATE SEQUENCE order_ids; "
      "ALTER TABLE orders ALTER COLUMN id SET DEFAULT nextval('order_ids'); "
      "COMMENT ON COLUMN users.email IS 'where we write'",
      "ALTER TABLE users RENAME COLUMN email TO mail",
      "ALTER TABLE users RENAME TO people",
      "ALTER FUNCTION touch() RENAME TO touch_row",
      "ALTER FUNCTION positive(int) RENAME TO is_positive",
      "ALTER TYPE mood RENAME TO feeling",
      "ALTER TYPE feeling ADD VALUE 'away'",
      "ALTER SEQUENCE order_ids RENAME TO order_numbers",
      "CREATE SCHEMA app; ALTER TABLE people SET SCHEMA app",
      "ALTER SCHEMA app RENAME TO core",
      "DROP TRIGGER users_touch ON core.people",
      "COMMENT ON COLUMN core.people.mail IS 'changed'; COMMENT ON FUNCTION is_positive(int) IS "
      "'x'",
      "CREATE TABLE events (id int, kind text) PARTITION BY RANGE (id); "
      "CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (10)",
      "CREATE INDEX ix_events_kind ON events (kind)",
      "CREATE TABLE events_2 (id int, kind text); "
      "ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (10) TO (20)",
      "ALTER TABLE events ADD COLUMN at timestamptz",
      "DROP FUNCTION is_positive(int) CASCADE",
      "GRANT CREATE, USAGE ON SCHEMA public TO " + role + "; SET ROLE " + role +
          "; CREATE TABLE mine (x int); RESET ROLE",
      "SET session_replication_role = replica; ALTER TABLE mine ADD COLUMN y int; "
      "RESET session_replication_role",
      "DO $$ BEGIN EXECUTE 'ALTER TABLE mine RENAME COLUMN y TO z'; END $$",
      "ALTER TABLE mine ENABLE ROW LEVEL SECURITY; "
      "CREATE POLICY mine_own ON mine FOR SELECT USING (x > 0)",
      "CREATE POLICY mine_tester ON mine FOR UPDATE TO " + role + " USING (z > 0)",
      // A role is the cluster's, not the database's: no event trigger sees its rename.
      "ALTER ROLE " + role + " RENAME TO " + role + "_renamed",
      "ALTER TABLE mine RENAME COLUMN z TO w",
      "ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey",
      "CREATE TYPE pair AS (a int, b text); CREATE TABLE pairs (p pair)",
      "ALTER TYPE pair RENAME ATTRIBUTE b TO c",
      "DROP VIEW contacts; DROP TABLE core.people CASCADE",
      "DISCARD TEMP",
      "CREATE TABLE after_discard (id int)",
  };
  CheckSame(Read(*follower), *reader, "before any step");
  bool discarded = false;
  for (const auto& step : steps) {
    Status ran = follower->Execute(step);
    INFO(step + ": " + ran.ToString());
    REQUIRE(ran.ok());
    CheckSame(Read(*follower), *reader, step);
    // From DISCARD TEMP on the reads are whole (the triggers went with the session's temporary
    // objects), and still right.
    discarded = discarded || step == "DISCARD TEMP";
    if (discarded) continue;
    // Still following: the comparison above was of a followed read, not of the fallback.
    auto following = follower->Query(
        "SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'migrationd_note_%' "
        "AND evtenabled = 'A') = 2 AND to_regclass('pg_temp.migrationd_changes') IS NOT NULL "
        "AND current_setting('migrationd.changes_lost', true) IS DISTINCT FROM 'on'",
        {});
    REQUIRE(following.ok());
    CHECK(following->at(0).at(0).value_or("") == "t");
  }
}

TEST_CASE("a connection whose statements write the system catalog does not follow",
          "[schema][follow]") {
  PostgresDatabase db;
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  std::unique_ptr<Backend> follower = Open(*url);
  for (const char* writes :
       {"UPDATE pg_catalog.pg_attribute SET atttypmod = 104 WHERE attname = 'name'",
        "update pg_attribute set attnotnull = true where attrelid = 'users'::regclass",
        "DO $$ BEGIN EXECUTE 'DELETE FROM pg_depend WHERE objid = 1'; END $$",
        "SET allow_system_table_mods = on"}) {
    Status refused = follower->FollowSchemaChanges({"CREATE TABLE t (id int)", writes});
    INFO(writes);
    CHECK_FALSE(refused.ok());
    CHECK(refused.message().find("system catalog") != std::string::npos);
  }
  // Reading the catalog is no write: a conditional CREATE TYPE follows.
  CHECK(follower
            ->FollowSchemaChanges({"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE "
                                   "typname = 'mood') THEN CREATE TYPE mood AS ENUM ('a'); END "
                                   "IF; END $$"})
            .ok());
  // A revision added later that writes the catalog stops the following, and reads stay whole.
  REQUIRE(follower->Execute("CREATE TABLE t (id int)").ok());
  CHECK_FALSE(follower->FollowSchemaChanges({"UPDATE pg_class SET relname = relname"}).ok());
  REQUIRE(follower->Execute("ALTER TABLE t ADD COLUMN name text").ok());
  std::unique_ptr<Backend> reader = Open(*url);
  CheckSame(Read(*follower), *reader, "after following stopped");
  // And it follows again when the statements change back.
  REQUIRE(follower->FollowSchemaChanges({"CREATE TABLE u (id int)"}).ok());
  REQUIRE(
      follower->Execute("CREATE TABLE u (id int); ALTER TABLE t RENAME COLUMN name TO nom").ok());
  CheckSame(Read(*follower), *reader, "following again");
  REQUIRE(follower->Execute("ALTER TABLE u ADD COLUMN label text").ok());
  CheckSame(Read(*follower), *reader, "following again, one more change");
}

}  // namespace migrationd

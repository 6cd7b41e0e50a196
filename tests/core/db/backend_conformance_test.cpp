// The backend conformance suite: every case runs on a real SQLite file and on the real
// PostgreSQL server of the test command, so the two engines cannot drift apart. Outcomes are
// checked through the engine's own catalog, not through migrationd's code.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>

#include "core/db/backend.h"
#include "core/engines/open_backend.h"
#include "core/run/migration_lock.h"
#include "core/run/migration_runner.h"
#include "core/run/version_store.h"
#include "core/scripts/script_directory.h"
#include "tests/test_support.h"

namespace migrationd {
namespace {

using testing::PostgresDatabase;
using testing::Rows;
using testing::SqliteDatabase;
using testing::TempDir;
using testing::WriteFile;

// A runner on a fresh connection to `url`, with the scripts of `dir`.
struct Engine {
  Engine(const std::string& url, const std::string& dir)
      : scripts(std::make_unique<ScriptDirectory>(MustLoad(dir))) {
    auto parsed = DatabaseUrl::Parse(url);
    REQUIRE(parsed.ok());
    auto opened = OpenBackend(*parsed);
    REQUIRE(opened.ok());
    backend = std::move(opened).value();
    runner = std::make_unique<MigrationRunner>(*scripts, *backend);
    Status prepared = runner->Prepare();
    REQUIRE(prepared.ok());
  }
  static ScriptDirectory MustLoad(const std::string& dir) {
    auto loaded = ScriptDirectory::Load(dir);
    if (!loaded.ok()) FAIL(loaded.status().ToString());
    return std::move(loaded).value();
  }
  Status Upgrade(const std::string& target) {
    auto plan = runner->PlanUpgrade(target);
    if (!plan.ok()) return plan.status();
    return runner->Execute(*plan, RequestIdentity::OfThisProcess());
  }
  Status Downgrade(const std::string& target) {
    auto plan = runner->PlanDowngrade(target);
    if (!plan.ok()) return plan.status();
    return runner->Execute(*plan, RequestIdentity::OfThisProcess());
  }

  std::unique_ptr<ScriptDirectory> scripts;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<MigrationRunner> runner;
};

// A backend on a fresh connection to `db` (fails the test if it cannot connect).
std::unique_ptr<Backend> OpenOn(testing::TestDatabase& db) {
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  auto opened = OpenBackend(*url);
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

Rows VersionRows(testing::TestDatabase& db) {
  return db.Query("SELECT revision FROM migrationd_version ORDER BY revision");
}

Rows SeedRows(testing::TestDatabase& db) {
  return db.Query(
      "SELECT u.id, u.username, u.email, s.id, s.script_id, s.name, s.content, s.version "
      "FROM users u JOIN group_ai_scripts s ON s.created_by = u.id ORDER BY s.id");
}

void InsertSeedRows(testing::TestDatabase& db) {
  db.Exec(
      "INSERT INTO users (username, email, password_hash) VALUES ('alice', 'a@example.com', 'x');"
      "INSERT INTO group_ai_scripts (script_id, name, content, created_by) "
      "VALUES ('welcome', 'Welcome', 'scene: hello', 1), ('faq', 'FAQ', 'q: a', 1);");
}

const std::map<std::string, std::set<std::string>>& ExpectedSeedTables() {
  static const std::map<std::string, std::set<std::string>> tables = {
      {"users",
       {"id", "username", "email", "password_hash", "full_name", "is_active", "is_superuser",
        "last_login_at", "created_at", "updated_at"}},
      {"roles", {"id", "name", "description", "created_at"}},
      {"permissions", {"id", "code", "description", "created_at"}},
      {"user_roles", {"user_id", "role_id", "assigned_at"}},
      {"role_permissions", {"role_id", "permission_id"}},
      {"group_ai_accounts",
       {"id", "account_id", "display_name", "phone_number", "session_name", "status",
        "owner_user_id", "config", "last_active_at", "created_at", "updated_at"}},
      {"group_ai_scripts",
       {"id", "script_id", "name", "description", "content", "version", "created_by", "created_at",
        "updated_at", "status", "submitted_at", "reviewed_by", "reviewed_at", "review_comment"}},
      {"group_ai_dialogue_history",
       {"id", "account_id", "group_id", "message_id", "sender_id", "role", "content", "script_id",
        "created_at"}},
      {"group_ai_redpacket_logs",
       {"id", "account_id", "group_id", "redpacket_id", "strategy", "amount", "success", "error",
        "created_at"}},
      {"group_ai_metrics", {"id", "account_id", "metric_type", "value", "details", "recorded_at"}},
      {"group_ai_script_versions",
       {"id", "script_id", "version", "content", "change_summary", "created_by", "created_at"}},
  };
  return tables;
}

std::map<std::string, std::set<std::string>> AsSets(
    const std::map<std::string, std::vector<std::string>>& tables) {
  std::map<std::string, std::set<std::string>> sets;
  for (const auto& [table, columns] : tables) sets[table] = {columns.begin(), columns.end()};
  return sets;
}

bool HasIndex(testing::TestDatabase& db, const std::string& name) {
  for (const auto& line : db.SchemaSnapshot()) {
    if (line.find(" " + name + " ") != std::string::npos) return true;
  }
  return false;
}

TEMPLATE_TEST_CASE("the seed chain upgrades from empty to head", "[backend]", SqliteDatabase,
                   PostgresDatabase) {
  TestType db;
  Engine engine(db.url(), testing::SeedMigrationsDir());
  REQUIRE(engine.Upgrade("head").ok());

  CHECK(AsSets(db.TableColumns()) == ExpectedSeedTables());
  CHECK(VersionRows(db) == Rows{{"003_add_script_version_management"}});
  CHECK(HasIndex(db, "ix_group_ai_dialogue_history_account_group_created"));
  CHECK(HasIndex(db, "ix_group_ai_scripts_status"));

  Rows history = db.Query(
      "SELECT revision, direction, outcome, checksum, user_name, daemon_pid, heads_after "
      "FROM migrationd_history ORDER BY id");
  REQUIRE(history.size() == 4);
  const auto order = engine.scripts->graph().TopologicalOrder();
  for (size_t i = 0; i < history.size(); ++i) {
    INFO("history row " << i);
    CHECK(history[i][0] == order[i]);
    CHECK(history[i][1] == "upgrade");
    CHECK(history[i][2] == "success");
    CHECK(history[i][3] == engine.scripts->script(order[i]).Checksum(db.dialect()));
    CHECK(history[i][4] != "<null>");
    CHECK(history[i][5] != "<null>");
    CHECK(history[i][6] == order[i]);
  }

  // The constraints the admin backend relies on are enforced by the engine.
  InsertSeedRows(db);
  CHECK_THROWS(
      db.Exec("INSERT INTO users (username, email, password_hash) "
              "VALUES ('alice', 'other@example.com', 'x')"));
  CHECK_THROWS(
      db.Exec("INSERT INTO group_ai_scripts (script_id, name, content, status) "
              "VALUES ('s', 'n', 'c', 'no-such-status')"));
  CHECK_THROWS(db.Exec("INSERT INTO user_roles (user_id, role_id) VALUES (999, 999)"));

  // A second upgrade finds nothing to do and writes no history.
  REQUIRE(engine.Upgrade("head").ok());
  CHECK(db.Query("SELECT count(*) FROM migrationd_history") == Rows{{"4"}});
}

TEMPLATE_TEST_CASE("downgrades by -1 and to base leave exactly the expected schema", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  Engine engine(db.url(), testing::SeedMigrationsDir());
  REQUIRE(engine.Upgrade("002_add_indexes").ok());
  const auto at_002 = db.SchemaSnapshot();
  REQUIRE(engine.Upgrade("head").ok());
  const auto at_head = db.SchemaSnapshot();
  REQUIRE(at_head != at_002);

  InsertSeedRows(db);
  const Rows rows_before = SeedRows(db);
  REQUIRE(rows_before.size() == 2);

  Status down_one = engine.Downgrade("-1");
  REQUIRE(down_one.ok());
  CHECK(db.SchemaSnapshot() == at_002);
  CHECK(VersionRows(db) == Rows{{"002_add_indexes"}});
  CHECK(SeedRows(db) == rows_before);  // rows of the rebuilt table survive the downgrade

  Status down_base = engine.Downgrade("base");
  REQUIRE(down_base.ok());
  CHECK(db.SchemaSnapshot().empty());
  CHECK(db.TableColumns().empty());
  CHECK(VersionRows(db).empty());

  REQUIRE(engine.Upgrade("head").ok());
  CHECK(db.SchemaSnapshot() == at_head);
  CHECK(VersionRows(db) == Rows{{"003_add_script_version_management"}});
  Rows directions = db.Query(
      "SELECT direction, count(*) FROM migrationd_history "
      "WHERE outcome = 'success' GROUP BY direction ORDER BY direction");
  CHECK(directions == Rows{{"downgrade", "4"}, {"upgrade", "8"}});
}

// A fourth revision whose third statement fails.
constexpr const char* kBrokenRevision =
    "-- revision: 004_broken\n"                                                // 1
    "-- parents: 003_add_script_version_management\n"                          // 2
    "-- message: fails half-way\n"                                             // 3
    "\n"                                                                       // 4
    "-- +upgrade\n"                                                            // 5
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, entry TEXT NOT NULL);\n"  // 6
    "UPDATE users SET full_name = 'changed';\n"                                // 7
    "\n"                                                                       // 8
    "INSERT INTO no_such_table VALUES (1);\n"                                  // 9
    "-- +downgrade\n"                                                          // 10
    "DROP TABLE audit_log;\n";                                                 // 11

TEMPLATE_TEST_CASE("a migration that fails half-way leaves everything as before", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  WriteFile(dir / "004_broken.sql", kBrokenRevision);
  Engine engine(db.url(), dir.path().string());
  REQUIRE(engine.Upgrade("003").ok());
  InsertSeedRows(db);
  const auto schema_before = db.SchemaSnapshot();
  const Rows users_before = db.Query("SELECT id, username, full_name FROM users");
  const Rows scripts_before = SeedRows(db);

  Status failed = engine.Upgrade("head");
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.code() == ErrorCode::kDatabase);
  CHECK_THAT(failed.message(), Catch::Contains("'004_broken'") && Catch::Contains("rolled back") &&
                                   Catch::Contains(dir / "004_broken.sql" + ":9") &&
                                   Catch::Contains("no_such_table"));

  CHECK(db.SchemaSnapshot() == schema_before);
  CHECK(db.Query("SELECT id, username, full_name FROM users") == users_before);
  CHECK(SeedRows(db) == scripts_before);
  CHECK(VersionRows(db) == Rows{{"003_add_script_version_management"}});
  Rows last = db.Query(
      "SELECT revision, outcome, error, heads_after FROM migrationd_history "
      "ORDER BY id DESC LIMIT 1");
  REQUIRE(last.size() == 1);
  CHECK(last[0][0] == "004_broken");
  CHECK(last[0][1] == "failed");
  CHECK_THAT(last[0][2], Catch::Contains("004_broken.sql:9"));
  CHECK(last[0][3] == "003_add_script_version_management");
}

TEMPLATE_TEST_CASE("each revision commits on its own", "[backend]", SqliteDatabase,
                   PostgresDatabase) {
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  WriteFile(dir / "004_good.sql",
            "-- revision: 004_good\n-- parents: 003_add_script_version_management\n"
            "-- +upgrade\nCREATE TABLE feature_flags (name TEXT PRIMARY KEY);\n"
            "-- +downgrade\nDROP TABLE feature_flags;\n");
  WriteFile(dir / "005_bad.sql",
            "-- revision: 005_bad\n-- parents: 004_good\n"
            "-- +upgrade\nALTER TABLE no_such_table ADD COLUMN x INTEGER;\n"
            "-- +downgrade\nSELECT 1;\n");
  Engine engine(db.url(), dir.path().string());
  Status status = engine.Upgrade("head");
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("005_bad.sql:4"));
  CHECK(VersionRows(db) == Rows{{"004_good"}});
  CHECK(db.TableColumns().count("feature_flags") == 1);
}

TEMPLATE_TEST_CASE("transaction: none scripts run statement by statement", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  // Statements that refuse to run inside a transaction block on each engine.
  WriteFile(dir / "004_concurrent.sql",
            "-- revision: 004_concurrent\n-- parents: 003_add_script_version_management\n"
            "-- transaction: none\n"
            "-- +upgrade sqlite\nCREATE INDEX ix_users_full_name ON users (full_name);\nVACUUM;\n"
            "-- +upgrade postgresql\n"
            "CREATE INDEX CONCURRENTLY ix_users_full_name ON users (full_name);\n"
            "-- +downgrade\nDROP INDEX ix_users_full_name;\n");
  WriteFile(dir / "005_half.sql",
            "-- revision: 005_half\n-- parents: 004_concurrent\n-- transaction: none\n"
            "-- +upgrade\nCREATE TABLE half_done (id INTEGER);\n"
            "INSERT INTO missing_table VALUES (1);\n"
            "-- +downgrade\nDROP TABLE half_done;\n");
  Engine engine(db.url(), dir.path().string());
  REQUIRE(engine.Upgrade("004").ok());
  CHECK(HasIndex(db, "ix_users_full_name"));
  CHECK(VersionRows(db) == Rows{{"004_concurrent"}});

  Status half = engine.Upgrade("head");
  REQUIRE_FALSE(half.ok());
  CHECK_THAT(half.message(), Catch::Contains("transaction: none") &&
                                 Catch::Contains("005_half.sql:6") && Catch::Contains("stamp"));
  CHECK(VersionRows(db) == Rows{{"004_concurrent"}});
  CHECK(db.TableColumns().count("half_done") == 1);  // documented: not rolled back
}

TEMPLATE_TEST_CASE("downgrades through a revision without a downgrade are refused up front",
                   "[backend]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  WriteFile(dir / "004_one_way.sql",
            "-- revision: 004_one_way\n-- parents: 003_add_script_version_management\n"
            "-- +upgrade\nCREATE TABLE one_way (id INTEGER);\n");
  WriteFile(dir / "005_after.sql",
            "-- revision: 005_after\n-- parents: 004_one_way\n"
            "-- +upgrade\nCREATE TABLE after_one_way (id INTEGER);\n"
            "-- +downgrade\nDROP TABLE after_one_way;\n");
  Engine engine(db.url(), dir.path().string());
  REQUIRE(engine.Upgrade("head").ok());
  Status status = engine.Downgrade("base");
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(status.message(), Catch::Contains("004_one_way.sql") &&
                                   Catch::Contains("no '-- +downgrade' statements"));
  // Nothing ran: 005 is still applied.
  CHECK(VersionRows(db) == Rows{{"005_after"}});
  CHECK(db.TableColumns().count("after_one_way") == 1);
}

TEMPLATE_TEST_CASE("stamp sets the version rows without running SQL", "[backend]", SqliteDatabase,
                   PostgresDatabase) {
  TestType db;
  Engine engine(db.url(), testing::SeedMigrationsDir());
  REQUIRE(engine.runner->Stamp({"001"}, RequestIdentity::OfThisProcess()).ok());
  CHECK(VersionRows(db) == Rows{{"001_group_ai"}});
  CHECK(db.TableColumns().empty());
  // One row per revision marked applied, each with its script's checksum.
  CHECK(db.Query("SELECT direction, revision, length(checksum) FROM migrationd_history ORDER BY"
                 " id") ==
        Rows{{"stamp", "000_initial_base", "64"}, {"stamp", "001_group_ai", "64"}});
  REQUIRE(engine.runner->Stamp({"base"}, RequestIdentity::OfThisProcess()).ok());
  CHECK(VersionRows(db).empty());
  // Unmarking is recorded too, without a checksum.
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE checksum IS NULL") == Rows{{"2"}});
  CHECK(engine.runner->Stamp({"nope"}, {}).code() == ErrorCode::kNotFound);
}

TEMPLATE_TEST_CASE("a database at a revision no script defines is an integrity error", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  Engine engine(db.url(), testing::SeedMigrationsDir());
  db.Exec("INSERT INTO migrationd_version (revision) VALUES ('999_from_the_future')");
  auto heads = engine.runner->CurrentHeads();
  REQUIRE_FALSE(heads.ok());
  CHECK(heads.status().code() == ErrorCode::kIntegrity);
  CHECK_THAT(heads.status().message(), Catch::Contains("999_from_the_future"));
  CHECK(engine.Upgrade("head").code() == ErrorCode::kIntegrity);
  CHECK(db.TableColumns().empty());
}

std::string Pragma(Backend& backend, const std::string& name) {
  auto rows = backend.Query("PRAGMA " + name, {});
  REQUIRE(rows.ok());
  return rows->front()[0].value_or("");
}

TEST_CASE("the daemon's SQLite connection journals by truncating, durably, and leaves WAL alone",
          "[backend][sqlite]") {
  SqliteDatabase db;
  db.Exec("CREATE TABLE t (id INTEGER)");  // a file in the default DELETE mode
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  {
    auto backend = OpenBackend(*url);
    REQUIRE(backend.ok());
    CHECK(Pragma(**backend, "journal_mode") == "truncate");
    CHECK(Pragma(**backend, "synchronous") == "2");  // FULL
    REQUIRE((*backend)->Begin().ok());
    REQUIRE((*backend)->Execute("INSERT INTO t VALUES (1)").ok());
    REQUIRE((*backend)->Commit().ok());
  }
  // The commit left an empty journal instead of unlinking it; other connections keep their own
  // mode (journal_mode other than WAL is per connection).
  CHECK(std::filesystem::file_size(url->target() + "-journal") == 0);
  CHECK(db.Query("PRAGMA journal_mode") == Rows{{"delete"}});

  SqliteDatabase wal;
  wal.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER)");
  auto wal_url = DatabaseUrl::Parse(wal.url());
  REQUIRE(wal_url.ok());
  auto backend = OpenBackend(*wal_url);
  REQUIRE(backend.ok());
  CHECK(Pragma(**backend, "journal_mode") == "wal");
}

// The daemon keeps read connections open between requests: a table created or dropped by
// another connection meanwhile must be seen by the kept one.
TEMPLATE_TEST_CASE("a kept connection sees tables another connection created or dropped",
                   "[backend]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  db.Exec("CREATE TABLE present (id INTEGER)");
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  auto kept = OpenBackendForReading(*url);
  REQUIRE(kept.ok());
  CHECK((*kept)->TableExists("present").value());
  CHECK_FALSE((*kept)->TableExists("later").value());
  CHECK_FALSE((*kept)->TableExists("odd \"name").value());

  db.Exec("CREATE TABLE later (id INTEGER)");
  db.Exec("DROP TABLE present");
  CHECK_FALSE((*kept)->TableExists("present").value());
  CHECK((*kept)->TableExists("later").value());
}

// SQLite gets `$N` as `?N` (core/sqlite/sqlite_backend.cpp): the rewrite must leave quoted text and
// identifiers that contain a dollar sign as they are.
TEMPLATE_TEST_CASE("parameters bind by number and quoted dollar signs stay text", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  auto backend = OpenOn(db);
  REQUIRE(backend->Execute("CREATE TABLE t$1 (v TEXT, \"w$2\" TEXT)").ok());
  REQUIRE(backend
              ->Query("INSERT INTO t$1 (v, \"w$2\") VALUES ($1, '$2 stays'), ($2, 'it''s $1')",
                      {SqlValue("first"), SqlValue("it's $1")})
              .ok());
  // A quote in a line comment must not hide the $N after it: bound by name, $2 would be the
  // first parameter here.
  auto rows = backend->Query(
      "SELECT v, \"w$2\" FROM t$1 -- it's $1\nWHERE CAST($2 AS TEXT) = 'y' AND CAST($1 AS TEXT) "
      "= 'x'",
      {SqlValue("x"), SqlValue("y")});
  REQUIRE(rows.ok());
  std::sort(rows->begin(), rows->end());
  CHECK(*rows == std::vector<SqlRow>{{SqlValue("first"), SqlValue("$2 stays")},
                                     {SqlValue("it's $1"), SqlValue("it's $1")}});
}

// A caller that ignored a failed statement must not commit the rest: PostgreSQL would answer
// the COMMIT with a rollback, SQLite would keep the half that ran.
TEMPLATE_TEST_CASE("a transaction with a failed statement never commits", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  auto backend = OpenOn(db);
  REQUIRE(backend->Begin().ok());
  REQUIRE(backend->Execute("CREATE TABLE half (id INTEGER)").ok());
  CHECK_FALSE(backend->Query("SELECT * FROM no_such_table").ok());
  Status committed = backend->Commit();
  CHECK_FALSE(committed.ok());
  CHECK_THAT(committed.message(), Catch::Contains("rolled back"));
  CHECK_FALSE(backend->InTransaction());
  CHECK_FALSE(db.TableColumns().contains("half"));
  // The connection is usable again.
  REQUIRE(backend->Begin().ok());
  REQUIRE(backend->Execute("CREATE TABLE whole (id INTEGER)").ok());
  CHECK(backend->Commit().ok());
  CHECK(backend->TableExists("whole").value());
}

// libpqxx 6 quietly opens a new session when a broken one is used again; that session holds
// none of the old one's locks and settings. A broken connection must stay broken.
TEST_CASE("a PostgreSQL connection whose session was terminated is not silently reopened",
          "[backend][postgresql]") {
  PostgresDatabase db;
  auto backend = OpenOn(db);
  auto pid = backend->Query("SELECT pg_backend_pid()");
  REQUIRE(pid.ok());
  REQUIRE(db.Query("SELECT pg_terminate_backend(" + *pid->front()[0] + ")") == Rows{{"t"}});
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    INFO("attempt " << attempt);
    CHECK_FALSE(backend->Execute("SET lock_timeout = 1000").ok());
    CHECK_FALSE(backend->Query("SELECT pg_backend_pid()").ok());
  }
  CHECK_FALSE(backend->Begin().ok());
  CHECK_FALSE(backend->Alive());
}

// Statements with parameters are prepared once per connection. A prepared statement must
// follow the tables it reads when they are dropped and created again, as a kept read
// connection sees after a restore.
TEST_CASE("a prepared PostgreSQL statement follows a table that was dropped and created again",
          "[backend][postgresql]") {
  PostgresDatabase db;
  db.Exec("CREATE TABLE versions (revision TEXT)");
  db.Exec("INSERT INTO versions VALUES ('a')");
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  auto kept = OpenBackendForReading(*url);
  REQUIRE(kept.ok());
  const std::string read = "SELECT revision FROM versions WHERE revision <> $1";
  CHECK((*kept)->Query(read, {"x"}).value() == std::vector<SqlRow>{{"a"}});
  db.Exec("DROP TABLE versions");
  CHECK_FALSE((*kept)->Query(read, {"x"}).ok());
  db.Exec("CREATE TABLE versions (id INTEGER, revision TEXT)");
  db.Exec("INSERT INTO versions VALUES (1, 'b')");
  CHECK((*kept)->Query(read, {"x"}).value() == std::vector<SqlRow>{{"b"}});
}

// A step's history row and its commit travel together (on PostgreSQL as one simple query with
// the values written in as literals): every value must come back exactly as given.
TEMPLATE_TEST_CASE("a history row committed with its step keeps every value exactly", "[backend]",
                   SqliteDatabase, PostgresDatabase) {
  TestType db;
  auto backend = OpenOn(db);
  VersionStore store(*backend);
  REQUIRE(store.EnsureTables().ok());
  HistoryEntry entry;
  entry.revision = "r'1\\x $1 $14";
  entry.direction = "upgrade";
  entry.checksum = "sha256 'quoted' \"double\"";
  entry.started_at = "2026-11-27T00:00:00.000Z";
  entry.finished_at = "2026-11-27T00:00:01.000Z";
  entry.duration_ms = 12.5;
  entry.outcome = "success";
  entry.error = "line one\nline two; COMMIT; DROP TABLE migrationd_history; --";
  entry.heads_after = "a,b";
  entry.requester.uid = 1000;
  entry.requester.user_name = "O'Brien \\ Ünïcødé";
  entry.requester.host = "";  // NULL
  entry.requester.daemon_pid = 0;
  REQUIRE(backend->Begin().ok());
  Status committed = store.CommitStep({{"a"}, {}, {entry}});
  REQUIRE(committed.ok());
  CHECK_FALSE(backend->InTransaction());
  auto history = store.ReadHistory();
  REQUIRE(history.ok());
  REQUIRE(history->size() == 1);
  // Every value of `entry` read back exactly.
  auto check_kept = [&entry](const HistoryEntry& read) {
    CHECK(read.revision == entry.revision);
    CHECK(read.checksum == entry.checksum);
    CHECK(read.error == entry.error);
    CHECK(read.duration_ms == entry.duration_ms);
    CHECK(read.heads_after == entry.heads_after);
    CHECK(read.requester.uid == 1000);
    CHECK(read.requester.user_name == entry.requester.user_name);
  };
  check_kept(history->front());
  CHECK(db.Query(
            "SELECT count(*) FROM migrationd_history WHERE host IS NULL AND daemon_pid IS NULL") ==
        Rows{{"1"}});

  // The next step on the connection sends the INSERT as a PREPAREd statement with literal
  // arguments (PostgreSQL): the values still arrive exactly.
  REQUIRE(backend->BeginStep("SELECT 1").ok());
  REQUIRE(store.CommitStep({{"b"}, {}, {entry}}).ok());
  CHECK(store.ReadHeads().value() == std::vector<std::string>{"b"});
  history = store.ReadHistory();
  REQUIRE(history->size() == 2);
  check_kept(history->back());
  CHECK(db.Query(
            "SELECT count(*) FROM migrationd_history WHERE host IS NULL AND daemon_pid IS NULL") ==
        Rows{{"2"}});

  // A failing last statement commits nothing that ran before it.
  REQUIRE(backend->Begin().ok());
  REQUIRE(backend->Execute("CREATE TABLE before_the_end (id INTEGER)").ok());
  entry.started_at = "";
  Status failed = backend->CommitAfter({{"INSERT INTO no_such_table VALUES ($1)", {"x"}}});
  CHECK_FALSE(failed.ok());
  backend->Rollback();
  CHECK_FALSE(backend->InTransaction());
  CHECK_FALSE(db.TableColumns().contains("before_the_end"));
  CHECK(store.ReadHistory()->size() == 2);
}

// Each step's commit writes the version row and a history row; on SQLite an AUTOINCREMENT key
// also rewrote a page of sqlite_sequence in every commit. Ids still grow: rows are only
// appended.
TEST_CASE("SQLite steps write no sqlite_sequence or version-index page and history ids still grow",
          "[backend][sqlite]") {
  SqliteDatabase db;
  TempDir dir;
  WriteFile(dir / "a.sql",
            "-- revision: a\n-- parents:\n-- +upgrade\nCREATE TABLE a (id INTEGER);\n"
            "-- +downgrade\nDROP TABLE a;\n");
  WriteFile(dir / "b.sql",
            "-- revision: b\n-- parents: a\n-- +upgrade\nCREATE TABLE b (id INTEGER);\n"
            "-- +downgrade\nDROP TABLE b;\n");
  Engine engine(db.url(), dir.path());
  REQUIRE(engine.Upgrade("b").ok());
  REQUIRE(engine.Downgrade("base").ok());
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'") ==
        Rows{{"0"}});
  // The version table is one b-tree (WITHOUT ROWID): no index of its key beside it, whose page
  // every step's commit would write as well.
  CHECK(db.Query("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name ="
                 " 'migrationd_version'") == Rows{{"0"}});
  REQUIRE(engine.Upgrade("a").ok());
  CHECK(db.Query("SELECT revision FROM migrationd_version") == Rows{{"a"}});
  REQUIRE(engine.Downgrade("base").ok());
  CHECK(db.Query("SELECT id, revision, direction FROM migrationd_history ORDER BY id") ==
        Rows{{"1", "a", "upgrade"},
             {"2", "b", "upgrade"},
             {"3", "b", "downgrade"},
             {"4", "a", "downgrade"},
             {"5", "a", "upgrade"},
             {"6", "a", "downgrade"}});
}

// A step begins, takes the step lock and reads the version rows in one go (one round trip on
// PostgreSQL). The read must see what another step committed while this one waited for the
// lock: exactly once rests on it.
// Two steps on two connections: the first holds the step lock, having written the version row
// 'a'; the second waits for the lock until the first commits.
struct TwoSteps {
  explicit TwoSteps(testing::TestDatabase& db)
      : first(OpenOn(db)), second(OpenOn(db)), first_store(*first), second_store(*second) {
    REQUIRE(first_store.EnsureTables().ok());
    REQUIRE(second_store.EnsureTables().ok());
    REQUIRE(first_store.BeginStepReadingHeads().ok());
    REQUIRE(first->Query("INSERT INTO migrationd_version (revision) VALUES ($1)", {"a"}).ok());
  }
  // What `second_step` returned, run on a thread of its own while the first step commits.
  template <typename Step>
  auto SecondAfterFirstCommits(Step second_step) {
    std::optional<decltype(second_step())> seen;
    std::thread waiting([&] { seen.emplace(second_step()); });
    // Long enough for the second step to be waiting on the lock before the first commits.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(first->Commit().ok());
    waiting.join();
    REQUIRE(seen.has_value());
    return std::move(*seen);
  }
  std::unique_ptr<Backend> first;
  std::unique_ptr<Backend> second;
  VersionStore first_store;
  VersionStore second_store;
};

TEMPLATE_TEST_CASE("a step that waited for the step lock reads the rows the other step committed",
                   "[backend][lock]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TwoSteps steps(db);
  auto seen =
      steps.SecondAfterFirstCommits([&] { return steps.second_store.BeginStepReadingHeads(); });
  REQUIRE(seen.ok());
  CHECK(*seen == std::vector<std::string>{"a"});
  steps.second->Rollback();
}

// A PostgreSQL step sends its first statement with BEGIN, the step lock and a guard on the
// version rows (VersionStore::BeginStepRunning): the server itself must refuse the statement
// when another step moved the rows while this one waited for the lock.
TEST_CASE("a guarded step that waited for the step lock refuses to run on rows that moved",
          "[backend][lock]") {
  PostgresDatabase db;
  TwoSteps steps(db);
  VersionStore& second_store = steps.second_store;
  std::optional<Status> seen = steps.SecondAfterFirstCommits(
      [&] { return second_store.BeginStepRunning({}, "CREATE TABLE guarded (id INTEGER)"); });
  REQUIRE(seen.has_value());  // PostgreSQL sends them together
  CHECK(seen->code() == ErrorCode::kConflict);
  steps.second->Rollback();
  CHECK(db.TableColumns().count("guarded") == 0);

  // At the rows it expects, the statement runs inside the step's transaction.
  std::optional<Status> ran =
      second_store.BeginStepRunning({"a"}, "CREATE TABLE guarded (id INTEGER)");
  REQUIRE(ran.has_value());
  REQUIRE(ran->ok());
  REQUIRE(second_store.CommitStep({{"b"}, {}, {}}).ok());
  CHECK(db.TableColumns().count("guarded") == 1);
  CHECK(VersionRows(db) == Rows{{"b"}});
}

TEMPLATE_TEST_CASE("a revision whose first statement does not parse fails alone and names its line",
                   "[backend]", SqliteDatabase, PostgresDatabase) {
  // On PostgreSQL the statement travels with BEGIN: a syntax error fails the whole message, BEGIN
  // included, and the connection must still serve the next revision.
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  WriteFile(dir / "004_bad.sql",
            "-- revision: 004_bad\n-- parents: 003_add_script_version_management\n"
            "-- +upgrade\nSELEC 1;\nCREATE TABLE never_made (id INTEGER);\n"
            "-- +downgrade\nSELECT 1;\n");
  Engine engine(db.url(), dir.path().string());
  REQUIRE(engine.Upgrade("002").ok());
  Status status = engine.Upgrade("head");
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("004_bad.sql:4") && Catch::Contains("syntax error"));
  CHECK(VersionRows(db) == Rows{{"003_add_script_version_management"}});
  CHECK(db.TableColumns().count("never_made") == 0);
  Rows last = db.Query("SELECT revision, outcome FROM migrationd_history ORDER BY id DESC LIMIT 1");
  CHECK(last == Rows{{"004_bad", "failed"}});
}

// A cancel sets should_stop and interrupts the running statement; an interrupt that reaches the
// connection between two statements (or before the first reached the server) stops nothing.
// The runner polls should_stop at every statement boundary and before a step commits, so such a
// cancel is still honoured. `stop_from_poll`: the first poll that answers "stop" (poll 1 is the
// one before the step).
Status UpgradeCancelledAtPoll(const std::string& url, const std::string& dir, int stop_from_poll) {
  Engine engine(url, dir);
  auto plan = engine.runner->PlanUpgrade("head");
  REQUIRE(plan.ok());
  int polls = 0;
  RunObserver observer;
  observer.should_stop = [&] { return ++polls >= stop_from_poll; };
  return engine.runner->Execute(*plan, RequestIdentity::OfThisProcess(), observer);
}

TEMPLATE_TEST_CASE("a cancel that falls between a step's statements stops the step there",
                   "[backend][cancel]", SqliteDatabase, PostgresDatabase) {
  TestType db;
  TempDir dir;
  testing::CopySeedMigrations(dir.path().string());
  REQUIRE(Engine(db.url(), dir.path().string()).Upgrade("head").ok());
  const Rows history_before = db.Query("SELECT count(*) FROM migrationd_history");
  // Poll 1 is before the step, then one before each statement. On PostgreSQL a transactional
  // step's first statement travels with BEGIN, without a poll of its own.
  const int second_statement_poll = std::is_same_v<TestType, PostgresDatabase> ? 2 : 3;

  SECTION("before the second statement: the step is rolled back") {
    WriteFile(dir / "004_two.sql",
              "-- revision: 004_two\n-- parents: 003_add_script_version_management\n"
              "-- +upgrade\nCREATE TABLE first_made (id INTEGER);\n"
              "CREATE TABLE second_made (id INTEGER);\n-- +downgrade\nSELECT 1;\n");
    Status status = UpgradeCancelledAtPoll(db.url(), dir.path().string(), second_statement_poll);
    CHECK(status.code() == ErrorCode::kCancelled);
    CHECK_THAT(status.message(), Catch::Contains("rolled back") &&
                                     Catch::Contains("before statement 2 of 2") &&
                                     Catch::Contains("004_two.sql:5"));
    CHECK(db.TableColumns().count("first_made") == 0);
  }
  SECTION("after the last statement: the step does not commit") {
    // One statement: on PostgreSQL it travels with BEGIN, and only the check before the
    // commit is left to see the cancel.
    WriteFile(dir / "004_one.sql",
              "-- revision: 004_one\n-- parents: 003_add_script_version_management\n"
              "-- +upgrade\nCREATE TABLE first_made (id INTEGER);\n-- +downgrade\nSELECT 1;\n");
    Status status = UpgradeCancelledAtPoll(db.url(), dir.path().string(), second_statement_poll);
    CHECK(status.code() == ErrorCode::kCancelled);
    CHECK_THAT(status.message(), Catch::Contains("before it committed"));
    CHECK(db.TableColumns().count("first_made") == 0);
  }
  SECTION("in a transaction: none step: stopped at the boundary, resumable") {
    WriteFile(dir / "004_none.sql",
              "-- revision: 004_none\n-- parents: 003_add_script_version_management\n"
              "-- transaction: none\n"
              "-- +upgrade\nCREATE TABLE first_made (id INTEGER);\n"
              "CREATE TABLE second_made (id INTEGER);\n-- +downgrade\nSELECT 1;\n");
    // Outside a transaction every statement has its poll, on both engines.
    Status status = UpgradeCancelledAtPoll(db.url(), dir.path().string(), 3);
    CHECK(status.code() == ErrorCode::kCancelled);
    CHECK_THAT(status.message(),
               Catch::Contains("before statement 2 of 2") && Catch::Contains("resume"));
    CHECK(db.TableColumns().count("first_made") == 1);
    CHECK(db.TableColumns().count("second_made") == 0);
    CHECK(db.Query("SELECT revision, statements_done FROM migrationd_progress") ==
          Rows{{"004_none", "1"}});
  }
  CHECK(VersionRows(db) == Rows{{"003_add_script_version_management"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history WHERE outcome = 'failed'") ==
        Rows{{"1"}});
  CHECK(db.Query("SELECT count(*) FROM migrationd_history") != history_before);
}

// The SQLite lock file is rewritten before every revision without being truncated first: a
// shorter text is padded, and readers still get every field, and only the current revision.
TEST_CASE("the SQLite lock file names the current revision after a longer one", "[lock][sqlite]") {
  SqliteDatabase db;
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  LockHolderInfo me;
  me.host = "host1";
  me.daemon_pid = 42;
  me.uid = 1000;
  me.user_name = "alice";
  me.request = "upgrade head";
  me.since = "2026-11-27T00:00:00Z";
  auto lock = AcquireMigrationLock(*url, me, {});
  REQUIRE(lock.ok());
  auto backend = OpenOn(db);
  REQUIRE((*lock)->CheckHeld("0001_a_revision_with_a_rather_long_name").ok());
  REQUIRE((*lock)->CheckHeld("0002_b").ok());
  auto holder = ReadMigrationLockHolder(*url, *backend);
  REQUIRE(holder.ok());
  REQUIRE(holder->has_value());
  CHECK((*holder)->revision == "0002_b");
  CHECK((*holder)->host == "host1");
  CHECK((*holder)->daemon_pid == 42);
  CHECK((*holder)->user_name == "alice");
  CHECK((*holder)->request == "upgrade head");
  lock->reset();
  holder = ReadMigrationLockHolder(*url, *backend);
  REQUIRE(holder.ok());
  CHECK_FALSE(holder->has_value());
}

}  // namespace
}  // namespace migrationd

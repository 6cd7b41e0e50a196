// The normalized schema and its fingerprint on both engines: stable when the same schema is
// built twice or through different but equivalent DDL, different when the schema differs, and
// blind to migrationd's own tables. Plus the diff's three kinds of change, as pure logic.
#include "core/schema/schema.h"

#include <catch2/catch.hpp>

#include "core/db/backend.h"
#include "core/engines/open_backend.h"
#include "core/run/version_store.h"
#include "tests/test_support.h"

namespace migrationd {
namespace {

using testing::PostgresDatabase;
using testing::SqliteDatabase;

NormalizedSchema SchemaOf(testing::TestDatabase& db) {
  auto url = DatabaseUrl::Parse(db.url());
  REQUIRE(url.ok());
  auto backend = OpenBackend(*url);
  REQUIRE(backend.ok());
  auto schema = (*backend)->ReadSchema();
  if (!schema.ok()) FAIL(schema.status().ToString());
  return std::move(schema).value();
}

struct Spellings {
  const char* plain;
  const char* equivalent;
};

// The same tables, keys, checks and indexes written two ways: upper and lower case, inline and
// table constraints, named and unnamed, type aliases.
Spellings SpellingsFor(bool sqlite) {
  if (sqlite) {
    return {
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, age INT "
        "CHECK (age > 0), team INTEGER REFERENCES teams);"
        "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'x');"
        "CREATE INDEX ix_users_age ON users (age) WHERE age > 10;",
        "create table teams (\n  id integer,\n  name text default 'x',\n  primary key (id));\n"
        "create table users (id integer, email text not null, age int, team integer,\n"
        "  constraint pk primary key (id), constraint email_unique unique (email),\n"
        "  constraint adult check (age > 0), foreign key (team) references teams (id));\n"
        "create index ix_users_age on users(age) where age > 10;"};
  }
  return {
      "CREATE TABLE teams (id integer PRIMARY KEY, name varchar(20) DEFAULT 'x');"
      "CREATE TABLE users (id int4 PRIMARY KEY, email varchar(100) NOT NULL UNIQUE, age int "
      "CHECK (age>0), team integer REFERENCES teams);"
      "CREATE INDEX ix_users_age ON users (age) WHERE age > 10;",
      "create table teams (id integer not null, name character varying(20) default 'x',"
      "  constraint teams_pk primary key (id));"
      "create table users (id integer, email character varying(100) not null, age integer,"
      "  team int4, constraint pk primary key (id), constraint email_unique unique (email),"
      "  constraint adult check ((age > 0)), foreign key (team) references teams (id));"
      "create index ix_users_age on public.users using btree (age) where (age > 10);"};
}

TEMPLATE_TEST_CASE("equal schemas fingerprint alike however they were written", "[schema]",
                   SqliteDatabase, PostgresDatabase) {
  const bool sqlite = std::is_same_v<TestType, SqliteDatabase>;
  const Spellings ddl = SpellingsFor(sqlite);
  TestType first, again, respelled;
  first.Exec(ddl.plain);
  again.Exec(ddl.plain);
  respelled.Exec(ddl.equivalent);
  const NormalizedSchema schema = SchemaOf(first);
  INFO(schema.Text());
  CHECK(schema.objects().count("column users.email") == 1);
  CHECK(schema.objects().count("unique users(email)") == 1);
  CHECK(schema.objects().at("foreign key users(team)") == "-> teams(id)");
  CHECK(SchemaOf(again).Fingerprint() == schema.Fingerprint());
  INFO(SchemaOf(respelled).Text());
  CHECK(SchemaOf(respelled).Fingerprint() == schema.Fingerprint());

  // migrationd's own tables are not part of the schema.
  {
    auto url = DatabaseUrl::Parse(first.url());
    REQUIRE(url.ok());
    auto backend = OpenBackend(*url);
    REQUIRE(backend.ok());
    REQUIRE(VersionStore(**backend).EnsureTables().ok());
  }
  CHECK(SchemaOf(first).Fingerprint() == schema.Fingerprint());

  // Any real change shows.
  first.Exec("ALTER TABLE users ADD COLUMN nickname TEXT");
  CHECK(SchemaOf(first).Fingerprint() != schema.Fingerprint());
}

// What a downgrade may forget besides tables, columns, keys and indexes: a function, an enum
// label, a comment, row-level security and its policies. Each is in the schema, by name.
TEST_CASE("PostgreSQL functions, types, comments and policies are part of the schema", "[schema]") {
  PostgresDatabase db;
  db.Exec(
      "CREATE TABLE users (id integer PRIMARY KEY, mood text);"
      "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;"
      "CREATE TYPE mood AS ENUM ('sad', 'happy');");
  const NormalizedSchema before = SchemaOf(db);
  INFO(before.Text());
  REQUIRE(before.objects().count("function one()") == 1);
  CHECK_THAT(before.objects().at("function one()"), Catch::Contains("select 1"));
  CHECK(before.objects().at("enum mood") == "('sad', 'happy')");
  CHECK(before.objects().at("table users").empty());

  struct Change {
    const char* sql;
    const char* object;  // the object that appears or changes
  };
  const Change changes[] = {
      {"CREATE OR REPLACE FUNCTION one() RETURNS integer LANGUAGE sql AS $$ SELECT 2 $$",
       "function one()"},
      {"CREATE PROCEDURE tidy(days integer) LANGUAGE sql AS $$ SELECT 1 $$",
       "procedure tidy(IN days integer)"},
      {"ALTER TYPE mood ADD VALUE 'meh' BEFORE 'happy'", "enum mood"},
      {"COMMENT ON TABLE users IS 'people'", "comment on table users"},
      {"COMMENT ON COLUMN users.mood IS 'how they feel'", "comment on column users.mood"},
      {"COMMENT ON FUNCTION one() IS 'the number'", "comment on function one()"},
      {"ALTER TABLE users ENABLE ROW LEVEL SECURITY", "table users"},
      {"CREATE POLICY own ON users FOR SELECT USING (id > 0)", "policy users.own"},
      {"CREATE DOMAIN positive AS integer NOT NULL CHECK (VALUE > 0)", "domain positive"},
      {"ALTER DOMAIN positive SET DEFAULT 1", "domain positive"},
      {"CREATE TYPE pair AS (a integer, b text)", "type pair"},
      {"ALTER TYPE pair ADD ATTRIBUTE c boolean", "type pair"},
      {"CREATE TYPE span AS RANGE (subtype = integer)", "range span"},
  };
  NormalizedSchema previous = before;
  for (const Change& change : changes) {
    INFO(change.sql);
    db.Exec(change.sql);
    const NormalizedSchema now = SchemaOf(db);
    CHECK(now.Fingerprint() != previous.Fingerprint());
    CHECK(now.objects().count(change.object) == 1);
    previous = now;
  }
  const auto& objects = previous.objects();
  CHECK(objects.at("enum mood") == "('sad', 'meh', 'happy')");
  CHECK(objects.at("comment on column users.mood") == "how they feel");
  CHECK(objects.at("table users") == "row security");
  CHECK(objects.at("policy users.own") == "for select to public using ((id > 0))");
  CHECK(objects.at("domain positive") == "integer not null default 1 check (value > 0)");
  CHECK(objects.at("type pair") == "(a integer, b text, c boolean)");
  CHECK(objects.at("range span") == "subtype integer");
  // A table's own row type and a range's multirange are not types of their own here.
  CHECK(objects.count("type users") == 0);
  CHECK(objects.count("range span_multirange") == 0);

  // An extension's functions are the extension's, not the schema's.
  db.Exec("DROP POLICY own ON users; ALTER TABLE users DISABLE ROW LEVEL SECURITY");
  const NormalizedSchema without_extension = SchemaOf(db);
  db.Exec("CREATE EXTENSION IF NOT EXISTS pg_trgm");
  CHECK(SchemaOf(db).Fingerprint() == without_extension.Fingerprint());
}

TEST_CASE("a schema diff names what was added, removed and changed", "[schema]") {
  NormalizedSchema expected, actual;
  expected.Add("table users", "");
  expected.Add("column users.status", "text default 'active'");
  expected.Add("index ix_users_email", "on users (email)");
  actual.Add("table users", "");
  actual.Add("column users.status", "text default 'new'");
  actual.Add("column users.nickname", "text");
  std::vector<std::string> described;
  for (const auto& difference : DiffSchemas(expected, actual)) {
    described.push_back(difference.Describe());
  }
  CHECK(described == std::vector<std::string>{
                         "+ column users.nickname text",
                         "~ column users.status: text default 'active' -> text default 'new'",
                         "- index ix_users_email on users (email)"});
  CHECK(DiffSchemas(expected, expected).empty());
  CHECK(NormalizeSqlText("  INTEGER   NOT\nNULL DEFAULT 'A  B' ") ==
        "integer not null default 'A  B'");
}

// Copies share their entries until one changes (verify hands a schema on at every state): a
// change to one copy is never seen in another, nor in what a copy was made from.
TEST_CASE("a copy of a schema is independent of the original", "[schema]") {
  NormalizedSchema original;
  original.Add("table users", "", ObjectSource::Of("users", "users", "CREATE TABLE users ()"));
  original.Add("column users.id", "integer");
  NormalizedSchema copy = original;
  copy.Add("column users.email", "text");
  copy.Remove("column users.id");
  CHECK(original.objects().size() == 2);
  CHECK(original.objects().count("column users.id") == 1);
  CHECK(original.objects().count("column users.email") == 0);
  CHECK(copy.objects().size() == 2);
  CHECK(copy.objects().count("column users.id") == 0);
  NormalizedSchema second = copy;
  original.Remove("table users");
  CHECK(original.source("table users") == nullptr);
  REQUIRE(copy.source("table users") != nullptr);
  CHECK(copy.source("table users")->sql == "CREATE TABLE users ()");
  CHECK(DiffSchemas(copy, second).empty());
  NormalizedSchema moved = std::move(second);
  CHECK(moved.objects().size() == 2);
  CHECK(NormalizedSchema().empty());
  CHECK(NormalizedSchema().source("table users") == nullptr);
}

}  // namespace
}  // namespace migrationd

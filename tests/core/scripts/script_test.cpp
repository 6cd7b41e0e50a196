// The script file format: parsing, rejections with file and line, dialect sections, checksums,
// statement splitting.
#include "core/scripts/script.h"

#include <catch2/catch.hpp>

#include "core/base/sha256.h"
#include "core/scripts/sql_splitter.h"

namespace migrationd {
namespace {

Status ParseError(const std::string& text) { return ParseScript(text, "m/x.sql").status(); }

TEST_CASE("a full script parses into its fields and sections", "[script]") {
  const std::string text =
      "-- revision: 003_add_versions\n"        // 1
      "-- parents: 002_a, 002_b\n"             // 2
      "-- message: add script versions\n"      // 3
      "-- transaction: none\n"                 // 4
      "-- Note: prose comments are allowed\n"  // 5
      "\n"                                     // 6
      "-- +upgrade\n"                          // 7
      "CREATE TABLE t (id INT);\n"             // 8
      "\n"                                     // 9
      "CREATE INDEX i ON t (id);\n"            // 10
      "-- +upgrade postgresql\n"               // 11
      "CREATE TABLE t (id BIGINT);\n"          // 12
      "-- +downgrade\n"                        // 13
      "DROP TABLE t;\n";                       // 14
  auto script = ParseScript(text, "m/003.sql");
  REQUIRE(script.ok());
  CHECK(script->id == "003_add_versions");
  CHECK(script->parents == std::vector<std::string>{"002_a", "002_b"});
  CHECK(script->message == "add script versions");
  CHECK(script->transaction == TransactionMode::kNone);
  CHECK(script->parents_line == 2);

  auto sqlite = script->Statements(Direction::kUpgrade, "sqlite");
  REQUIRE(sqlite.size() == 2);
  CHECK(sqlite[0].text == "CREATE TABLE t (id INT)");
  CHECK(sqlite[0].line == 8);
  CHECK(sqlite[1].line == 10);
  auto postgres = script->Statements(Direction::kUpgrade, "postgresql");
  REQUIRE(postgres.size() == 1);
  CHECK(postgres[0].text == "CREATE TABLE t (id BIGINT)");
  CHECK(postgres[0].line == 12);
  auto down = script->Statements(Direction::kDowngrade, "postgresql");
  REQUIRE(down.size() == 1);
  CHECK(down[0].line == 14);

  // Different effective text per dialect gives different checksums; same text, same checksum.
  CHECK(script->Checksum("sqlite") != script->Checksum("postgresql"));
  CHECK(script->Checksum("sqlite") == ParseScript(text, "elsewhere.sql")->Checksum("sqlite"));
}

TEST_CASE("a base revision has an empty parents line, transaction defaults per-migration",
          "[script]") {
  auto script = ParseScript("-- revision: base1\n-- parents:\n-- +upgrade\n", "b.sql");
  REQUIRE(script.ok());
  CHECK(script->parents.empty());
  CHECK(script->transaction == TransactionMode::kPerMigration);
  CHECK(script->Statements(Direction::kUpgrade, "sqlite").empty());
  CHECK_FALSE(script->HasDowngradeFor("sqlite"));
}

TEST_CASE("parse errors name the file and the line", "[script]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"-- parents:\n-- +upgrade\n", "m/x.sql:1: missing '-- revision: <id>'"},
      {"-- revision: a\n-- +upgrade\n", "m/x.sql:1: missing '-- parents:'"},
      {"-- revision: a\n-- parents:\n", "m/x.sql:1: no '-- +upgrade' section"},
      {"-- revision: a\n-- parents:\n-- +downgrade\nDROP TABLE t;\n",
       "m/x.sql:1: no '-- +upgrade' section"},
      {"-- revision: bad-id\n", "m/x.sql:1: revision id 'bad-id' is invalid"},
      {"-- revision: a b\n", "m/x.sql:1: revision id 'a b' is invalid"},
      {"-- revision: a\n-- parents: ok, no-good\n", "m/x.sql:2: parent 'no-good'"},
      {"-- revision: a\n-- parents: b, b\n-- +upgrade\n", "m/x.sql:2: a parent is listed twice"},
      {"-- revision: a\n-- parents: a\n-- +upgrade\n", "m/x.sql:2: revision 'a' lists itself"},
      {"-- revision: a\n-- revision: b\n", "m/x.sql:2: header field 'revision' given twice"},
      {"-- revision: a\n-- parent: b\n",
       "m/x.sql:2: unknown header field 'parent'; did you mean "
       "'parents'?"},
      {"-- revision: a\n-- parents:\n-- transaction: sometimes\n",
       "m/x.sql:3: transaction must be 'per-migration' or 'none'"},
      {"-- revision: a\n-- parents:\nCREATE TABLE t (id INT);\n",
       "m/x.sql:3: SQL before the first '-- +upgrade' marker"},
      {"-- revision: a\n-- parents:\n-- +upgrade mysql\n", "m/x.sql:3: unknown dialect 'mysql'"},
      {"-- revision: a\n-- parents:\n-- +upgrad\n", "m/x.sql:3: unknown section marker '+upgrad'"},
      {"-- revision: a\n-- parents:\n-- +upgrade\n-- +upgrade\n",
       "m/x.sql:4: a second '-- +upgrade' section"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    Status status = ParseError(c.text);
    CHECK(status.code() == ErrorCode::kParseError);
    CHECK_THAT(status.message(), Catch::StartsWith(c.expected));
  }
}

TEST_CASE("a rendered new script parses back", "[script]") {
  std::string text = RenderNewScript("004_add_audit", {"003_x"}, "add audit log");
  auto script = ParseScript(text, "004.sql");
  REQUIRE(script.ok());
  CHECK(script->id == "004_add_audit");
  CHECK(script->parents == std::vector<std::string>{"003_x"});
  CHECK(script->message == "add audit log");
}

TEST_CASE("statement splitting keeps semicolons inside quotes, comments and bodies", "[sql]") {
  const std::string sql =
      "INSERT INTO t VALUES ('a;b', \"c;d\");\n"                            // 10
      "-- a comment; with a semicolon\n"                                    // 11
      "/* block; comment */ UPDATE t SET x = 'it''s; fine';\n"              // 12
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"  // 13
      "CREATE FUNCTION g() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;\n"
      "CREATE TRIGGER trg AFTER INSERT ON t BEGIN\n"    // 15
      "  UPDATE t SET x = CASE WHEN 1 THEN 'y' END;\n"  // 16
      "  DELETE FROM u;\n"                              // 17
      "END;\n"                                          // 18
      ";;\n"                                            // 19
      "SELECT 1";                                       // 20
  auto statements = SplitSqlStatements(sql, 10);
  REQUIRE(statements.size() == 6);
  CHECK(statements[0].text == "INSERT INTO t VALUES ('a;b', \"c;d\")");
  CHECK(statements[0].line == 10);
  CHECK(statements[1].text == "/* block; comment */ UPDATE t SET x = 'it''s; fine'");
  CHECK(statements[1].line == 12);
  CHECK(statements[2].line == 13);
  CHECK(statements[3].line == 14);
  CHECK_THAT(statements[3].text, Catch::EndsWith("LANGUAGE plpgsql"));
  CHECK(statements[4].line == 15);
  CHECK_THAT(statements[4].text, Catch::EndsWith("END"));
  CHECK(statements[5].text == "SELECT 1");
  CHECK(statements[5].line == 20);
}

TEST_CASE("the splitter knows E'' strings, SQLite identifiers and nested comments", "[sql]") {
  auto pg = SplitSqlStatements(
      "SELECT E'it\\'s; tricky';\nSELECT 2;\n"
      "/* outer /* inner; */ still; comment */ SELECT 3;",
      1, "postgresql");
  REQUIRE(pg.size() == 3);
  CHECK(pg[0].text == "SELECT E'it\\'s; tricky'");
  CHECK(pg[1].text == "SELECT 2");
  CHECK_THAT(pg[2].text, Catch::EndsWith("SELECT 3"));
  auto sqlite = SplitSqlStatements(
      "CREATE TABLE [a;b] (`c;d` INTEGER);\nSELECT 1;\n"
      "/* a /* b */ SELECT 2;",
      1, "sqlite");
  REQUIRE(sqlite.size() == 3);
  CHECK(sqlite[0].text == "CREATE TABLE [a;b] (`c;d` INTEGER)");
  CHECK(sqlite[1].text == "SELECT 1");
  CHECK_THAT(sqlite[2].text, Catch::EndsWith("SELECT 2"));  // SQLite comments do not nest
}

TEST_CASE("a PostgreSQL statement that does not parse is kept, not dropped", "[sql]") {
  // The parser fails on "SELEC", and libpg_query's scanner split, the fallback, leaves out a
  // statement that starts with no keyword: the revision would succeed without it.
  for (const std::string& sql :
       {std::string("SELEC 1;\nCREATE TABLE t (id INTEGER);\n"),
        std::string("CREATE TABLE t (id INTEGER);\n-- a comment; with a semicolon\nSELEC 1;\n"),
        std::string("CREATE TABLE t (id INTEGER);\nSELEC 1")}) {
    INFO(sql);
    auto statements = SplitSqlStatements(sql, 10, "postgresql");
    REQUIRE(statements.size() == 2);
    const SqlStatement& bad = statements[0].text == "SELEC 1" ? statements[0] : statements[1];
    CHECK(bad.text == "SELEC 1");
    CHECK(bad.line ==
          (sql.rfind("SELEC", 0) == 0 ? 10 : 10 + (sql.find("--") == std::string::npos ? 1 : 2)));
  }
}

TEST_CASE("a section marker inside a comment or a string is refused, not ignored", "[script]") {
  const std::string head = "-- revision: 004\n-- parents: 003\n-- +upgrade\n";
  for (const std::string& body :
       {std::string("/* disabled for now\n-- +downgrade\nDROP TABLE t;\n*/\n"),
        std::string("INSERT INTO t VALUES ('multi\n-- +downgrade\nline');\n"),
        std::string("CREATE FUNCTION f() RETURNS int AS $$\n-- +downgrade\n$$ LANGUAGE sql;\n")}) {
    auto script = ParseScript(head + "CREATE TABLE t (id INTEGER);\n" + body, "004.sql");
    INFO(body);
    REQUIRE_FALSE(script.ok());
    CHECK_THAT(script.status().message(),
               Catch::StartsWith("004.sql:") && Catch::Contains("section marker inside"));
  }
  auto fine = ParseScript(head +
                              "CREATE TABLE t (id INTEGER); /* one-line */\n-- +downgrade\n"
                              "DROP TABLE t;\n",
                          "004.sql");
  REQUIRE(fine.ok());
  CHECK(fine->Statements(Direction::kDowngrade, "sqlite").size() == 1);
}

TEST_CASE("transaction control inside a transactional revision is refused at load", "[script]") {
  const std::string head = "-- revision: 004\n-- parents: 003\n";
  struct Case {
    std::string sql;
    int line;
  };
  for (const Case& c : {Case{"CREATE TABLE a (id INTEGER);\nCOMMIT;\nBEGIN;\n", 5},
                        Case{"ROLLBACK;\n", 4}, Case{"begin transaction;\n", 4},
                        Case{"START TRANSACTION;\n", 4}, Case{"SELECT 1;\nEND;\n", 5}}) {
    auto script =
        ParseScript(head + "-- +upgrade\n" + c.sql + "-- +downgrade\nSELECT 1;\n", "004.sql");
    INFO(c.sql);
    REQUIRE_FALSE(script.ok());
    CHECK_THAT(script.status().message(),
               Catch::StartsWith("004.sql:" + std::to_string(c.line) + ":") &&
                   Catch::Contains("transaction: none"));
  }
  // Bodies and savepoints are not transaction control; `transaction: none` may use it.
  // Each engine's section is read by that engine's lexer.
  CHECK(ParseScript(head + "-- +upgrade postgresql\nDO $$ BEGIN PERFORM 1; END $$;\n"
                           "SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nRELEASE s;\n"
                           "-- +upgrade sqlite\n"
                           "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\n"
                           "SAVEPOINT s;\nROLLBACK TO SAVEPOINT s;\nRELEASE s;\n",
                    "004.sql")
            .ok());
  // A common section is read by the engine's lexer once the engine is known: a SQLite trigger
  // body there reads, to PostgreSQL, as statements ending in END (a COMMIT).
  auto common = ParseScript(head +
                                "-- +upgrade\n"
                                "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END;\n",
                            "004.sql");
  REQUIRE(common.ok());
  CHECK(common->CheckNoTransactionControl("sqlite").ok());
  Status on_postgres = common->CheckNoTransactionControl("postgresql");
  CHECK_THAT(on_postgres.message(),
             Catch::StartsWith("004.sql:4:") && Catch::Contains("'-- +upgrade sqlite' section"));
  CHECK(
      ParseScript(head + "-- transaction: none\n-- +upgrade\nCOMMIT;\nVACUUM;\n", "004.sql").ok());
}

TEST_CASE("sha256 matches the FIPS 180-4 test vectors", "[sha256]") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 incremental;
  std::string million_a(1000000, 'a');
  for (size_t i = 0; i < million_a.size(); i += 999) {
    incremental.Update(std::string_view(million_a).substr(i, 999));
  }
  CHECK(incremental.HexDigest() ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("a behaviour header written inside a section is refused, naming the line", "[script]") {
  const auto [header, line] = GENERATE(table<std::string, int>({
      {"-- downgrade: no-op", 7},
      {"-- transaction: none", 5},
      {"--  sqlite-foreign-keys: off", 5},
  }));
  INFO(header);
  const bool in_downgrade = header.find("downgrade") != std::string::npos;
  const std::string text =
      "-- revision: r1\n-- parents:\n\n-- +upgrade\n" +
      (in_downgrade ? std::string("CREATE TABLE t (id INTEGER);\n-- +downgrade\n") : "") + header +
      "\n" +
      (in_downgrade ? ""
                    : "CREATE TABLE t (id INTEGER);\n-- +downgrade\n"
                      "DROP TABLE t;\n");
  auto script = ParseScript(text, "r1.sql");
  REQUIRE_FALSE(script.ok());
  CHECK_THAT(script.status().message(), Catch::Contains("r1.sql:" + std::to_string(line)) &&
                                            Catch::Contains("is a header") &&
                                            Catch::Contains("above the first"));
}

TEST_CASE("the no-op downgrade declared in the header parses and changes the checksum",
          "[script]") {
  const std::string base = "-- revision: r1\n-- parents:\n";
  const std::string body = "\n-- +upgrade\nCREATE TABLE t (id INTEGER);\n-- +downgrade\n";
  auto plain = ParseScript(base + body, "r1.sql");
  auto noop = ParseScript(base + "-- downgrade: no-op\n" + body, "r1.sql");
  REQUIRE(plain.ok());
  REQUIRE(noop.ok());
  CHECK(noop->downgrade_is_noop);
  CHECK(noop->Checksum("sqlite") != plain->Checksum("sqlite"));
}

}  // namespace
}  // namespace migrationd

namespace migrationd {
namespace {

TEST_CASE("COMMIT AND CHAIN in a transactional revision is refused with a way out that works",
          "[script]") {
  auto script = ParseScript(
      "-- revision: r1\n-- parents:\n-- +upgrade\nCREATE TABLE t (id INTEGER);\n"
      "COMMIT AND CHAIN;\nCREATE TABLE u (id INTEGER);\n-- +downgrade\n",
      "r1.sql");
  REQUIRE_FALSE(script.ok());
  const Status refused = script.status();
  CHECK_THAT(refused.message(), Catch::Contains("r1.sql:5") &&
                                    Catch::Contains("split the revision") &&
                                    !Catch::Contains("declare '-- transaction: none'"));
}

}  // namespace
}  // namespace migrationd

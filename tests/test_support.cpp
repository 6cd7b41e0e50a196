#include "tests/test_support.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

namespace migrationd::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "migrationd-test.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string SeedMigrationsDir() { return MIGRATIOND_SOURCE_DIR "/migrations"; }

void CopySeedMigrations(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(SeedMigrationsDir())) {
    fs::copy_file(entry.path(), fs::path(dir) / entry.path().filename());
  }
}

std::string SeedMigrationsPlus(const TempDir& dir,
                               const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string migrations = dir / "migrations";
  fs::create_directories(migrations);
  CopySeedMigrations(migrations);
  for (const auto& [name, text] : extra) WriteFile(migrations + "/" + name, text);
  return migrations;
}

namespace {

// A dump and restore re-spells some expressions with the same meaning: `x = ANY ((ARRAY['a'::
// character varying])::text[])` comes back as `x = ANY (ARRAY[('a'::character varying)::text])`.
// Casts and parentheses are dropped before comparing.
std::string NormalizeExpression(std::string text) {
  for (const char* cast : {"::character varying", "::text[]", "::text"}) {
    for (size_t at = text.find(cast); at != std::string::npos; at = text.find(cast, at)) {
      text.erase(at, std::strlen(cast));
    }
  }
  std::erase_if(text, [](char c) { return c == '(' || c == ')'; });
  return text;
}

// Tests may read while a daemon or another process writes.
constexpr int kBusyTimeoutMs = 10000;

bool IsOwnTable(const std::string& name) {
  return name.starts_with("migrationd_") || name.starts_with("sqlite_");
}

}  // namespace

// ---------------------------------------------------------------------------------- SQLite

SqliteDatabase::SqliteDatabase() : path_(dir_ / "test.db") {}

void SqliteDatabase::Exec(const std::string& sql) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(sql);
}

Rows SqliteDatabase::Query(const std::string& sql) {
  SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, kBusyTimeoutMs);
  SQLite::Statement statement(db, sql);
  Rows rows;
  while (statement.executeStep()) {
    std::vector<std::string> row;
    for (int i = 0; i < statement.getColumnCount(); ++i) {
      auto column = statement.getColumn(i);
      row.push_back(column.isNull() ? "<null>" : column.getString());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::map<std::string, std::vector<std::string>> SqliteDatabase::TableColumns() {
  std::map<std::string, std::vector<std::string>> tables;
  for (const auto& table : Query("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    if (IsOwnTable(table[0])) continue;
    auto& columns = tables[table[0]];
    for (const auto& column : Query("SELECT name FROM pragma_table_info('" + table[0] + "')")) {
      columns.push_back(column[0]);
    }
  }
  return tables;
}

std::vector<std::string> SqliteDatabase::SchemaSnapshot() {
  std::vector<std::string> lines;
  for (const auto& table : Query("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    const std::string& t = table[0];
    if (IsOwnTable(t)) continue;
    for (const auto& c : Query("SELECT name, type, \"notnull\", dflt_value, pk FROM "
                               "pragma_table_info('" +
                               t + "')")) {
      lines.push_back("column " + t + "." + c[0] + " " + c[1] + " notnull=" + c[2] +
                      " default=" + c[3] + " pk=" + c[4]);
    }
    for (const auto& index :
         Query("SELECT name, \"unique\", origin FROM pragma_index_list('" + t + "')")) {
      std::string columns;
      for (const auto& c : Query("SELECT name FROM pragma_index_info('" + index[0] + "')")) {
        columns += c[0] + ",";
      }
      // Automatic indexes are named by position; name them by what they index instead.
      std::string name = index[0].starts_with("sqlite_autoindex") ? "(auto)" : index[0];
      lines.push_back("index " + t + " " + name + " unique=" + index[1] + " origin=" + index[2] +
                      " (" + columns + ")");
    }
    for (const auto& fk : Query("SELECT \"table\", \"from\", \"to\", on_delete FROM "
                                "pragma_foreign_key_list('" +
                                t + "')")) {
      lines.push_back("foreign key " + t + "." + fk[1] + " -> " + fk[0] + "." + fk[2] +
                      " on delete " + fk[3]);
    }
    // CHECK constraints live only in the CREATE text; keep the parenthesized CHECK clauses.
    std::string sql = Query("SELECT sql FROM sqlite_master WHERE name = '" + t + "'")[0][0];
    for (size_t at = sql.find("CHECK"); at != std::string::npos; at = sql.find("CHECK", at + 1)) {
      size_t close = sql.find(')', sql.find('(', at));
      lines.push_back("check " + t + " " + sql.substr(at, close + 1 - at));
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

// ------------------------------------------------------------------------------ PostgreSQL

std::string PostgresDatabase::ClusterUrl() {
  const char* url = std::getenv("MIGRATIOND_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "MIGRATIOND_TEST_PG_URL is not set: PostgreSQL tests need a server; run the suite "
        "through scripts/test (or scripts/with-postgres ctest ...)");
  }
  return url;
}

PostgresDatabase::PostgresDatabase(const std::string& create_options) {
  static std::atomic<int> counter{0};
  name_ = "mdtest_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  std::string cluster = ClusterUrl();
  {
    pqxx::connection connection(cluster);
    pqxx::nontransaction tx(connection);
    tx.exec("DROP DATABASE IF EXISTS " + name_);
    tx.exec("CREATE DATABASE " + name_ + (create_options.empty() ? "" : " " + create_options));
  }
  // postgresql://user@/postgres?host=... -> same with this database's name.
  size_t slash = cluster.find('/', cluster.find("://") + 3);
  size_t query = cluster.find('?', slash);
  url_ = cluster.substr(0, slash + 1) + name_ +
         (query == std::string::npos ? "" : cluster.substr(query));
}

PostgresDatabase::~PostgresDatabase() {
  try {
    pqxx::connection connection(ClusterUrl());
    pqxx::nontransaction tx(connection);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
    // The cluster is thrown away at the end of the run anyway.
  }
}

void PostgresDatabase::Exec(const std::string& sql) {
  pqxx::connection connection(url_);
  pqxx::work tx(connection);
  tx.exec(sql);
  tx.commit();
}

namespace {

Rows QueryUrl(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  Rows rows;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> values;
    for (const auto& field : row) values.push_back(field.is_null() ? "<null>" : field.c_str());
    rows.push_back(std::move(values));
  }
  return rows;
}

// Runs `argv` (as the `postgres` user when we are root: the server refuses root) and waits;
// its output goes to `log`. Throws when it fails.
void RunServerTool(std::vector<std::string> argv, const std::string& log) {
  if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv.back() + " failed; see " + log + ":\n" + ReadFile(log));
  }
}

}  // namespace

PrivateCluster::PrivateCluster(std::vector<std::string> settings) : settings_(std::move(settings)) {
  const char* bindir = std::getenv("MIGRATIOND_TEST_PG_BINDIR");
  if (bindir == nullptr) {
    throw std::runtime_error(
        "MIGRATIOND_TEST_PG_BINDIR is not set: run the tests through scripts/with-postgres");
  }
  bindir_ = bindir;
  port_ = 55000 + static_cast<int>(getpid() % 4000);
  chmod(dir_.path().c_str(), 0755);
  if (geteuid() == 0) {
    struct passwd* postgres = getpwnam("postgres");
    if (postgres == nullptr) throw std::runtime_error("no 'postgres' user to run the server");
    if (chown(dir_.path().c_str(), postgres->pw_uid, postgres->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + dir_.path().string());
    }
  }
  RunServerTool(
      {bindir_ + "/initdb", "-D", dir_ / "data", "-U", "postgres", "-A", "trust", "--no-sync"},
      dir_ / "initdb.log");
  PgCtl({"start"});
  std::string me = getpwuid(geteuid())->pw_name;
  std::string as_postgres = "postgresql://postgres@/postgres?host=" + dir_.path().string() +
                            "&port=" + std::to_string(port_);
  if (me != "postgres") QueryUrl(as_postgres, "CREATE ROLE \"" + me + "\" SUPERUSER LOGIN");
  url_ = "postgresql://" + me + "@/postgres?host=" + dir_.path().string() +
         "&port=" + std::to_string(port_);
}

PrivateCluster::~PrivateCluster() {
  try {
    PgCtl({"-m", "immediate", "stop"});
  } catch (const std::exception&) {
    // Already stopped; the directory goes with dir_.
  }
}

void PrivateCluster::PgCtl(const std::vector<std::string>& args) {
  std::string options = "-c listen_addresses='' -k " + dir_.path().string() + " -p " +
                        std::to_string(port_) + " -c fsync=off";
  for (const std::string& setting : settings_) options += " -c " + setting;
  std::vector<std::string> argv = {bindir_ + "/pg_ctl", "-D", dir_ / "data", "-l",
                                   dir_ / "server.log", "-w", "-o",          options};
  argv.insert(argv.end(), args.begin(), args.end());
  RunServerTool(argv, dir_ / "pg_ctl.log");
}

void PrivateCluster::Restart() { PgCtl({"-m", "fast", "restart"}); }

Rows PrivateCluster::Query(const std::string& sql) { return QueryUrl(url_, sql); }

Rows PostgresDatabase::Query(const std::string& sql) { return QueryUrl(url_, sql); }

std::map<std::string, std::vector<std::string>> PostgresDatabase::TableColumns() {
  std::map<std::string, std::vector<std::string>> tables;
  for (const auto& row : Query("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE table_schema = 'public' "
                               "ORDER BY table_name, ordinal_position")) {
    if (!IsOwnTable(row[0])) tables[row[0]].push_back(row[1]);
  }
  return tables;
}

std::vector<std::string> PostgresDatabase::SchemaSnapshot() {
  std::vector<std::string> lines;
  for (const auto& c : Query("SELECT table_name, column_name, data_type, is_nullable,"
                             " coalesce(column_default, '<none>'), is_identity"
                             " FROM information_schema.columns WHERE table_schema = 'public'")) {
    if (IsOwnTable(c[0])) continue;
    lines.push_back("column " + c[0] + "." + c[1] + " " + c[2] + " nullable=" + c[3] +
                    " default=" + c[4] + " identity=" + c[5]);
  }
  for (const auto& i : Query("SELECT tablename, indexdef FROM pg_indexes"
                             " WHERE schemaname = 'public'")) {
    if (!IsOwnTable(i[0])) lines.push_back("index " + i[0] + " " + i[1]);
  }
  for (const auto& k : Query("SELECT conrelid::regclass::text, conname,"
                             " pg_get_constraintdef(oid) FROM pg_constraint"
                             " WHERE connamespace = 'public'::regnamespace")) {
    if (!IsOwnTable(k[0])) {
      lines.push_back("constraint " + k[0] + " " + k[1] + " " + NormalizeExpression(k[2]));
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace migrationd::testing

// Helpers shared by the tests: temp directories, and real test databases with direct catalog
// access that does not go through the code under test.
//
// PostgresDatabase creates a fresh database in the cluster named by MIGRATIOND_TEST_PG_URL
// (scripts/with-postgres sets it) and drops it afterwards. Without that variable it fails the
// test: a PostgreSQL test that cannot run is a failure, never a silent pass.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace migrationd::testing {

// A directory under /tmp removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);
// The repository's migrations/ directory (the seed's chain).
std::string SeedMigrationsDir();
// The head revision of the seed chain in migrations/.
inline constexpr const char* kSeedHead = "003_add_script_version_management";
// Copies the seed's scripts into `dir` (to add scripts beside them).
void CopySeedMigrations(const std::string& dir);
// `dir`/migrations with the seed's scripts plus `extra` (file name -> text); returns its path.
std::string SeedMigrationsPlus(const TempDir& dir,
                               const std::vector<std::pair<std::string, std::string>>& extra);

using Rows = std::vector<std::vector<std::string>>;  // NULL reads as "<null>"

// Direct access to one test database, engine-specific, independent of migrationd's backends.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::string url() const = 0;
  virtual std::string dialect() const = 0;
  virtual void Exec(const std::string& sql) = 0;
  virtual Rows Query(const std::string& sql) = 0;
  // User tables and their columns, as the catalog lists them (migrationd's own tables excluded).
  virtual std::map<std::string, std::vector<std::string>> TableColumns() = 0;
  // A normalized, sorted description of every user table, column, index and constraint.
  virtual std::vector<std::string> SchemaSnapshot() = 0;
};

class SqliteDatabase : public TestDatabase {
 public:
  SqliteDatabase();
  std::string url() const override { return "sqlite://" + path_; }
  std::string dialect() const override { return "sqlite"; }
  void Exec(const std::string& sql) override;
  Rows Query(const std::string& sql) override;
  std::map<std::string, std::vector<std::string>> TableColumns() override;
  std::vector<std::string> SchemaSnapshot() override;
  const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
};

class PostgresDatabase : public TestDatabase {
 public:
  // `create_options`: appended to CREATE DATABASE (a collation, a template).
  explicit PostgresDatabase(const std::string& create_options = "");
  ~PostgresDatabase() override;
  std::string url() const override { return url_; }
  std::string dialect() const override { return "postgresql"; }
  void Exec(const std::string& sql) override;
  Rows Query(const std::string& sql) override;
  std::map<std::string, std::vector<std::string>> TableColumns() override;
  std::vector<std::string> SchemaSnapshot() override;

  // The libpq URI of the cluster's maintenance database (from MIGRATIOND_TEST_PG_URL).
  static std::string ClusterUrl();

 private:
  std::string name_;
  std::string url_;
};

// A PostgreSQL cluster of the test's own (initdb + pg_ctl from MIGRATIOND_TEST_PG_BINDIR, run
// as `postgres` when the test is root), for faults that would disturb the shared cluster:
// restarting the server. A few seconds to start; stopped and deleted on destruction.
class PrivateCluster {
 public:
  // `settings`: extra server settings ("fsync=on"), after the defaults (fsync=off).
  explicit PrivateCluster(std::vector<std::string> settings = {});
  ~PrivateCluster();
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;
  // The libpq URI of its `postgres` database, as the test user (a superuser).
  const std::string& url() const { return url_; }
  Rows Query(const std::string& sql);
  // pg_ctl restart -m fast: every session is ended, the server is back when this returns.
  void Restart();

 private:
  void PgCtl(const std::vector<std::string>& args);
  TempDir dir_;
  std::string bindir_;
  std::vector<std::string> settings_;
  int port_ = 0;
  std::string url_;
};

}  // namespace migrationd::testing

// The PostgreSQL BackupEngine: pg_dump, pg_restore and psql, run with argument vectors.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>

#include "core/base/private_file.h"
#include "core/base/subprocess.h"
#include "core/base/temp_files.h"
#include "core/postgres/postgres_engine.h"

namespace migrationd {
namespace {

namespace fs = std::filesystem;

// Empties schema `public` (tables, views, sequences, functions, types; not extension members),
// keeping the schema itself with its owner and privileges. The dump then recreates its objects.
constexpr const char* kEmptyPublicSchema = R"SQL(
DO $migrationd$ DECLARE statements text[]; statement text; BEGIN
  -- Each list is built in full before anything is dropped: a loop over a live query would
  -- meet relations an earlier DROP ... CASCADE removed. IF EXISTS skips those.
  SELECT array_agg(format('DROP %s IF EXISTS %s CASCADE', CASE c.relkind WHEN 'v' THEN 'VIEW'
           WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           c.oid::regclass::text)) INTO statements
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e');
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;
  SELECT array_agg(format('DROP SEQUENCE IF EXISTS %s CASCADE', c.oid::regclass::text))
    INTO statements
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'S'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e');
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;
  SELECT array_agg(format('DROP %s IF EXISTS %s CASCADE', CASE p.prokind WHEN 'p' THEN
           'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
           p.oid::regprocedure::text)) INTO statements
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e');
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;
  SELECT array_agg(format('DROP %s IF EXISTS %s CASCADE',
           CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text))
    INTO statements
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'c')
      AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e');
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP EXECUTE statement; END LOOP;
END $migrationd$;
)SQL";

// The newest /usr/lib/postgresql/N/bin/`name`, or "".
std::string NewestInstalledTool(const std::string& name) {
  std::string best;
  int best_version = -1;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
    fs::path candidate = entry.path() / "bin" / name;
    int version = std::atoi(entry.path().filename().c_str());
    if (fs::exists(candidate) && version > best_version) {
      best = candidate.string();
      best_version = version;
    }
  }
  return best;
}

// Whether `path` is Debian's postgresql-common wrapper (/usr/bin/pg_dump and friends).
bool IsDebianWrapper(const std::string& path) {
  std::error_code error;
  return fs::canonical(path, error).filename() == "pg_wrapper" && !error;
}

// pg_dump, pg_restore and psql: from `bin_dir` if set, else PATH, else the newest
// /usr/lib/postgresql/N/bin. Debian's /usr/bin/pg_dump is postgresql-common's pg_wrapper, a
// Perl script that picks a client version and execs it: about 50 ms per call, and a backup
// makes three (--version, the dump, pg_restore --list), which made `migctl backup` 1.10x a bare
// `pg_dump`. For a server named by URL it picks the newest installed client unless a local
// cluster is the default; migrationd goes to the newest directly (CheckTools still refuses a
// client older than the server).
std::string FindPostgresTool(const std::string& name, const std::string& bin_dir) {
  if (!bin_dir.empty()) {
    fs::path candidate = fs::path(bin_dir) / name;
    return access(candidate.c_str(), X_OK) == 0 ? candidate.string() : "";
  }
  std::string found = FindInPath(name);
  if (found.empty() || IsDebianWrapper(found)) {
    if (std::string newest = NewestInstalledTool(name); !newest.empty()) return newest;
  }
  return found;
}

// "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> 15
int MajorVersionOf(const std::string& version_line) {
  static const std::regex kVersion(R"(\(PostgreSQL\) (\d+))");
  std::smatch match;
  return std::regex_search(version_line, match, kVersion) ? std::stoi(match[1].str()) : -1;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// What a dump's session waits for, found by its application_name: the table whose lock it has
// not been granted and the sessions that hold it. One row at most.
constexpr const char* kDumpWaitingFor = R"SQL(
SELECT l.relation::regclass::text,
       (SELECT string_agg(format('pid %s (%s%s, %s)', b.pid, b.usename,
                                 CASE WHEN b.application_name <> ''
                                      THEN ' ' || b.application_name ELSE '' END,
                                 b.state), '; ' ORDER BY b.pid)
          FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid)))
  FROM pg_stat_activity a
  JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted AND l.relation IS NOT NULL
 WHERE a.application_name = $1
 LIMIT 1
)SQL";

// Watches a running pg_dump, about once a second after its first second, and reports when it
// starts or stops waiting for a table lock: the pre-migration dump can sit behind a long
// transaction or a LOCK TABLE until --lock-wait-timeout, and `status` should say why. The
// watch gives up silently if it cannot connect: it only ever adds information.
class DumpLockWatch {
 public:
  DumpLockWatch(const DatabaseUrl& url, std::string application_name,
                std::function<void(const std::string&)> report)
      : url_(url), application_name_(std::move(application_name)), report_(std::move(report)) {}

  void Poll() {
    if (!report_ || std::chrono::steady_clock::now() < next_poll_) return;
    next_poll_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (!connection_) {
      auto opened = OpenPostgres(url_, false);
      if (!opened.ok()) return report_ = nullptr, void();
      connection_ = std::move(opened).value();
    }
    auto rows = connection_->Query(kDumpWaitingFor, {application_name_});
    std::string waiting;
    if (rows.ok() && !rows->empty()) {
      const SqlRow& row = rows->front();
      waiting = "a lock on table " + row[0].value_or("?");
      if (row[1]) waiting += ", held by " + *row[1];
    }
    if (waiting != reported_) report_(reported_ = waiting);
  }

 private:
  DatabaseUrl url_;
  std::string application_name_;
  std::function<void(const std::string&)> report_;
  std::chrono::steady_clock::time_point next_poll_ =
      std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::unique_ptr<Backend> connection_;
  std::string reported_;
};

class PostgresBackupEngine final : public BackupEngine {
 public:
  PostgresBackupEngine(const DatabaseUrl& url, const BackupOptions& options)
      : url_(url),
        format_(options.postgres_format),
        bin_dir_(options.postgres_bin_dir),
        lock_wait_ms_(options.postgres_lock_wait_ms),
        credentials_(SplitPassword(url.target())) {}

  std::string extension() const override { return format_ == "plain" ? "sql" : "dump"; }
  std::string format() const override { return format_; }
  std::string tool_version() const override { return tool_version_; }

  Status CheckTools() override {
    pg_dump_ = FindPostgresTool("pg_dump", bin_dir_);
    pg_restore_ = FindPostgresTool("pg_restore", bin_dir_);
    psql_ = FindPostgresTool("psql", bin_dir_);
    if (pg_dump_.empty() || pg_restore_.empty() || psql_.empty()) {
      return Status::Unavailable(
          "pg_dump, pg_restore and psql are needed for PostgreSQL backups and were not found in " +
          (bin_dir_.empty() ? std::string("PATH or /usr/lib/postgresql/*/bin") : bin_dir_) +
          "; install postgresql-client (of the server's major version or newer), or pass "
          "--no-backup");
    }
    auto version = RunProcess({pg_dump_, "--version"});
    if (!version.ok()) return version.status();
    tool_version_ = FirstLine(version->stdout_text);
    int tool_major = MajorVersionOf(tool_version_);
    auto backend = OpenPostgres(url_, false);
    if (!backend.ok()) return backend.status();
    auto rows = (*backend)->Query("SHOW server_version_num");
    if (!rows.ok()) return rows.status();
    int server_major = std::stoi(rows->front()[0].value_or("0")) / 10000;
    if (tool_major < server_major) {
      return Status::Unavailable("the server runs PostgreSQL " + std::to_string(server_major) +
                                 " but " + pg_dump_ + " is " + tool_version_ +
                                 ", which cannot dump it; install postgresql-client-" +
                                 std::to_string(server_major) + " or newer");
    }
    return Status::Ok();
  }

  Result<DumpStats> Dump(const std::string& path) override {
    std::vector<std::string> argv = {pg_dump_, "--format=" + format_, "--file=" + path,
                                     "--no-password"};
    if (lock_wait_ms_ > 0) argv.push_back("--lock-wait-timeout=" + std::to_string(lock_wait_ms_));
    argv.push_back("--dbname=" + credentials_.uri_without_password);
    // PGAPPNAME names the dump's session so that the watch can find it (an application_name in
    // the URL would win over it, and the watch would then see nothing).
    static std::atomic<uint64_t> dumps{0};
    const std::string application_name =
        "migrationd-backup-" + std::to_string(getpid()) + "-" + std::to_string(++dumps);
    DumpLockWatch watch(url_, application_name, on_waiting_);
    std::map<std::string, std::string> environment{{"PGAPPNAME", application_name}};
    std::optional<TempFileOwner> owner;
    TempFiles service_file;  // removed before the owner's claim ends (declared after it)
    if (!credentials_.ssl_password.empty()) {
      const fs::path data(path);
      auto claimed = TempFileOwner::Claim(data.parent_path().string());
      if (!claimed.ok()) return claimed.status();
      owner.emplace(std::move(claimed).value());
      MIGRATIOND_RETURN_IF_ERROR(AddServiceFile(
          owner->PathFor(data.filename().string() + ".pgservice"), service_file, environment));
    }
    Status dumped = Run(argv, "pg_dump", environment, [&watch] { watch.Poll(); });
    if (!dumped.ok()) return ExplainLockWait(dumped);
    return DumpStats{};
  }

  Status Verify(const std::string& path) override {
    if (format_ == "plain") {
      // A complete plain dump ends with this comment; a cut-off one does not.
      std::ifstream in(path, std::ios::binary);
      in.seekg(0, std::ios::end);
      auto size = static_cast<std::streamoff>(in.tellg());
      in.seekg(std::max<std::streamoff>(0, size - 4096));
      std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (tail.find("PostgreSQL database dump complete") == std::string::npos) {
        return Status::Io(path + " is not a complete pg_dump plain-format file");
      }
      return Status::Ok();
    }
    auto listed = RunProcess({pg_restore_, "--list", path});
    if (!listed.ok()) return listed.status();
    if (listed->exit_code != 0) {
      return Status::Io("pg_restore --list " + path + " failed: " + FirstLine(listed->stderr_text));
    }
    return Status::Ok();
  }

  Status Restore(const std::string& path, const std::string& guard_sql) override {
    // One psql session, one transaction: the public schema is emptied and the dump's objects
    // and rows recreated, then the guard runs; any error rolls all of it back. The generated
    // files hold a full copy of the data: private, beside the backup under the temporary prefix
    // the backup directory's start-up cleanup removes, and removed here whatever happens.
    const fs::path data(path);
    auto owner = TempFileOwner::Claim(data.parent_path().string());
    if (!owner.ok()) return owner.status();
    TempFiles generated;  // removed before the owner's claim ends (declared after it)
    auto sibling = [&](const std::string& suffix) {
      return owner->PathFor(data.filename().string() + suffix);
    };
    std::string script = path;  // a plain dump is already the SQL to run
    if (format_ != "plain") {
      script = sibling(".restore.sql");
      generated.Add(script);
      MIGRATIOND_RETURN_IF_ERROR(WritePrivateFile(script, ""));
      MIGRATIOND_RETURN_IF_ERROR(Run({pg_restore_, "--file=" + script, path}, "pg_restore"));
    }
    std::string preamble = sibling(".restore-preamble.sql");
    generated.Add(preamble);
    MIGRATIOND_RETURN_IF_ERROR(WritePrivateFile(preamble, kEmptyPublicSchema));
    std::vector<std::string> argv = {psql_,
                                     "--no-psqlrc",
                                     "--quiet",
                                     "--single-transaction",
                                     "--set=ON_ERROR_STOP=1",
                                     "--no-password",
                                     "--file=" + preamble,
                                     "--file=" + script};
    if (!guard_sql.empty()) {
      std::string guard = sibling(".restore-guard.sql");
      generated.Add(guard);
      MIGRATIOND_RETURN_IF_ERROR(WritePrivateFile(guard, guard_sql + "\n"));
      argv.push_back("--file=" + guard);
    }
    argv.push_back("--dbname=" + credentials_.uri_without_password);
    std::map<std::string, std::string> environment;
    MIGRATIOND_RETURN_IF_ERROR(AddServiceFile(sibling(".pgservice"), generated, environment));
    return Run(argv, "psql", environment);
  }

  // pg_restore straight into the new database, in one transaction: no SQL file written first
  // (the full restore replays through psql to empty `public` and add the guard, which an empty
  // copy needs neither of).
  Status RestoreIntoEmpty(const std::string& path) override {
    if (format_ == "plain") return Restore(path, "");
    const fs::path data(path);
    auto owner = TempFileOwner::Claim(data.parent_path().string());
    if (!owner.ok()) return owner.status();
    TempFiles generated;  // removed before the owner's claim ends (declared after it)
    std::map<std::string, std::string> environment;
    MIGRATIOND_RETURN_IF_ERROR(AddServiceFile(
        owner->PathFor(data.filename().string() + ".pgservice"), generated, environment));
    return Run({pg_restore_, "--single-transaction", "--exit-on-error", "--no-password",
                "--dbname=" + credentials_.uri_without_password, path},
               "pg_restore", environment);
  }

 private:
  // The private service file that carries an sslpassword to pg_dump and psql
  // (core/db/database_url.h says why), at `file`, removed with `files`.
  Status AddServiceFile(const std::string& file, TempFiles& files,
                        std::map<std::string, std::string>& environment) const {
    if (credentials_.ssl_password.empty()) return Status::Ok();
    files.Add(file);
    MIGRATIOND_RETURN_IF_ERROR(
        WritePrivateFile(file, "[" + std::string(kSslPasswordService) +
                                   "]\nsslpassword=" + credentials_.ssl_password + "\n"));
    environment["PGSERVICEFILE"] = file;
    return Status::Ok();
  }

  // pg_dump names the lock it gave up on only in its "Query was: LOCK TABLE t IN ACCESS SHARE
  // MODE" detail line: say which table, and that nothing was migrated.
  Status ExplainLockWait(const Status& failed) const {
    static const std::regex kLockTable(R"(LOCK TABLE (\S+) IN ACCESS SHARE MODE)");
    std::smatch match;
    const std::string& text = failed.message();
    if (!std::regex_search(text, match, kLockTable)) return failed;
    return Status::Busy("the backup waited " + std::to_string(lock_wait_ms_) +
                        " ms (lock_timeout x (lock_retries + 1)) for a lock on table " +
                        match[1].str() +
                        ", which another session holds (a long transaction, a LOCK TABLE): no "
                        "migration SQL ran. Find the holder in pg_locks and pg_stat_activity, "
                        "then run the command again (" +
                        FirstLine(text) + ")");
  }

  // `environment` adds to PGPASSWORD; `poll` runs with each check for a stop (every 100 ms).
  Status Run(const std::vector<std::string>& argv, const std::string& what,
             std::map<std::string, std::string> environment = {},
             const std::function<void()>& poll = {}) {
    if (!credentials_.password.empty()) environment["PGPASSWORD"] = credentials_.password;
    auto should_stop = [this, &poll] {
      if (poll) poll();
      return StopRequested();
    };
    auto result = RunProcess(argv, environment, "", should_stop);
    if (!result.ok()) return result.status();
    if (result->exit_code != 0) {
      std::string stderr_text = RedactPasswords(result->stderr_text);
      while (!stderr_text.empty() && stderr_text.back() == '\n') stderr_text.pop_back();
      return Status::Io(what + " failed (exit " + std::to_string(result->exit_code) +
                        "): " + stderr_text);
    }
    return Status::Ok();
  }

  DatabaseUrl url_;
  std::string format_;
  std::string bin_dir_;
  int lock_wait_ms_;
  UriCredentials credentials_;
  std::string pg_dump_, pg_restore_, psql_;
  std::string tool_version_;
};

}  // namespace

std::unique_ptr<BackupEngine> MakePostgresBackupEngine(const DatabaseUrl& url,
                                                       const BackupOptions& options) {
  return std::make_unique<PostgresBackupEngine>(url, options);
}

}  // namespace migrationd

#include "core/run/migration_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

#include "core/base/numbers.h"
#include "core/db/backend.h"
#include "core/engines/open_backend.h"
#include "core/scripts/script.h"

namespace migrationd {
namespace {

using std::chrono::milliseconds;

// "migrat" in ASCII: one key for every migrationd, so that daemons of different hosts meet.
constexpr int64_t kAdvisoryLockKey = 0x6d6967726174;

// Polls `try_once` until it succeeds, fails hard, or the wait is over; backoff 50 ms .. 1 s.
template <typename TryOnce, typename ReadHolder>
Status WaitFor(TryOnce try_once, ReadHolder read_holder, const LockWaitOptions& options) {
  auto deadline = std::chrono::steady_clock::now() + options.max_wait;
  milliseconds pause{50};
  bool told = false;
  while (true) {
    Result<bool> taken = try_once();
    if (!taken.ok()) return taken.status();
    if (*taken) return Status::Ok();
    auto holder = read_holder();
    std::optional<LockHolderInfo> who = holder.ok() ? *holder : std::nullopt;
    if (std::chrono::steady_clock::now() + pause > deadline) {
      return Status::Busy("the migration lock is held by " +
                          (who ? who->Describe() : std::string("another session")) +
                          "; try again later, or pass --wait");
    }
    if (!told && options.on_waiting) options.on_waiting(who);
    told = true;
    if (options.should_stop && options.should_stop()) {
      return Status::Cancelled("cancelled while waiting for the migration lock");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(1000));
  }
}

// ----------------------------------------------------------------------------------- SQLite

std::string LockFilePath(const DatabaseUrl& url) { return url.target() + ".migrationd-lock"; }

std::string Serialize(const LockHolderInfo& info) {
  std::ostringstream out;
  out << "host=" << info.host << "\ndaemon_pid=" << info.daemon_pid << "\nuid=" << info.uid
      << "\nuser_name=" << info.user_name << "\nrequest=" << info.request
      << "\nsince=" << info.since << "\nrevision=" << info.revision << "\n";
  return out.str();
}

LockHolderInfo Deserialize(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (auto eq = line.find('='); eq != std::string::npos) {
      fields[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  auto number = [&](const char* key, int64_t fallback) -> int64_t {
    return fields.count(key) ? ParseInt64Or(fields[key], fallback) : fallback;
  };
  return {fields["host"],    number("daemon_pid", 0), number("uid", -1), fields["user_name"],
          fields["request"], fields["since"],         fields["revision"]};
}

class FileLock final : public MigrationLock {
 public:
  FileLock(int fd, std::string path, LockHolderInfo me)
      : fd_(fd), path_(std::move(path)), me_(std::move(me)) {
    if (ftruncate(fd_, 0) != 0) {
      // Best effort, as Write: a crashed holder's longer text would show behind ours.
    }
    Write();
  }
  ~FileLock() override {
    if (ftruncate(fd_, 0) != 0) {
      // The contents only describe the holder; the flock below is what matters.
    }
    flock(fd_, LOCK_UN);
    close(fd_);
  }
  Status CheckHeld(const std::string& next_revision) override {
    if (!next_revision.empty() && next_revision != me_.revision) {
      me_.revision = next_revision;
      Write();
    }
    // flock belongs to the open file: if the path now names another file (deleted, replaced),
    // a second daemon can flock that one, and this lock protects nothing any more.
    struct stat mine {};
    struct stat named {};
    if (fstat(fd_, &mine) != 0) return Status::Conflict("the migration lock file is gone");
    if (lstat(path_.c_str(), &named) != 0) {
      return Status::Conflict("the migration lock was lost: the lock file " + path_ +
                              " was removed while this job held it");
    }
    if (mine.st_dev != named.st_dev || mine.st_ino != named.st_ino) {
      return Status::Conflict("the migration lock was lost: the lock file " + path_ +
                              " was replaced while this job held it");
    }
    return Status::Ok();
  }
  std::string GuardSql() const override { return ""; }

 private:
  void Write() {
    // Rewritten before every revision in one write: padded with blank lines (readers skip
    // them) to the length the file already has instead of truncated first, so that a reader
    // never finds it empty and a revision costs no ftruncate.
    std::string text = Serialize(me_);
    if (text.size() < written_) text.append(written_ - text.size(), '\n');
    if (pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size())) {
      written_ = text.size();
    }
    // Else best effort: readers then see a holder with fewer details.
  }
  int fd_;
  std::string path_;
  LockHolderInfo me_;
  size_t written_ = 0;  // the file's length since Write
};

// Opens the lock file without following a symlink or blocking on a planted FIFO, and refuses
// anything but a plain file of this process's user with a single link: root's daemon must not
// truncate a file an attacker pointed it at. Returns the descriptor.
Result<int> OpenLockFile(const std::string& path, bool create) {
  int flags = (create ? O_RDWR | O_CREAT : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int fd = open(path.c_str(), flags, 0600);
  if (fd < 0) {
    if (errno == ENOENT && !create) return -1;
    std::string why = errno == ELOOP ? "it is a symbolic link" : std::strerror(errno);
    return Status::Io("cannot open the lock file " + path + ": " + why +
                      "; remove it (the daemon creates its own) and make sure only the daemon's "
                      "user can write the database's directory");
  }
  struct stat info {};
  std::string wrong;
  if (fstat(fd, &info) != 0) {
    wrong = std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    wrong = "it is not a plain file";
  } else if (info.st_nlink != 1) {
    wrong = "it has " + std::to_string(info.st_nlink) + " hard links";
  } else if (create && info.st_uid != geteuid()) {
    wrong = "it belongs to uid " + std::to_string(info.st_uid) + ", not to the daemon's uid " +
            std::to_string(geteuid());
  }
  if (!wrong.empty()) {
    close(fd);
    return Status::PermissionDenied("refusing the lock file " + path + ": " + wrong +
                                    "; remove it (the daemon creates its own) and make sure only "
                                    "the daemon's user can write the database's directory");
  }
  return fd;
}

Result<std::optional<LockHolderInfo>> ReadFileLockHolder(const DatabaseUrl& url) {
  auto opened = OpenLockFile(LockFilePath(url), false);
  if (!opened.ok()) return opened.status();
  int fd = *opened;
  if (fd < 0) return std::optional<LockHolderInfo>();
  std::optional<LockHolderInfo> holder;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
  } else {
    std::string text(4096, '\0');
    ssize_t n = pread(fd, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    holder = Deserialize(text);
  }
  close(fd);
  return holder;
}

Result<std::unique_ptr<MigrationLock>> AcquireFileLock(const DatabaseUrl& url,
                                                       const LockHolderInfo& me,
                                                       const LockWaitOptions& options) {
  const std::string path = LockFilePath(url);
  auto opened = OpenLockFile(path, true);
  if (!opened.ok()) return opened.status();
  int fd = *opened;
  auto try_once = [&]() -> Result<bool> {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK || errno == EINTR) return false;
    return Status::Io("flock " + path + ": " + std::strerror(errno));
  };
  Status status = WaitFor(
      try_once, [&] { return ReadFileLockHolder(url); }, options);
  if (!status.ok()) {
    close(fd);
    return status;
  }
  return std::unique_ptr<MigrationLock>(std::make_unique<FileLock>(fd, path, me));
}

// ------------------------------------------------------------------------------- PostgreSQL

constexpr const char* kHolderTableDdl =
    "CREATE TABLE IF NOT EXISTS migrationd_lock (lock_key BIGINT PRIMARY KEY,"
    " backend_pid INTEGER NOT NULL, host TEXT, daemon_pid BIGINT, uid BIGINT, user_name TEXT,"
    " request TEXT, since TEXT, revision TEXT)";

// The application_name of the migration connection while a revision runs: "migrationd <pid>
// at <revision>", where <pid> is the lock session's backend pid, so that a reader finds the
// label of the lock's current holder only. The server cuts application_name at 63 bytes; a
// revision cut that way is shown with "...".
constexpr size_t kApplicationNameMax = 63;

std::string StepLabelPrefix(const std::string& lock_pid) {
  return "migrationd " + lock_pid + " at ";
}

std::string RevisionFromApplicationName(const std::string& name, const std::string& lock_pid) {
  const std::string prefix = StepLabelPrefix(lock_pid);
  if (name.compare(0, prefix.size(), prefix) != 0) return "";
  std::string revision = name.substr(prefix.size());
  if (name.size() >= kApplicationNameMax) revision += "...";
  return revision;
}

// How long the lock session may go unasked while its socket shows nothing: a session taken
// over by a pooler, or a server that vanished without a word, is found within this time.
constexpr std::chrono::seconds kQuietCheckInterval{1};

class AdvisoryLock final : public MigrationLock {
 public:
  AdvisoryLock(std::unique_ptr<Backend> connection, int64_t backend_pid)
      : connection_(std::move(connection)), backend_pid_(backend_pid) {}
  ~AdvisoryLock() override {
    // Closing the connection would release the lock as well, but only once the server notices
    // (the next job of this daemon could find it still held). The holder row stays: readers
    // trust it only while its backend_pid holds the lock, and the next holder overwrites it.
    (void)connection_->Query("SELECT pg_advisory_unlock(CAST($1 AS BIGINT))", {Key()});
  }
  Status CheckHeld(const std::string&) override {
    // Before every revision, so without a round trip when possible. A session keeps its
    // advisory lock until it ends, and the connection never reopens a broken session
    // (PostgresBackend inhibits libpqxx's reconnection). A session the server ends tells its
    // client (pg_terminate_backend, shutdown) or closes the socket, and the idle lock
    // session's socket shows either at once: then, and at least every kQuietCheckInterval,
    // the session is asked. A dead one fails the query; a pooler that handed this client
    // another server session answers with another pid. (Exactly once rests on the step lock,
    // not on this check: the check makes a job that lost its lock stop soon and say why.)
    const auto now = std::chrono::steady_clock::now();
    if (now - asked_at_ < kQuietCheckInterval && !connection_->SessionMayHaveEnded()) {
      return Status::Ok();
    }
    auto held = connection_->Query("SELECT pg_backend_pid()", {});
    if (!held.ok()) {
      return Status::Conflict("the migration lock was lost: its session ended (" +
                              held.status().message() + ")");
    }
    if (ParseInt64Or(held->front()[0].value_or("0"), 0) != backend_pid_) {
      return Status::Conflict(
          "the migration lock was lost: its session no longer holds it (is a connection "
          "pooler in front of the database? migrationd needs a direct session)");
    }
    asked_at_ = now;
    return Status::Ok();
  }
  std::string StepLabel(const std::string& revision) const override {
    return StepLabelPrefix(std::to_string(backend_pid_)) + revision;
  }
  std::string GuardSql() const override {
    // pg_locks shows the lock as long as the lock session lives; the server ends that session
    // as soon as the daemon's socket closes, so after a daemon's death this fails.
    return "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
           " AND granted AND pid = " +
           std::to_string(backend_pid_) + " AND objsubid = 1 AND CAST(classid AS BIGINT) = CAST(" +
           Key() + " AS BIGINT) >> 32 AND CAST(objid AS BIGINT) = CAST(" + Key() +
           " AS BIGINT) & 4294967295) THEN RAISE EXCEPTION 'the migration lock of this restore"
           " was lost (its daemon is gone); nothing was restored'; END IF; END $$;";
  }
  Status Describe(const LockHolderInfo& me) {
    MIGRATIOND_RETURN_IF_ERROR(connection_->Execute(kHolderTableDdl));
    auto upsert = connection_->Query(
        "INSERT INTO migrationd_lock (lock_key, backend_pid, host, daemon_pid, uid, user_name,"
        " request, since, revision) VALUES (CAST($1 AS BIGINT), pg_backend_pid(), $2,"
        " CAST($3 AS BIGINT), CAST($4 AS BIGINT), $5, $6, $7, $8) ON CONFLICT (lock_key) DO"
        " UPDATE SET backend_pid = EXCLUDED.backend_pid, host = EXCLUDED.host,"
        " daemon_pid = EXCLUDED.daemon_pid, uid = EXCLUDED.uid, user_name = EXCLUDED.user_name,"
        " request = EXCLUDED.request, since = EXCLUDED.since, revision = EXCLUDED.revision",
        {Key(), me.host, std::to_string(me.daemon_pid), std::to_string(me.uid), me.user_name,
         me.request, me.since, me.revision});
    return upsert.status();
  }
  static std::string Key() { return std::to_string(kAdvisoryLockKey); }

 private:
  std::unique_ptr<Backend> connection_;
  int64_t backend_pid_;
  // When the session last answered: the lock was taken just before the handle was made.
  std::chrono::steady_clock::time_point asked_at_ = std::chrono::steady_clock::now();
};

Result<std::optional<LockHolderInfo>> ReadAdvisoryLockHolder(Backend& connection) {
  // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
  // The holder's step label, matched with the prefix StepLabel writes: the pid spliced in as
  // SQL (`'migrationd ' || l.pid || ' at %'`), so that the two cannot drift apart.
  const std::string label_pattern = "'" + StepLabelPrefix("' || l.pid || '") + "%'";
  auto holders = connection.Query(
      "SELECT l.pid, to_regclass('migrationd_lock') IS NOT NULL,"
      " (SELECT application_name FROM pg_stat_activity a WHERE a.application_name LIKE " +
          label_pattern +
          " ORDER BY a.backend_start DESC LIMIT 1) FROM pg_locks l"
          " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
          " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
          " AND CAST(l.classid AS BIGINT) = CAST($1 AS BIGINT) >> 32"
          " AND CAST(l.objid AS BIGINT) = CAST($1 AS BIGINT) & 4294967295",
      {AdvisoryLock::Key()});
  if (!holders.ok()) return holders.status();
  if (holders->empty()) return std::optional<LockHolderInfo>();
  LockHolderInfo info;
  info.host = "PostgreSQL backend pid " + holders->front()[0].value_or("?");
  if (holders->front()[1].value_or("f") == "t") {
    auto rows = connection.Query(
        "SELECT host, daemon_pid, uid, user_name, request, since, revision FROM migrationd_lock"
        " WHERE lock_key = CAST($1 AS BIGINT) AND backend_pid = CAST($2 AS INTEGER)",
        {AdvisoryLock::Key(), holders->front()[0]});
    if (rows.ok() && !rows->empty()) {
      const SqlRow& row = rows->front();
      info.host = row[0].value_or("");
      info.daemon_pid = ParseInt64Or(row[1].value_or("0"), 0);
      info.uid = ParseInt64Or(row[2].value_or("-1"), -1);
      info.user_name = row[3].value_or("");
      info.request = row[4].value_or("");
      info.since = row[5].value_or("");
      info.revision = row[6].value_or("");
    }
  }
  // Other roles see application_name in pg_stat_activity too (not the query or the state).
  if (std::string now = RevisionFromApplicationName(holders->front()[2].value_or(""),
                                                    holders->front()[0].value_or(""));
      !now.empty()) {
    info.revision = now;
  }
  return std::optional<LockHolderInfo>(info);
}

Result<std::unique_ptr<MigrationLock>> AcquireAdvisoryLock(const DatabaseUrl& url,
                                                           const LockHolderInfo& me,
                                                           const LockWaitOptions& options) {
  auto opened = OpenBackend(url);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Backend> connection = std::move(opened).value();
  // The pid comes from the statement that took the lock: CheckHeld compares it with the pid
  // of the session that answers later.
  int64_t backend_pid = 0;
  auto try_once = [&]() -> Result<bool> {
    auto rows = connection->Query(
        "SELECT pg_try_advisory_lock(CAST($1 AS BIGINT)), pg_backend_pid()", {AdvisoryLock::Key()});
    if (!rows.ok()) return rows.status();
    backend_pid = ParseInt64Or(rows->front()[1].value_or("0"), 0);
    return rows->front()[0].value_or("f") == "t";
  };
  // The lock session sits idle while the migration connection works: a server-wide
  // idle_session_timeout would end it and hand the lock to the next daemon (PostgreSQL 14+).
  // It writes nothing but the holder's row, which only describes the holder while the session
  // lives: its commit need not wait for the WAL flush (synchronous_commit = off), so the job
  // does not wait for a disk flush before its first revision. One round trip for all three.
  MIGRATIOND_RETURN_IF_ERROR(
      connection->Execute("SELECT set_config('idle_session_timeout', '0', false) WHERE"
                          " CAST(current_setting('server_version_num') AS INTEGER) >= 140000;"
                          " SET idle_in_transaction_session_timeout = 0;"
                          " SET synchronous_commit = off"));
  Status status = WaitFor(
      try_once, [&] { return ReadAdvisoryLockHolder(*connection); }, options);
  if (!status.ok()) return status;
  auto lock = std::make_unique<AdvisoryLock>(std::move(connection), backend_pid);
  MIGRATIOND_RETURN_IF_ERROR(lock->Describe(me));
  return std::unique_ptr<MigrationLock>(std::move(lock));
}

}  // namespace

std::string LockHolderInfo::Describe() const {
  std::string text = user_name.empty() ? "uid " + std::to_string(uid)
                                       : user_name + " (uid " + std::to_string(uid) + ")";
  text += " on " + (host.empty() ? std::string("an unknown host") : host);
  if (daemon_pid > 0) text += ", daemon pid " + std::to_string(daemon_pid);
  if (!request.empty()) text += ", '" + request + "'";
  if (!since.empty()) text += " since " + since;
  if (!revision.empty()) text += ", at " + revision;
  return text;
}

Result<std::unique_ptr<MigrationLock>> AcquireMigrationLock(const DatabaseUrl& url,
                                                            const LockHolderInfo& me,
                                                            const LockWaitOptions& options) {
  if (url.dialect() == kDialectSqlite) return AcquireFileLock(url, me, options);
  return AcquireAdvisoryLock(url, me, options);
}

Result<std::optional<LockHolderInfo>> ReadMigrationLockHolder(const DatabaseUrl& url,
                                                              Backend& connection) {
  if (url.dialect() == kDialectSqlite) return ReadFileLockHolder(url);
  return ReadAdvisoryLockHolder(connection);
}

std::optional<LockHolderInfo> ReadMigrationLockHolderWithoutConnection(const DatabaseUrl& url) {
  if (url.dialect() != kDialectSqlite) return std::nullopt;
  auto holder = ReadFileLockHolder(url);
  return holder.ok() ? *holder : std::nullopt;
}

}  // namespace migrationd

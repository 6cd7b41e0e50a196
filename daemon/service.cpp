#include "daemon/service.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "core/base/numbers.h"
#include "core/engines/open_backend.h"
#include "core/engines/scratch_database.h"
#include "core/run/migration_lock.h"
#include "daemon/log_setup.h"

namespace migrationd {

namespace {

bool IsMutating(const proto::Request& request) {
  // A dry run changes nothing: anyone may preview.
  if (NeedsMaintenanceWindow(request)) return true;  // the schema changes
  if (request.command() == proto::BACKUP) return !request.dry_run();
  // A rehearsal changes only a scratch copy, but it is a job (never beside a migration) and
  // writes the history.
  return request.command() == proto::CANCEL || request.command() == proto::REHEARSE;
}

}  // namespace

std::string Now() { return FormatIsoTimestamp(std::chrono::system_clock::now()); }

void FillHolder(const JobSnapshot& job, proto::LockHolder& holder, const std::string& host) {
  holder.set_held(true);
  holder.set_host(host);
  holder.set_daemon_pid(getpid());
  holder.set_uid(job.uid);
  holder.set_user_name(job.user_name);
  holder.set_request(job.description);
  holder.set_since(job.started_at);
  holder.set_revision(job.revision);
}

std::string Describe(const proto::Request& request) {
  std::string text = proto::Command_Name(request.command());
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!request.target().empty()) text += " " + request.target();
  if (request.dry_run()) text += " --dry-run";
  return text;
}

void SendError(Responder& responder, uint64_t request_id, const Status& status) {
  proto::Result result = ErrorResult(status);
  result.set_request_id(request_id);
  responder.SendResult(std::move(result));
}

proto::Event MakeEvent(uint64_t request_id, proto::EventKind kind, const std::string& message) {
  proto::Event event;
  event.set_request_id(request_id);
  event.set_kind(kind);
  event.set_message(message);
  event.set_time(Now());
  return event;
}

// The last line of defence: a request or a file that makes some library throw fails that
// request with an internal error and a log line; it never ends the daemon.
proto::Result Guarded(const proto::Request& request, const std::function<proto::Result()>& answer) {
  try {
    return answer();
  } catch (const std::exception& e) {
    spdlog::error("'{}' failed with an unexpected error (a bug; please report it): {}",
                  Describe(request), e.what());
    return ErrorResult(Status::Internal(std::string("unexpected error: ") + e.what() +
                                        "; the daemon keeps running"));
  }
}

Result<std::unique_ptr<Service>> Service::Create(DaemonConfig config) {
  auto url = DatabaseUrl::Parse(config.database);
  if (!url.ok()) return url.status();
  auto admins = AdminPolicy::Create(config.admin_groups);
  if (!admins.ok()) return admins.status();
  return std::unique_ptr<Service>(
      new Service(std::move(config), std::move(url).value(), std::move(admins).value()));
}

Service::Service(DaemonConfig config, DatabaseUrl url, AdminPolicy admins)
    : config_(std::move(config)),
      url_(std::move(url)),
      live_(std::make_shared<const DaemonConfig>(config_)),
      admins_(std::make_shared<const AdminPolicy>(std::move(admins))),
      started_(std::chrono::steady_clock::now()),
      backups_(ResolveBackupDirectory(config_, url_)) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  host_ = host;
  backup_options_.postgres_format = config_.backup_format;
  backup_options_.sqlite_pages_per_step = config_.sqlite_backup_pages;
  backup_options_.postgres_bin_dir = config_.pg_bin_dir;
}

std::shared_ptr<const DaemonConfig> Service::Live() const {
  std::lock_guard lock(live_mutex_);
  return live_;
}

std::shared_ptr<const AdminPolicy> Service::Admins() const {
  std::lock_guard lock(live_mutex_);
  return admins_;
}

void Service::Reload(const DaemonConfig& fresh) {
  const LogTag tag(config_.database_name);
  // Settings that shape what the daemon opened at start (socket, database, directories) need a
  // restart; saying so is better than half-applying them. They are compared with what the
  // daemon started with, the others with the configuration that ran until now.
  static const std::set<std::string> kRestartOnly = {"database",
                                                     "migrations",
                                                     "socket",
                                                     "socket_mode",
                                                     "socket_group",
                                                     "backup_dir",
                                                     "backup_format",
                                                     "pg_bin_dir",
                                                     "sqlite_backup_pages",
                                                     "max_connections",
                                                     "max_connections_per_user",
                                                     "idle_timeout",
                                                     "frame_timeout",
                                                     "auto_upgrade"};
  const auto at_start = DescribeSettings(config_);
  const auto before = DescribeSettings(*Live());
  const auto after = DescribeSettings(fresh);
  auto admins = AdminPolicy::Create(fresh.admin_groups);
  if (!admins.ok()) {
    spdlog::error("reload refused: {}; the running configuration stays", admins.status().message());
    return;
  }
  std::vector<std::string> applied;
  for (const auto& [key, value] : after) {
    auto shown = [](const std::string& text) { return text.empty() ? "(unset)" : text; };
    if (kRestartOnly.count(key)) {
      if (at_start.at(key) != value) {
        spdlog::warn("reload: '{}' changed ({} -> {}); it takes effect at the next restart", key,
                     shown(at_start.at(key)), shown(value));
      }
    } else if (before.at(key) != value) {
      applied.push_back(key + " " + shown(before.at(key)) + " -> " + shown(value));
    }
  }
  auto level = spdlog::level::from_str(fresh.log_level);
  const bool schedule_changed = fresh.backup_interval != Live()->backup_interval;
  {
    std::lock_guard lock(live_mutex_);
    live_ = std::make_shared<const DaemonConfig>(fresh);
    admins_ = std::make_shared<const AdminPolicy>(std::move(admins).value());
  }
  spdlog::set_level(level);
  if (schedule_changed && backup_timer_) {
    if (fresh.backup_interval.count() == 0) {
      backup_timer_->cancel();
    } else {
      ScheduleNextBackup(false);
    }
  }
  if (applied.empty()) {
    spdlog::info("reload: configuration read again; no setting that applies while running changed");
    return;
  }
  std::string changes;
  for (const auto& change : applied) changes += (changes.empty() ? "" : "; ") + change;
  spdlog::info("reload: applied {} change(s): {}", applied.size(), changes);
}

void Service::StartUp() {
  const LogTag tag(config_.database_name);
  // Before any job or scheduled backup can start: it removes unfinished backup files.
  CleanBackupDirectory();
  StartChecks();
}

void Service::StartChecks() {
  const LogTag tag(config_.database_name);
  if (config_.auto_upgrade != "never") {
    // Before the socket answers and READY=1: a unit ordered after migrationd.service starts
    // on an upgraded database.
    LogStartupCheck();
    RunAutoUpgrade();
    return;
  }
  // Off the io thread: at 10,000 revisions the first parse takes most of a second, and the
  // socket answers `status` meanwhile (saying it is loading).
  startup_ = std::thread([this] {
    const LogTag thread_tag(config_.database_name);
    LogStartupCheck();
    // The parse leaves much freed memory between the blocks it keeps (5 MiB at 10,000
    // revisions), which glibc would hold for good: hand it back.
    malloc_trim(0);
  });
}

Service::~Service() {
  Shutdown();
  if (startup_.joinable()) startup_.join();
  readers_.join();
  admin_readers_.join();
}

Result<std::shared_ptr<const ScriptDirectory>> Service::LoadScripts() const {
  // Checked on every request (one stat per file), parsed again only when a file changed:
  // deploying new scripts needs no daemon restart.
  auto scripts = scripts_.Get();
  if (scripts.ok() || scripts.status().code() != ErrorCode::kNotFound) return scripts;
  return Status::NotFound(scripts.status().message() + ": create it, or " +
                          config_.WhereToFix("migrations") + " and restart the daemon");
}

void Service::CleanBackupDirectory() {
  std::error_code missing;
  if (std::filesystem::exists(backups_.directory(), missing)) {
    Status cleaned = backups_.Prepare();  // removes what an interrupted backup left
    if (!cleaned.ok()) spdlog::warn("{}", cleaned.message());
  }
  spdlog::info("backups go to {}", backups_.directory());
  // A daemon killed during a rehearsal leaves its PostgreSQL copy (SQLite copies are temporary
  // files of the backup directory, removed just above). Not while another daemon of this
  // database holds the migration lock: it may be rehearsing.
  if (url_.dialect() == kDialectSqlite) return;
  if (auto live = OpenBackend(url_); live.ok()) {
    auto holder = ReadMigrationLockHolder(url_, **live);
    if (holder.ok() && holder->has_value()) {
      spdlog::info(
          "rehearsal databases a stopped daemon left are removed at a later start: {} "
          "holds the migration lock",
          (*holder)->Describe());
      return;
    }
  }
  auto removed = ScratchDatabase::RemoveLeftoverRehearsals(url_, config_.scratch_database);
  if (!removed.ok()) {
    spdlog::warn("could not look for rehearsal databases a stopped daemon left: {}",
                 removed.status().message());
    return;
  }
  for (const auto& name : *removed) {
    spdlog::info("removed the rehearsal database {} a stopped daemon left", name);
  }
}

void Service::LogStartupCheck() {
  if (url_.dialect() == kDialectSqlite) {
    std::error_code error;
    if (!std::filesystem::exists(url_.target(), error) && !error) {
      spdlog::warn(
          "the SQLite database {} does not exist: it reads as empty, and the first upgrade, "
          "stamp or backup creates it; if that is unexpected, check --database",
          url_.target());
    }
  }
  auto scripts = LoadScripts();
  if (!scripts.ok()) {
    spdlog::error("migration scripts in {} cannot be used: {}", config_.migrations,
                  scripts.status().message());
    return;
  }
  proto::StatusInfo status;
  FillDatabaseStatus(Queries(**scripts, nullptr), status);
  if (!status.error().empty()) {
    spdlog::error("cannot read the database's revision: {}", status.error());
    return;
  }
  std::vector<std::string> current(status.current().begin(), status.current().end());
  std::vector<std::string> heads(status.heads().begin(), status.heads().end());
  if (config_.check_schema_at_start) {
    auto live = OpenBackendForReading(url_);
    proto::Result drift;
    Status same =
        live.ok() ? CheckSchemaAt(**live, **scripts, expected_, current, drift) : live.status();
    if (same.ok()) {
      spdlog::info("schema check: the database's schema is the one {} produces",
                   JoinRevisions(current));
    } else {
      spdlog::warn("schema check: {}", same.message());
    }
  }
  // FillDatabaseStatus found a create_all() database: say so, with the revision it matches.
  if (!status.unmanaged().empty()) {
    auto live = OpenBackendForReading(url_);
    Status managed =
        live.ok() ? CheckNotUnmanaged(**live, **scripts, expected_, current, true) : Status::Ok();
    if (!managed.ok()) {
      spdlog::warn("{}", managed.message());
      return;
    }
  }
  if (status.pending() == 0) {
    spdlog::info("database is at {}, the scripts' head", JoinRevisions(current));
  } else {
    spdlog::warn(
        "database is at {} but the scripts' head is {}: {} revision(s) pending; run "
        "'migctl upgrade' to apply them",
        JoinRevisions(current), JoinRevisions(heads), status.pending());
  }
}

void Service::Shutdown() { jobs_.Shutdown(std::chrono::seconds(Live()->shutdown_grace_seconds)); }

void Service::Handle(const proto::Request& request, const PeerIdentity& peer,
                     std::shared_ptr<Responder> responder) {
  const LogTag tag(config_.database_name);
  spdlog::info("request {} '{}' from {}", request.request_id(), Describe(request), peer.Describe());
  const bool admin = Admins()->IsAdmin(peer);
  if (IsMutating(request) && !admin) {
    spdlog::warn("refused '{}' from {}: not an admin", Describe(request), peer.Describe());
    SendError(*responder, request.request_id(),
              Status::PermissionDenied(peer.user_name + " may not " + Describe(request) +
                                       ": changes are allowed to " + Admins()->DescribeAdmins()));
    return;
  }
  if (Status valid = ValidateRequest(request); !valid.ok()) {
    SendError(*responder, request.request_id(), valid);
    return;
  }
  if (request.command() == proto::CANCEL) {
    proto::Result result;
    result.set_request_id(request.request_id());
    std::optional<uint64_t> id;
    if (!request.target().empty()) id = ParseInt64Or(request.target(), 0);
    auto cancelled = jobs_.Cancel(id, peer.Describe());
    if (cancelled.ok()) {
      result.set_message(*cancelled);
    } else {
      result = ErrorResult(cancelled.status());
      result.set_request_id(request.request_id());
    }
    responder->SendResult(std::move(result));
    return;
  }
  if (IsMutating(request)) {
    if (NeedsMaintenanceWindow(request) && !AdmitToWindow(request, peer, responder)) return;
    (void)SubmitJob(request, peer, responder);  // the responder has the reply either way
    return;
  }
  // Scratch work is admitted here, on the I/O thread: a request over the bounds is refused
  // now instead of waiting in a reader thread that `status` needs.
  std::shared_ptr<ScratchGate::Pass> scratch;
  if (request.command() == proto::VERIFY || request.command() == proto::BASELINE) {
    auto pass = scratch_gate_.Admit(peer.uid, admin);
    if (!pass.ok()) {
      spdlog::warn("refused '{}' from {}: {}", Describe(request), peer.Describe(),
                   pass.status().message());
      SendError(*responder, request.request_id(), pass.status());
      return;
    }
    scratch = std::move(pass).value();
    spdlog::info("scratch work '{}' for {} admitted ({} of {} running or waiting)",
                 Describe(request), peer.Describe(), scratch_gate_.Admitted(),
                 ScratchGate::kMaxAdmitted);
  }
  auto& pool = admin ? admin_readers_ : readers_;
  boost::asio::post(pool, [this, request, responder = std::move(responder), scratch] {
    const LogTag thread_tag(config_.database_name);
    std::unique_lock<std::mutex> turn;
    if (scratch) {
      turn = scratch->WaitForTurn();
      spdlog::info("scratch work '{}' (request {}) starts", Describe(request),
                   request.request_id());
    }
    HandleReadOnly(request, responder);
  });
}

}  // namespace migrationd

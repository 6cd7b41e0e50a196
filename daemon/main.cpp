// migrationd: the migration daemon. Parses flags and config, binds the control socket, runs
// the I/O loop, and shuts down cleanly on SIGTERM/SIGINT.
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>

#include "core/db/database_url.h"
#include "core/scripts/script_directory.h"
#include "daemon/asio.h"
#include "daemon/autogenerate_command.h"
#include "daemon/config.h"
#include "daemon/fleet.h"
#include "daemon/lint_command.h"
#include "daemon/log_setup.h"
#include "daemon/requests/queries.h"
#include "daemon/server/control_server.h"
#include "daemon/service.h"
#include "daemon/systemd_integration.h"

namespace migrationd {
namespace {

// --check-config: what the file and flags say, and whether the database URL and the scripts
// directory can be used; nothing is opened for writing, no socket is made.
// The database URL and the scripts for it, as --check-config and --verify need them; prints
// what is wrong (exit 2) otherwise.
struct Checked {
  DatabaseUrl url;
  ScriptDirectory scripts;
};
std::optional<Checked> LoadChecked(const DaemonConfig& config) {
  auto url = DatabaseUrl::Parse(config.database);
  if (!url.ok()) {
    std::fprintf(stderr, "migrationd: database: %s; %s\n", url.status().message().c_str(),
                 config.WhereToFix("database").c_str());
    return std::nullopt;
  }
  auto scripts = ScriptDirectory::Load(config.migrations);
  Status usable = scripts.ok() ? scripts->CheckDialect(url->dialect()) : scripts.status();
  if (!usable.ok()) {
    const std::string hint =
        usable.code() == ErrorCode::kNotFound ? "; " + config.WhereToFix("migrations") : "";
    std::fprintf(stderr, "migrationd: migrations: %s%s\n", usable.message().c_str(), hint.c_str());
    return std::nullopt;
  }
  return Checked{std::move(url).value(), std::move(scripts).value()};
}

// One database's part of --check-config's report; false (after saying why) if it is unusable.
bool CheckDatabase(const DaemonConfig& config) {
  auto checked = LoadChecked(config);
  if (!checked) return false;
  const DatabaseUrl* url = &checked->url;
  const ScriptDirectory* scripts = &checked->scripts;
  if (!config.database_name.empty()) std::printf("[database %s]\n", config.database_name.c_str());
  std::printf(
      "  database:   %s (%s)\n  migrations: %s (%zu revisions, head %s)\n  backups:    %s\n",
      url->Redacted().c_str(), url->dialect().c_str(), config.migrations.c_str(),
      scripts->graph().TopologicalOrder().size(),
      scripts->graph().Heads().empty() ? "none" : scripts->graph().Heads().front().c_str(),
      ResolveBackupDirectory(config, *url).c_str());
  if (config.maintenance_windows.empty()) {
    std::printf("  windows:    none (schema changes may run at any time)\n");
  }
  for (const auto& window : config.maintenance_windows) {
    std::printf("  window:     %s\n", window.spec.c_str());
  }
  return true;
}

int CheckConfig(const ParsedArgs& args) {
  const DaemonConfig& process = args.config;
  std::printf("configuration OK\n  socket:     %s (mode %04o)\n  log level:  %s\n",
              process.socket_path.c_str(), static_cast<unsigned>(process.socket_mode),
              process.log_level.c_str());
  for (const auto& database : args.databases) {
    if (!CheckDatabase(database)) return 2;
  }
  return 0;
}

// --verify: the round trips of every revision, for CI, without a daemon
// (core/run/expected_schema.h).
int VerifyDatabase(const DaemonConfig& config) {
  auto checked = LoadChecked(config);
  if (!checked) return 2;
  if (!config.database_name.empty()) std::printf("[database %s]\n", config.database_name.c_str());
  const proto::Result result = VerifyResult(VerifyRoundTrips(
      checked->scripts, checked->url, config.scratch_database, "", "", config.verify_workers));
  for (const auto& revision : result.verified()) std::printf("verified %s\n", revision.c_str());
  std::fprintf(result.code() == proto::OK ? stdout : stderr, "%s\n", result.message().c_str());
  return result.code() == proto::OK ? 0 : result.code() == proto::INTEGRITY ? 7 : 1;
}

// Each database's scripts in turn; the first that fails ends it with its exit code.
int Verify(const std::vector<DaemonConfig>& databases) {
  for (const auto& database : databases) {
    if (int code = VerifyDatabase(database); code != 0) return code;
  }
  return 0;
}

int Main(int argc, char** argv) {
  if (WantsAutogenerate(argc, argv)) return RunAutogenerate(argc, argv);
  if (WantsLint(argc, argv)) return RunLintCommand(argc, argv);
  auto args = ParseDaemonArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "migrationd: %s\n", args.status().message().c_str());
    return 2;
  }
  if (args->help) {
    std::fputs(DaemonUsage().c_str(), stdout);
    return 0;
  }
  if (args->version) {
    std::printf("migrationd %s\n", kMigrationdVersion);
    return 0;
  }
  if (args->check_config) return CheckConfig(*args);
  if (args->verify) return Verify(args->databases);
  SetUpLogging(args->config.log_level);
  std::signal(SIGPIPE, SIG_IGN);
  // A file size limit must fail the write (EFBIG) and so the backup, not kill the daemon.
  std::signal(SIGXFSZ, SIG_IGN);

  auto fleet = Fleet::Create(args->databases);
  if (!fleet.ok()) {
    spdlog::critical("{}", fleet.status().message());
    return 1;
  }
  boost::asio::io_context io;
  const DaemonConfig& config = (*fleet)->config();
  ServerLimits limits;
  limits.max_connections = static_cast<size_t>(config.max_connections);
  limits.admin_reserve = std::max<size_t>(1, limits.max_connections / 8);
  limits.max_per_user = static_cast<size_t>(config.max_connections_per_user);
  limits.idle_timeout = config.idle_timeout;
  limits.frame_timeout = config.frame_timeout;
  ControlServer server(io, **fleet, limits);
  std::string inherit_error;
  const int inherited = InheritedListenSocket(inherit_error);
  if (!inherit_error.empty()) {
    spdlog::critical("{}", inherit_error);
    return 1;
  }
  Status listening =
      inherited >= 0 ? server.Adopt(inherited)
                     : server.Listen(config.socket_path, config.socket_mode, config.socket_group);
  if (!listening.ok()) {
    spdlog::critical("{}", listening.message());
    return listening.code() == ErrorCode::kBusy ? 4 : 1;
  }
  if (args->databases.size() == 1) {
    spdlog::info("migrationd {} (pid {}) on {}: database {}, migrations {}", kMigrationdVersion,
                 getpid(), inherited >= 0 ? "the socket systemd passed" : config.socket_path,
                 (*fleet)->Description(), config.migrations);
  } else {
    spdlog::info("migrationd {} (pid {}) on {}: {}", kMigrationdVersion, getpid(),
                 inherited >= 0 ? "the socket systemd passed" : config.socket_path,
                 (*fleet)->Description());
  }
  (*fleet)->StartUp();
  const SystemdNotifier systemd;
  (*fleet)->SetActivityListener([&systemd](const std::string& what) { systemd.Status(what); });
  systemd.Ready("idle; serving " + (*fleet)->Description());
  // A wedged io loop stops the pings, and systemd restarts the daemon (WatchdogSec=).
  boost::asio::steady_timer watchdog(io);
  std::function<void()> ping = [&] {
    systemd.WatchdogPing();
    watchdog.expires_after(*systemd.watchdog_interval());
    watchdog.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) ping();
    });
  };
  if (systemd.watchdog_interval()) ping();

  // SIGHUP re-reads the configuration (the same flags and file as at start) and applies what
  // can change while running; it never ends the daemon, whatever the job is doing.
  boost::asio::signal_set hangups(io, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      auto fresh = ParseDaemonArgs(argc, argv);
      if (!fresh.ok()) {
        spdlog::error("reload (SIGHUP) refused: {}; the running configuration stays",
                      fresh.status().message());
      } else {
        (*fleet)->Reload(fresh->databases);
      }
      await_hangup();
    });
  };
  await_hangup();
  std::thread stopper;
  boost::asio::steady_timer final_timer(io);
  std::function<void()> poll_closed;
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: no new requests; a running job gets {} s to finish", signal,
                 config.shutdown_grace_seconds);
    systemd.Stopping();
    server.StopAccepting();
    (*fleet)->StopScheduler();
    boost::system::error_code ignored;
    hangups.cancel(ignored);
    // Waiting for the job must not block the I/O thread: its events still have to go out.
    stopper = std::thread([&] {
      (*fleet)->Shutdown();
      boost::asio::post(io, [&] {
        // io.run() returns once the last session has flushed its results and closed; a client
        // that does not read its answer gets a few seconds.
        server.CloseSessions();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        poll_closed = [&, deadline] {
          if (server.SessionCount() == 0 || std::chrono::steady_clock::now() > deadline) {
            return io.stop();
          }
          final_timer.expires_after(std::chrono::milliseconds(20));
          final_timer.async_wait([&](const boost::system::error_code&) { poll_closed(); });
        };
        poll_closed();
      });
    });
  });
  (*fleet)->StartScheduler(io);
  server.Start();
  io.run();
  if (stopper.joinable()) stopper.join();
  (*fleet)->StopScheduler();
  spdlog::info("migrationd stopped");
  return 0;
}

}  // namespace
}  // namespace migrationd

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (up to 8 per core): the reader pools'
  // short bursts then leave memory spread over many arenas (at 10,000 revisions RSS grew by
  // 30 MiB over the first 10,000 requests). Two arenas keep contention low for a daemon whose
  // requests are mostly one at a time.
  mallopt(M_ARENA_MAX, 2);
  return migrationd::Main(argc, argv);
}

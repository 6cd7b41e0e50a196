// Fleet: the databases one daemon serves, each a Service of its own (its job queue and
// migration lock, backups and their schedule, windows, readers, caches): a job on one database
// never waits for another's. What they share is the process: the socket and its limits, the
// admin policy, logging, systemd's status, the signals. A request names its database
// (Request.database, `migctl --database NAME`); a daemon with one database takes requests that
// name none.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config.h"
#include "daemon/service.h"

namespace migrationd {

class Fleet {
 public:
  // One Service per entry of `databases` (ParsedArgs::databases), in that order.
  static Result<std::unique_ptr<Fleet>> Create(const std::vector<DaemonConfig>& databases);
  // Waits for the start-ups and shutdowns a reload began.
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // The process's settings (socket, limits, grace), as the daemon started with them.
  const DaemonConfig& config() const { return process_config_; }
  // "sqlite:///srv/app.db", or "3 databases: app (sqlite:///...), ..." for logs and systemd.
  std::string Description() const;

  // The daemon's admin groups (a process setting; a reload may change them). Not a database's:
  // a reload may leave none served for a moment.
  bool IsAdmin(const PeerIdentity& peer) const;
  // `databases` is answered here; status, current and check naming no database on a daemon with
  // several are asked of each and answered together (Result.answers); every other request goes
  // to the Service it names, or is refused (exit 2) naming the databases there are.
  void Handle(const proto::Request& request, const PeerIdentity& peer,
              std::shared_ptr<Responder> responder);

  // Each Service's, side by side where they wait: StartUp (an auto_upgrade of one database does
  // not hold back another's) and Shutdown (the grace applies to each at once).
  void StartUp();
  void StartScheduler(boost::asio::io_context& io);
  void StopScheduler();
  void Shutdown();
  // SIGHUP, on the io thread: each database's settings from `fresh` (matched by name). A
  // database new in `fresh` is served from now on (its start-up check or auto_upgrade on a
  // thread of its own); one no longer there stops being served once it has no job, running or
  // queued (until then it stays, and the log says so: reload again after it).
  void Reload(const std::vector<DaemonConfig>& fresh);
  // systemd's STATUS=: the line of the only database, or "NAME: what; ..." for several.
  void SetActivityListener(std::function<void(const std::string&)> listener);

 private:
  using Services = std::vector<std::shared_ptr<Service>>;
  Fleet(DaemonConfig process_config, AdminPolicy admins, Services services);
  // The databases served now (a reload changes them).
  Services Members() const;
  // The Service `name` names ("" : the only one), or the error to answer.
  Result<std::shared_ptr<Service>> Find(const std::string& name) const;
  std::string Names() const;
  proto::Result ListDatabases() const;
  void AskEveryDatabase(const proto::Request& request, const PeerIdentity& peer,
                        std::shared_ptr<Responder> responder);
  // A database new in the configuration: prepared on a background thread, then admitted (on the
  // io thread) unless the daemon stops or a later reload removed it meanwhile.
  void Add(const DaemonConfig& config);
  void Admit(const std::shared_ptr<Service>& added);
  void Retire(const std::shared_ptr<Service>& service);
  void ListenToActivity(Service& service);
  void RunInBackground(std::function<void()> work);

  const DaemonConfig process_config_;
  mutable std::mutex members_mutex_;
  Services services_;  // guarded by members_mutex_
  Services pending_;   // guarded by members_mutex_: added by a reload, not yet admitted
  std::set<std::string> configured_;           // guarded by members_mutex_: the last reload's names
  bool stopping_ = false;                      // guarded by members_mutex_
  std::shared_ptr<const AdminPolicy> admins_;  // guarded by members_mutex_
  boost::asio::io_context* io_ = nullptr;      // StartScheduler's: added databases' backup timers
  std::function<void(const std::string&)> activity_listener_;
  std::mutex activity_mutex_;
  std::map<std::string, std::string> activities_;  // guarded by activity_mutex_; by name
  // An added database's start-up, a removed one's shutdown.
  struct Background {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set as its work returns
  };
  std::mutex background_mutex_;
  std::vector<Background> background_;  // guarded by background_mutex_
};

}  // namespace migrationd

// Fleet: the databases one daemon serves, each a Service of its own (its job queue and
// migration lock, backups and their schedule, windows, readers, caches): a job on one database
// never waits for another's. What they share is the process: the socket and its limits, the
// admin policy, logging, systemd's status, the signals. A request names its database
// (Request.database, `migctl --database NAME`); a daemon with one database takes requests that
// name none.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/service.h"

namespace migrationd {

class Fleet {
 public:
  // One Service per entry of `databases` (ParsedArgs::databases), in that order.
  static Result<std::unique_ptr<Fleet>> Create(const std::vector<DaemonConfig>& databases);

  // The process's settings (socket, limits, grace): the same in every database's config.
  const DaemonConfig& config() const { return services_.front()->config(); }
  // "sqlite:///srv/app.db", or "3 databases: app (sqlite:///...), ..." for logs and systemd.
  std::string Description() const;

  bool IsAdmin(const PeerIdentity& peer) const { return services_.front()->IsAdmin(peer); }
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
  // SIGHUP: each database's settings from `fresh` (matched by name); databases added or removed
  // take effect at the next restart, which the log says.
  void Reload(const std::vector<DaemonConfig>& fresh);
  // systemd's STATUS=: the line of the only database, or "NAME: what; ..." for several.
  void SetActivityListener(std::function<void(const std::string&)> listener);

 private:
  explicit Fleet(std::vector<std::unique_ptr<Service>> services);
  // The Service `name` names ("" : the only one), or the error to answer.
  Result<Service*> Find(const std::string& name) const;
  std::string Names() const;
  void AskEveryDatabase(const proto::Request& request, const PeerIdentity& peer,
                        std::shared_ptr<Responder> responder);
  proto::Result ListDatabases() const;

  std::vector<std::unique_ptr<Service>> services_;
  std::mutex activity_mutex_;
  std::vector<std::string> activities_;  // guarded by activity_mutex_; one per service
};

}  // namespace migrationd

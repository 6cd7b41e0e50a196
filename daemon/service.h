// Service: what migrationd does with a request, whatever the transport.
//
// Checks the peer's right to the request, answers read-only requests on a small thread pool
// (never behind a running job), and turns mutating requests into jobs on the one JobQueue; a
// job takes the migration lock, runs the runner and streams events. Owns the job queue and the
// pool. Thread-safe; Handle() is called from the I/O thread.
#pragma once

#include <chrono>
#include <memory>

#include "core/database_url.h"
#include "core/script_directory.h"
#include "daemon/asio.h"
#include "daemon/config.h"
#include "daemon/job_queue.h"
#include "daemon/peer_identity.h"
#include "daemon/responder.h"

namespace migrationd {

extern const char* const kMigrationdVersion;

class Service {
 public:
  static Result<std::unique_ptr<Service>> Create(DaemonConfig config);
  ~Service();

  void Handle(const proto::Request& request, const PeerIdentity& peer,
              std::shared_ptr<Responder> responder);
  // Logs the database's revision against the scripts' head, with a warning when they differ.
  void LogStartupCheck();
  // Stops taking jobs; lets a running one finish within the grace period, then cancels it.
  void Shutdown();

  const DaemonConfig& config() const { return config_; }
  // The database URL without its password.
  const std::string& database_description() const { return url_.Redacted(); }

 private:
  Service(DaemonConfig config, DatabaseUrl url, AdminPolicy admins);
  Result<std::shared_ptr<const ScriptDirectory>> LoadScripts() const;
  void HandleReadOnly(const proto::Request& request, const std::shared_ptr<Responder>& responder);
  proto::Result Status(const ScriptDirectory* scripts, const std::string& error) const;
  void SubmitJob(const proto::Request& request, const PeerIdentity& peer,
                 const std::shared_ptr<Responder>& responder);
  void RunJob(const proto::Request& request, const PeerIdentity& peer, JobControl& control,
              Responder& responder);

  const DaemonConfig config_;
  const DatabaseUrl url_;
  const AdminPolicy admins_;
  const std::chrono::steady_clock::time_point started_;
  std::string host_;
  JobQueue jobs_;
  boost::asio::thread_pool readers_{4};
};

}  // namespace migrationd

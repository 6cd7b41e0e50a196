#include "daemon/fleet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "daemon/log_setup.h"

namespace migrationd {
namespace {

// Runs `work` for every service at once and returns when each is done.
void EachAtOnce(const std::vector<std::shared_ptr<Service>>& services,
                const std::function<void(Service&)>& work) {
  if (services.size() == 1) return work(*services.front());
  std::vector<std::thread> threads;
  threads.reserve(services.size());
  for (const auto& service : services) {
    threads.emplace_back([&work, &service] { work(*service); });
  }
  for (auto& thread : threads) thread.join();
}

// A question whose answer for a daemon of several databases is every database's own: what an
// operator's `migctl status` or a monitoring probe's `migctl check` asks without naming one.
bool IsAskedOfEveryDatabase(proto::Command command) {
  return command == proto::STATUS || command == proto::CURRENT || command == proto::CHECK;
}

// Every database's answer to one request, sent to the client as one result once the last
// arrives (the services answer on their own threads).
class Gathering {
 public:
  Gathering(uint64_t request_id, std::vector<std::string> names, std::shared_ptr<Responder> client)
      : request_id_(request_id),
        names_(std::move(names)),
        answers_(names_.size()),
        pending_(names_.size()),
        client_(std::move(client)) {}

  void Forward(proto::Event event) { client_->SendEvent(std::move(event)); }

  void Add(size_t index, proto::Result answer) {
    {
      std::lock_guard lock(mutex_);
      answers_[index] = std::move(answer);
      if (--pending_ > 0) return;
    }
    client_->SendResult(Combined());
  }

 private:
  proto::Result Combined() {
    proto::Result combined;
    combined.set_request_id(request_id_);
    std::string failures;
    size_t failed = 0;
    for (size_t i = 0; i < names_.size(); ++i) {
      proto::DatabaseAnswer& answer = *combined.add_answers();
      answer.set_name(names_[i]);
      *answer.mutable_result() = std::move(answers_[i]);
      const proto::Result& result = answer.result();
      if (result.code() == proto::OK) continue;
      if (failed++ == 0) combined.set_code(result.code());
      failures += (failures.empty() ? "" : "; ") + names_[i] + ": " + result.message();
    }
    combined.set_message(failed == 0
                             ? "every database answered (" + std::to_string(names_.size()) + ")"
                             : std::to_string(failed) + " of " + std::to_string(names_.size()) +
                                   " databases did not pass: " + failures);
    return combined;
  }

  const uint64_t request_id_;
  const std::vector<std::string> names_;
  std::mutex mutex_;
  std::vector<proto::Result> answers_;  // guarded by mutex_ until pending_ is 0
  size_t pending_;                      // guarded by mutex_
  std::shared_ptr<Responder> client_;
};

// One database's part of a Gathering. A service that ends without answering (a shutdown) still
// counts, as an error, so the client is never left waiting.
class GatheredResponder : public Responder {
 public:
  GatheredResponder(std::shared_ptr<Gathering> gathering, size_t index)
      : gathering_(std::move(gathering)), index_(index) {}
  ~GatheredResponder() override {
    if (answered_) return;
    proto::Result missing;
    missing.set_code(proto::FAILED);
    missing.set_message("the database gave no answer (the daemon is stopping?)");
    gathering_->Add(index_, std::move(missing));
  }
  GatheredResponder(const GatheredResponder&) = delete;
  GatheredResponder& operator=(const GatheredResponder&) = delete;

  void SendEvent(proto::Event event) override { gathering_->Forward(std::move(event)); }
  void SendResult(proto::Result result) override {
    answered_ = true;
    gathering_->Add(index_, std::move(result));
  }

 private:
  std::shared_ptr<Gathering> gathering_;
  const size_t index_;
  bool answered_ = false;
};

}  // namespace

Result<std::unique_ptr<Fleet>> Fleet::Create(const std::vector<DaemonConfig>& databases) {
  if (databases.empty()) return Status::InvalidArgument("no database to serve");
  Services services;
  for (const auto& config : databases) {
    auto service = Service::Create(config);
    if (!service.ok()) {
      return config.database_name.empty()
                 ? service.status()
                 : service.status().WithContext("[database " + config.database_name + "]");
    }
    services.push_back(std::move(service).value());
  }
  auto admins = AdminPolicy::Create(databases.front().admin_groups);
  if (!admins.ok()) return admins.status();
  return std::unique_ptr<Fleet>(
      new Fleet(databases.front(), std::move(admins).value(), std::move(services)));
}

Fleet::Fleet(DaemonConfig process_config, AdminPolicy admins, Services services)
    : process_config_(std::move(process_config)),
      services_(std::move(services)),
      admins_(std::make_shared<const AdminPolicy>(std::move(admins))) {
  for (const auto& service : services_) configured_.insert(service->config().database_name);
}

Fleet::~Fleet() {
  std::lock_guard lock(background_mutex_);
  for (auto& background : background_) background.thread.join();
}

bool Fleet::IsAdmin(const PeerIdentity& peer) const {
  std::shared_ptr<const AdminPolicy> admins;
  {
    std::lock_guard lock(members_mutex_);
    admins = admins_;
  }
  return admins->IsAdmin(peer);
}

Fleet::Services Fleet::Members() const {
  std::lock_guard lock(members_mutex_);
  return services_;
}

std::string Fleet::Description() const {
  const Services members = Members();
  if (members.size() == 1) return members.front()->database_description();
  std::string text = std::to_string(members.size()) + " databases: ";
  for (size_t i = 0; i < members.size(); ++i) {
    text += (i == 0 ? "" : ", ") + members[i]->config().database_name + " (" +
            members[i]->database_description() + ")";
  }
  return text;
}

std::string Fleet::Names() const {
  std::string names;
  for (const auto& service : Members()) {
    names += (names.empty() ? "" : ", ") + service->config().database_name;
  }
  return names;
}

Result<std::shared_ptr<Service>> Fleet::Find(const std::string& name) const {
  const Services members = Members();
  for (const auto& service : members) {
    if (service->config().database_name == name) return service;
  }
  if (members.empty()) {
    return Status::Busy(
        "this daemon serves no database at this moment: a reload replaced them "
        "and the new ones are being prepared; ask again in a moment");
  }
  if (members.size() == 1 && members.front()->config().database_name.empty()) {
    return Status::InvalidArgument(
        "this daemon serves one database (" + members.front()->database_description() +
        "), configured without a name; drop --database '" + name + "' (and MIGCTL_DATABASE)");
  }
  if (name.empty()) {
    return Status::InvalidArgument("this daemon serves " + std::to_string(members.size()) +
                                   " databases (" + Names() +
                                   "): name one with --database NAME or MIGCTL_DATABASE; nothing "
                                   "was done");
  }
  return Status::InvalidArgument("this daemon serves no database named '" + name + "'; it serves " +
                                 Names() + " ('migctl databases' lists them); nothing was done");
}

proto::Result Fleet::ListDatabases() const {
  proto::Result result;
  for (const auto& service : Members()) service->DescribeDatabase(*result.add_databases());
  return result;
}

void Fleet::Handle(const proto::Request& request, const PeerIdentity& peer,
                   std::shared_ptr<Responder> responder) {
  if (request.command() == proto::DATABASES) {
    spdlog::info("request {} 'databases' from {}", request.request_id(), peer.Describe());
    proto::Result result = ListDatabases();
    result.set_request_id(request.request_id());
    responder->SendResult(std::move(result));
    return;
  }
  if (request.database().empty() && Members().size() > 1 &&
      IsAskedOfEveryDatabase(request.command())) {
    return AskEveryDatabase(request, peer, std::move(responder));
  }
  auto service = Find(request.database());
  if (!service.ok()) {
    spdlog::warn("refused '{}' from {}: {}", Describe(request), peer.Describe(),
                 service.status().message());
    SendError(*responder, request.request_id(), service.status());
    return;
  }
  (*service)->Handle(request, peer, std::move(responder));
}

void Fleet::AskEveryDatabase(const proto::Request& request, const PeerIdentity& peer,
                             std::shared_ptr<Responder> responder) {
  const Services members = Members();
  std::vector<std::string> names;
  for (const auto& service : members) names.push_back(service->config().database_name);
  auto gathering =
      std::make_shared<Gathering>(request.request_id(), std::move(names), std::move(responder));
  for (size_t i = 0; i < members.size(); ++i) {
    proto::Request one = request;
    one.set_database(members[i]->config().database_name);
    members[i]->Handle(one, peer, std::make_shared<GatheredResponder>(gathering, i));
  }
}

void Fleet::StartUp() {
  EachAtOnce(Members(), [](Service& service) { service.StartUp(); });
}

void Fleet::StartScheduler(boost::asio::io_context& io) {
  io_ = &io;
  for (const auto& service : Members()) service->StartScheduler(io);
}

void Fleet::StopScheduler() {
  for (const auto& service : Members()) service->StopScheduler();
}

void Fleet::Shutdown() {
  {
    std::lock_guard lock(members_mutex_);
    stopping_ = true;  // a database a reload is still preparing is not admitted any more
  }
  EachAtOnce(Members(), [](Service& service) { service.Shutdown(); });
  // An added database's start-up (its auto_upgrade's job stopped just above) and a removed
  // one's shutdown.
  std::lock_guard lock(background_mutex_);
  for (auto& background : background_) background.thread.join();
  background_.clear();
}

void Fleet::Reload(const std::vector<DaemonConfig>& fresh) {
  const Services members = Members();
  std::set<std::string> served;
  {
    std::lock_guard lock(members_mutex_);
    configured_.clear();
    for (const auto& config : fresh) configured_.insert(config.database_name);
    // Each Service logs a refused admin group itself (and keeps its policy); so does this.
    if (auto admins = AdminPolicy::Create(fresh.front().admin_groups); admins.ok()) {
      admins_ = std::make_shared<const AdminPolicy>(std::move(admins).value());
    }
    for (const auto& preparing : pending_) served.insert(preparing->config().database_name);
  }
  for (const auto& service : members) {
    const std::string& name = service->config().database_name;
    served.insert(name);
    auto match = std::find_if(fresh.begin(), fresh.end(), [&name](const DaemonConfig& config) {
      return config.database_name == name;
    });
    if (match == fresh.end()) {
      Retire(service);
    } else {
      service->Reload(*match);
    }
  }
  for (const auto& config : fresh) {
    if (!served.count(config.database_name)) Add(config);
  }
}

void Fleet::Add(const DaemonConfig& config) {
  const LogTag tag(config.database_name);
  std::vector<DaemonConfig> together;
  {
    std::lock_guard lock(members_mutex_);
    for (const auto& service : services_) together.push_back(service->config());
    for (const auto& preparing : pending_) together.push_back(preparing->config());
  }
  together.push_back(config);
  Status distinct = CheckDatabasesDistinct(together);
  if (!distinct.ok()) {
    spdlog::error("reload: not served: {}", distinct.message());
    return;
  }
  auto created = Service::Create(config);
  if (!created.ok()) {
    spdlog::error("reload: not served: {}", created.status().message());
    return;
  }
  if (io_ == nullptr) {
    spdlog::error("reload: not served: the daemon is not running its event loop yet");
    return;
  }
  std::shared_ptr<Service> added = std::move(created).value();
  {
    std::lock_guard lock(members_mutex_);
    pending_.push_back(added);
  }
  // As at a start, before any request or scheduled backup reaches the database: what an
  // interrupted backup or rehearsal left is removed (which may connect to the database: off the
  // io thread). Then the io thread admits it.
  RunInBackground([this, added] {
    const LogTag thread_tag(added->config().database_name);
    added->CleanBackupDirectory();
    boost::asio::post(*io_, [this, added] { Admit(added); });
  });
}

void Fleet::Admit(const std::shared_ptr<Service>& added) {
  const std::string& name = added->config().database_name;
  const LogTag tag(name);
  bool wanted = false;
  {
    std::lock_guard lock(members_mutex_);
    pending_.erase(std::find(pending_.begin(), pending_.end(), added));
    wanted = !stopping_ && configured_.count(name) > 0;
  }
  if (!wanted) {
    spdlog::info(
        "reload: not served after all: the daemon is stopping, or a later reload "
        "removed it");
    return;
  }
  if (activity_listener_) ListenToActivity(*added);
  {
    std::lock_guard lock(members_mutex_);
    services_.push_back(added);
  }
  added->StartScheduler(*io_);
  spdlog::info("reload: a new database in the configuration, served from now on: {}",
               added->database_description());
  RunInBackground([added] {
    const LogTag thread_tag(added->config().database_name);
    added->StartChecks();
  });
}

void Fleet::Retire(const std::shared_ptr<Service>& service) {
  const LogTag tag(service->config().database_name);
  // Requests reach a Service on the io thread, which runs this too: idle now means no job can
  // start before it is out of the list.
  proto::DatabaseInfo now;
  service->DescribeDatabase(now);
  if (now.has_job() || now.queued() > 0) {
    spdlog::warn(
        "reload: no longer in the configuration, but it has a job ({}{} queued): still served; "
        "reload again once it ended",
        now.has_job() ? "'" + now.job().request() + "' running, " : std::string(), now.queued());
    return;
  }
  {
    std::lock_guard lock(members_mutex_);
    services_.erase(std::find(services_.begin(), services_.end(), service));
  }
  service->StopScheduler();
  {
    std::lock_guard lock(activity_mutex_);
    activities_.erase(service->config().database_name);
  }
  spdlog::info("reload: no longer in the configuration: not served any more ({})",
               service->database_description());
  // Its reader threads may still answer a request; they are joined away from the io thread.
  RunInBackground([service] { service->Shutdown(); });
}

void Fleet::RunInBackground(std::function<void()> work) {
  std::lock_guard lock(background_mutex_);
  // The ones a previous reload started and that ended are joined now, not kept to the shutdown.
  std::erase_if(background_, [](Background& earlier) {
    if (!*earlier.done) return false;
    earlier.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  background_.push_back({std::thread([work = std::move(work), done] {
                           work();
                           *done = true;
                         }),
                         done});
}

void Fleet::SetActivityListener(std::function<void(const std::string&)> listener) {
  activity_listener_ = std::move(listener);
  for (const auto& service : Members()) ListenToActivity(*service);
}

void Fleet::ListenToActivity(Service& service) {
  service.SetActivityListener(
      [this, name = service.config().database_name](const std::string& what) {
        std::string line;
        {
          std::lock_guard lock(activity_mutex_);
          activities_[name] = what;
          const Services members = Members();
          if (members.size() == 1) {
            line = what;
          } else {
            for (const auto& member : members) {
              const std::string& member_name = member->config().database_name;
              auto activity = activities_.find(member_name);
              if (activity == activities_.end() || activity->second.empty()) continue;
              line += (line.empty() ? "" : "; ") + member_name + ": " + activity->second;
            }
          }
        }
        activity_listener_(line.empty() ? "idle" : line);
      });
}

}  // namespace migrationd

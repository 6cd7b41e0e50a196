#include "daemon/fleet.h"

#include <spdlog/spdlog.h>

#include <set>
#include <thread>

#include "daemon/log_setup.h"

namespace migrationd {
namespace {

// Runs `work` for every service at once and returns when each is done.
void EachAtOnce(const std::vector<std::unique_ptr<Service>>& services,
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
  std::vector<std::unique_ptr<Service>> services;
  for (const auto& config : databases) {
    auto service = Service::Create(config);
    if (!service.ok()) {
      return config.database_name.empty()
                 ? service.status()
                 : service.status().WithContext("[database " + config.database_name + "]");
    }
    services.push_back(std::move(service).value());
  }
  return std::unique_ptr<Fleet>(new Fleet(std::move(services)));
}

Fleet::Fleet(std::vector<std::unique_ptr<Service>> services)
    : services_(std::move(services)), activities_(services_.size()) {}

std::string Fleet::Description() const {
  if (services_.size() == 1) return services_.front()->database_description();
  std::string text = std::to_string(services_.size()) + " databases: ";
  for (size_t i = 0; i < services_.size(); ++i) {
    text += (i == 0 ? "" : ", ") + services_[i]->config().database_name + " (" +
            services_[i]->database_description() + ")";
  }
  return text;
}

std::string Fleet::Names() const {
  std::string names;
  for (const auto& service : services_) {
    names += (names.empty() ? "" : ", ") + service->config().database_name;
  }
  return names;
}

Result<Service*> Fleet::Find(const std::string& name) const {
  for (const auto& service : services_) {
    if (service->config().database_name == name) return service.get();
  }
  if (services_.size() == 1 && services_.front()->config().database_name.empty()) {
    return Status::InvalidArgument(
        "this daemon serves one database (" + services_.front()->database_description() +
        "), configured without a name; drop --database '" + name + "' (and MIGCTL_DATABASE)");
  }
  if (name.empty()) {
    return Status::InvalidArgument("this daemon serves " + std::to_string(services_.size()) +
                                   " databases (" + Names() +
                                   "): name one with --database NAME or MIGCTL_DATABASE; nothing "
                                   "was done");
  }
  return Status::InvalidArgument("this daemon serves no database named '" + name + "'; it serves " +
                                 Names() + " ('migctl databases' lists them); nothing was done");
}

proto::Result Fleet::ListDatabases() const {
  proto::Result result;
  for (const auto& service : services_) service->DescribeDatabase(*result.add_databases());
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
  if (request.database().empty() && services_.size() > 1 &&
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
  std::vector<std::string> names;
  for (const auto& service : services_) names.push_back(service->config().database_name);
  auto gathering =
      std::make_shared<Gathering>(request.request_id(), std::move(names), std::move(responder));
  for (size_t i = 0; i < services_.size(); ++i) {
    proto::Request one = request;
    one.set_database(services_[i]->config().database_name);
    services_[i]->Handle(one, peer, std::make_shared<GatheredResponder>(gathering, i));
  }
}

void Fleet::StartUp() {
  EachAtOnce(services_, [](Service& service) { service.StartUp(); });
}

void Fleet::StartScheduler(boost::asio::io_context& io) {
  for (const auto& service : services_) service->StartScheduler(io);
}

void Fleet::StopScheduler() {
  for (const auto& service : services_) service->StopScheduler();
}

void Fleet::Shutdown() {
  EachAtOnce(services_, [](Service& service) { service.Shutdown(); });
}

void Fleet::Reload(const std::vector<DaemonConfig>& fresh) {
  std::set<std::string> running;
  for (const auto& service : services_) {
    const std::string& name = service->config().database_name;
    running.insert(name);
    auto match = std::find_if(fresh.begin(), fresh.end(), [&name](const DaemonConfig& config) {
      return config.database_name == name;
    });
    if (match == fresh.end()) {
      const LogTag tag(name);
      spdlog::warn(
          "reload: the configuration no longer has this database; it is served until the next "
          "restart, with the settings it had");
      continue;
    }
    service->Reload(*match);
  }
  for (const auto& config : fresh) {
    if (!running.count(config.database_name)) {
      spdlog::warn("reload: [database {}] is new; it is served from the next restart",
                   config.database_name);
    }
  }
}

void Fleet::SetActivityListener(std::function<void(const std::string&)> listener) {
  if (services_.size() == 1) return services_.front()->SetActivityListener(std::move(listener));
  for (size_t i = 0; i < services_.size(); ++i) {
    services_[i]->SetActivityListener([this, i, listener](const std::string& what) {
      std::string line;
      {
        std::lock_guard lock(activity_mutex_);
        activities_[i] = what;
        for (size_t j = 0; j < services_.size(); ++j) {
          if (activities_[j].empty()) continue;
          line += (line.empty() ? "" : "; ") + services_[j]->config().database_name + ": " +
                  activities_[j];
        }
      }
      listener(line.empty() ? "idle" : line);
    });
  }
}

}  // namespace migrationd

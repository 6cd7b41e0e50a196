// Service: maintenance windows. A schema change outside every window is refused (exit 8) with
// the next opening named, run anyway with --force (recorded in history), or queued with
// --in-window for the next opening; a job inside a window stops between revisions when the
// window closes (migration_job.cpp passes the closing time to the runner).
#include <spdlog/spdlog.h>

#include <atomic>

#include "core/engines/open_backend.h"
#include "core/run/version_store.h"
#include "daemon/requests/queries.h"
#include "daemon/server/request_checks.h"
#include "daemon/service.h"

namespace migrationd {
namespace {

using Clock = MaintenanceSchedule::Clock;

std::string WindowList(const MaintenanceSchedule& schedule) {
  std::string list;
  for (const auto& window : schedule.windows()) {
    list += (list.empty() ? "" : "; ") + window.spec;
  }
  return list;
}

std::string NextOpeningText(const MaintenanceSchedule& schedule, Clock::time_point now) {
  auto next = schedule.NextOpening(now);
  if (!next) return "no window opens in the next week";
  return "the next one opens at " + FormatIsoTimestamp(next->opens) + " and closes at " +
         FormatIsoTimestamp(next->closes);
}

// "outside the maintenance windows (...): the next one opens at ...".
std::string OutsideText(const MaintenanceSchedule& schedule, Clock::time_point now) {
  return "outside the maintenance windows (" + WindowList(schedule) +
         "): " + NextOpeningText(schedule, now);
}

// A job queued for its window has no client waiting on it: its events go to the log.
class DetachedResponder final : public Responder {
 public:
  explicit DetachedResponder(std::string job) : job_(std::move(job)) {}
  void SendEvent(proto::Event event) override {
    if (event.kind() == proto::JOB_STARTED) started_ = true;
    if (event.kind() == proto::REVISION_FINISHED) {
      spdlog::info("{}: {} {} done", job_, event.direction(), event.revision());
    } else if (event.kind() == proto::LOG_LINE || event.kind() == proto::BACKUP_FINISHED) {
      spdlog::info("{}: {}", job_, event.message());
    }
  }
  // RunJob logs the outcome of a job that ran; this is the one of a job that never started
  // (cancelled, or the daemon stopped first).
  void SendResult(proto::Result result) override {
    if (!started_) spdlog::warn("{}: not run: {}", job_, result.message());
  }

 private:
  std::string job_;
  std::atomic<bool> started_{false};
};

}  // namespace

void FillWindowStatus(const MaintenanceSchedule& schedule, proto::StatusInfo& status) {
  const auto now = Clock::now();
  for (const auto& window : schedule.windows()) status.add_maintenance_windows(window.spec);
  status.set_window_open(schedule.IsOpen(now));
  if (auto until = schedule.OpenUntil(now)) {
    status.set_window_closes_at(FormatIsoTimestamp(*until));
  }
  if (auto next = schedule.NextOpening(now)) {
    status.set_next_window_opens_at(FormatIsoTimestamp(next->opens));
  }
}

MaintenanceSchedule Service::Windows() const {
  return MaintenanceSchedule(Live()->maintenance_windows);
}

bool Service::AdmitToWindow(const proto::Request& request, const PeerIdentity& peer,
                            const std::shared_ptr<Responder>& responder) {
  const MaintenanceSchedule schedule = Windows();
  const auto now = Clock::now();
  if (request.force() || schedule.IsOpen(now)) return true;
  proto::Result result;
  result.set_request_id(request.request_id());
  auto next = schedule.NextOpening(now);
  if (request.in_window() && next) {
    // The same request by the same user, asked again (a retrying script): one job.
    // (The key includes --in-window, so the job found waits for its window too.)
    if (auto queued = jobs_.FindWaiting(RequestKey(request), peer.uid)) {
      result.set_message("already queued as job " + std::to_string(queued->id) + ": '" +
                         queued->description + "' by " + queued->user_name +
                         " runs when the maintenance window opens at " + queued->scheduled_for +
                         "; nothing new was queued");
      responder->SendResult(std::move(result));
      return false;
    }
    const std::string job = "'" + Describe(request) + "' for " + peer.user_name;
    auto submitted =
        SubmitJob(request, peer, std::make_shared<DetachedResponder>(job), next->opens);
    if (!submitted.ok()) {
      // The detached responder only logs the refusal: the client is told here.
      SendError(*responder, request.request_id(), submitted.status());
      return false;
    }
    const std::string id = std::to_string(*submitted);
    spdlog::info("job {} {} waits for the maintenance window opening at {}", id, job,
                 FormatIsoTimestamp(next->opens));
    result.set_message("queued as job " + id + ": '" + Describe(request) +
                       "' runs when the maintenance window opens at " +
                       FormatIsoTimestamp(next->opens) +
                       "; its outcome goes to the daemon's log and 'migctl log'. 'migctl "
                       "status' shows it waiting; 'migctl cancel " +
                       id + "' removes it");
    responder->SendResult(std::move(result));
    return false;
  }
  SendError(
      *responder, request.request_id(),
      Status::OutsideWindow(OutsideText(schedule, now) +
                            ". Nothing was run. Pass --in-window to queue '" + Describe(request) +
                            "' for that window, or --force to run it now (recorded in the "
                            "history)"));
  return false;
}

std::optional<std::string> Service::OutsideWindowsNow() const {
  const MaintenanceSchedule schedule = Windows();
  const auto now = Clock::now();
  if (schedule.IsOpen(now)) return std::nullopt;
  return OutsideText(schedule, now);
}

Result<Service::WindowPass> Service::EnterWindow(const proto::Request& request) const {
  if (!NeedsMaintenanceWindow(request)) return WindowPass{};
  const MaintenanceSchedule schedule = Windows();
  const auto now = Clock::now();
  if (schedule.IsOpen(now)) return WindowPass{schedule.OpenUntil(now), false};
  if (request.force()) return WindowPass{std::nullopt, true};
  return Status::OutsideWindow("the maintenance windows (" + WindowList(schedule) +
                               ") closed before '" + Describe(request) +
                               "' could start: " + NextOpeningText(schedule, now) +
                               ". Nothing was run; ask again then, or pass --force");
}

void Service::RecordForcedRun(const proto::Request& request,
                              const RequestIdentity& requester) const {
  HistoryEntry entry;
  entry.revision = Describe(request);
  entry.direction = "force";
  entry.started_at = entry.finished_at = FormatIsoTimestamp(Clock::now());
  entry.outcome = "success";
  entry.error = "run outside the maintenance windows (" + WindowList(Windows()) + ") with --force";
  entry.requester = requester;
  auto backend = OpenBackend(url_);
  Status status = backend.ok() ? Status::Ok() : backend.status();
  if (status.ok()) {
    VersionStore store(**backend);
    status = store.EnsureTables();
    if (status.ok()) status = store.AppendHistory(entry);
  }
  if (status.ok()) {
    spdlog::warn("'{}' by {} runs outside the maintenance windows (--force)", Describe(request),
                 requester.user_name);
  } else {
    spdlog::error(
        "'{}' by {} runs outside the maintenance windows (--force); recording that in "
        "the history failed: {}",
        Describe(request), requester.user_name, status.message());
  }
}

}  // namespace migrationd

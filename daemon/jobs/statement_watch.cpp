#include "daemon/jobs/statement_watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "core/engines/open_backend.h"
#include "daemon/log_setup.h"

namespace migrationd {

std::string DescribeElapsed(double ms) {
  char text[32];
  if (ms < 10000) {
    std::snprintf(text, sizeof(text), "%.1f s", ms / 1000);
  } else if (ms < 120000) {
    std::snprintf(text, sizeof(text), "%.0f s", ms / 1000);
  } else {
    std::snprintf(text, sizeof(text), "%.0f min", ms / 60000);
  }
  return text;
}

StatementWatch::StatementWatch(const DatabaseUrl& url, std::string session_id,
                               StatementWatchOptions options,
                               std::function<void(const StatementReport&)> report,
                               std::function<void(const std::string&)> stage)
    : url_(url),
      session_id_(std::move(session_id)),
      options_(options),
      report_(std::move(report)),
      stage_(std::move(stage)) {
  if (!session_id_.empty()) {
    thread_ = std::thread([this, database = LogTag::Current()] {
      const LogTag tag(database);  // its lines name the job's database, as the job's do
      Run();
    });
  }
}

StatementWatch::~StatementWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (stage_shown_) stage_("");
}

std::string StatementWatch::LastBlockers() const {
  std::lock_guard lock(mutex_);
  return last_blockers_;
}

void StatementWatch::StepStarted() {
  {
    std::lock_guard lock(mutex_);
    step_since_ = std::chrono::steady_clock::now();
  }
  wake_.notify_all();
}

void StatementWatch::StepEnded() {
  std::lock_guard lock(mutex_);
  step_since_.reset();
}

void StatementWatch::Run() {
  // Often enough to name a blocker soon after blocker_report_after; a query on the server's
  // statistics views each time, while a revision has run longer than that.
  const auto every = std::clamp(options_.blocker_report_after / 2, std::chrono::milliseconds(50),
                                std::chrono::milliseconds(250));
  std::unique_ptr<Backend> connection;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!step_since_) {
      wake_.wait(lock, [this] { return stopping_ || step_since_.has_value(); });
      continue;
    }
    const auto due = *step_since_ + options_.blocker_report_after;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due, [this] { return stopping_ || !step_since_; });
      continue;
    }
    lock.unlock();
    if (!connection) {
      // Tried again at the next look: a server that refused a connection may take one later.
      auto opened = OpenBackendForWatching(url_);
      if (opened.ok()) {
        connection = std::move(opened).value();
      } else if (!open_failed_) {
        open_failed_ = true;
        spdlog::debug("the statement watch cannot connect: {}", opened.status().message());
      }
    }
    if (connection) Observe(*connection);
    lock.lock();
    wake_.wait_for(lock, every, [this] { return stopping_; });
  }
}

void StatementWatch::Observe(Backend& connection) {
  auto activity = connection.ObserveSession(session_id_);
  if (!activity.ok()) {
    spdlog::debug("the statement watch cannot read the session: {}", activity.status().message());
    return;
  }
  if (!activity->running) {
    statement_.clear();
    if (stage_shown_) stage_("");
    stage_shown_ = false;
    return;
  }
  if (activity->statement != statement_) {
    statement_ = activity->statement;
    reported_progress_ms_ = 0;
    reported_blockers_.clear();
  }
  const std::string what =
      activity->statement.substr(0, 60) + (activity->statement.size() > 60 ? " ..." : "");
  if (!activity->blocked_by.empty() &&
      activity->running_ms >= static_cast<double>(options_.blocker_report_after.count())) {
    std::string blockers;
    for (const auto& blocker : activity->blocked_by) {
      blockers += (blockers.empty() ? "" : "; ") + blocker;
    }
    const std::string text =
        "waiting " + DescribeElapsed(activity->running_ms) + " for a lock on " +
        (activity->lock_wanted.empty() ? std::string("a table") : activity->lock_wanted) + " (" +
        what + "), blocked by " + blockers;
    {
      std::lock_guard lock(mutex_);
      last_blockers_ = blockers;
    }
    stage_(text);
    stage_shown_ = true;
    if (blockers != reported_blockers_) {
      reported_blockers_ = blockers;
      spdlog::warn("{}", text);
      report_({StatementReport::kBlocked, text, activity->running_ms, -1});
    }
    return;
  }
  const auto every = static_cast<double>(options_.progress_every.count());
  if (activity->running_ms < every || activity->running_ms - reported_progress_ms_ < every) return;
  reported_progress_ms_ = activity->running_ms;
  std::string doing = activity->progress;
  if (doing.empty()) {
    doing = activity->wait_event.empty() ? "running" : "waiting on " + activity->wait_event;
  }
  const std::string text = what + ": " + doing + " (" + DescribeElapsed(activity->running_ms) + ")";
  stage_(text);
  stage_shown_ = true;
  spdlog::info("{}", text);
  report_({StatementReport::kProgress, text, activity->running_ms, activity->fraction});
}

}  // namespace migrationd

#include "daemon/jobs/job_queue.h"

#include <algorithm>

#include "core/run/version_store.h"

namespace migrationd {

void JobControl::SetActiveBackend(Backend* backend) {
  std::lock_guard lock(mutex_);
  backend_ = backend;
  if (backend_ != nullptr && cancelled_) backend_->Interrupt();
}

void JobControl::Progress(uint32_t done, uint32_t total, const std::string& revision) {
  if (on_progress_) on_progress_(done, total, revision);
}

void JobControl::SetStage(const std::string& stage) {
  if (on_stage_) on_stage_(stage);
}

void JobControl::Cancel(const std::string& by) {
  std::lock_guard lock(mutex_);
  if (cancelled_by_.empty()) cancelled_by_ = by;
  cancelled_ = true;
  if (backend_ != nullptr) backend_->Interrupt();
}

std::string JobControl::cancelled_by() const {
  std::lock_guard lock(mutex_);
  return cancelled_by_;
}

JobQueue::JobQueue() : worker_([this] { WorkerLoop(); }) {}

JobQueue::~JobQueue() { Shutdown(std::chrono::seconds(0)); }

Result<std::optional<JobSnapshot>> JobQueue::Submit(Job job, bool wait, size_t max_waiting) {
  std::lock_guard lock(mutex_);
  if (stopping_) return Status::Cancelled("the daemon is shutting down");
  if (!wait) {
    if (running_) return std::optional<JobSnapshot>(*running_);
    // A job waiting for its window is not in the way of one that may run now.
    for (const Job& queued : queue_) {
      if (!queued.not_before) return std::optional<JobSnapshot>(queued.info);
    }
  }
  if (queue_.size() >= max_waiting) {
    return Status::Busy(
        std::to_string(queue_.size()) +
        " jobs are already waiting (max_queued_jobs = " + std::to_string(max_waiting) +
        "): nothing was queued. 'migctl status' lists them; 'migctl cancel ID' "
        "removes one");
  }
  queue_.push_back(std::move(job));
  changed_.notify_all();
  return std::optional<JobSnapshot>();
}

std::optional<JobSnapshot> JobQueue::FindWaiting(const std::string& request_key,
                                                 int64_t uid) const {
  std::lock_guard lock(mutex_);
  for (const Job& job : queue_) {
    if (job.info.request_key == request_key && job.info.uid == uid) return job.info;
  }
  return std::nullopt;
}

std::optional<JobSnapshot> JobQueue::Running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t JobQueue::QueuedCount() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::vector<JobSnapshot> JobQueue::Waiting() const {
  std::lock_guard lock(mutex_);
  std::vector<JobSnapshot> waiting;
  for (const Job& job : queue_) waiting.push_back(job.info);
  return waiting;
}

Result<std::string> JobQueue::Cancel(std::optional<uint64_t> id, const std::string& by) {
  Job removed;
  {
    std::lock_guard lock(mutex_);
    if (running_control_ != nullptr && (!id || running_->id == *id)) {
      running_control_->Cancel(by);
      return "cancel requested: '" + running_->description +
             "' stops, its current revision rolls back";
    }
    auto found = queue_.end();
    if (id) {
      found = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Job& job) { return job.info.id == *id; });
      if (found == queue_.end()) {
        return Status::InvalidArgument("no job " + std::to_string(*id) +
                                       " is running or waiting; 'migctl status' lists the jobs");
      }
    } else if (queue_.size() == 1) {
      found = queue_.begin();
    } else {
      return Status::InvalidArgument(
          queue_.empty() ? "no job is running or waiting"
                         : "no job is running and " + std::to_string(queue_.size()) +
                               " wait: name the one to cancel ('migctl cancel ID'; 'migctl "
                               "status' lists them)");
    }
    removed = std::move(*found);
    queue_.erase(found);
  }
  const std::string what =
      "'" + removed.info.description + "' (job " + std::to_string(removed.info.id) + ")";
  if (removed.abandon) {
    removed.abandon(Status::Cancelled("cancelled by " + by + " before it started"));
  }
  return "removed " + what + " before it started; nothing was run";
}

void JobQueue::Shutdown(std::chrono::seconds grace) {
  std::deque<Job> abandoned;
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    abandoned.swap(queue_);
    changed_.notify_all();
    if (!changed_.wait_for(lock, grace, [this] { return !running_; }) &&
        running_control_ != nullptr) {
      running_control_->Cancel("the daemon's shutdown");
    }
  }
  for (auto& job : abandoned) {
    if (job.abandon) job.abandon(Status::Cancelled("the daemon shut down before the job started"));
  }
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

std::optional<std::deque<JobQueue::Job>::iterator> JobQueue::NextDue(
    std::optional<std::chrono::system_clock::time_point>& wake_at) {
  const auto now = std::chrono::system_clock::now();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (!it->not_before || *it->not_before <= now) return it;
    if (!wake_at || *it->not_before < *wake_at) wake_at = it->not_before;
  }
  return std::nullopt;
}

void JobQueue::WorkerLoop() {
  while (true) {
    Job job;
    JobControl control;
    {
      std::unique_lock lock(mutex_);
      while (true) {
        if (stopping_) return;  // Shutdown() abandoned what was queued
        std::optional<std::chrono::system_clock::time_point> wake_at;
        if (auto due = NextDue(wake_at)) {
          job = std::move(**due);
          queue_.erase(*due);
          break;
        }
        if (wake_at) {
          changed_.wait_until(lock, *wake_at);
        } else {
          changed_.wait(lock);
        }
      }
      job.info.started_at = FormatIsoTimestamp(std::chrono::system_clock::now());
      running_ = job.info;
      running_control_ = &control;
    }
    control.on_progress_ = [this](uint32_t done, uint32_t total, const std::string& revision) {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      running_->done = done;
      running_->total = total;
      running_->revision = revision;
    };
    control.on_stage_ = [this](const std::string& stage) {
      std::lock_guard lock(mutex_);
      if (running_) running_->stage = stage;
    };
    job.run(control);
    std::lock_guard lock(mutex_);
    running_.reset();
    running_control_ = nullptr;
    changed_.notify_all();
  }
}

}  // namespace migrationd

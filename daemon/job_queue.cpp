#include "daemon/job_queue.h"

#include "core/version_store.h"

namespace migrationd {

void JobControl::SetActiveBackend(Backend* backend) {
  std::lock_guard lock(mutex_);
  backend_ = backend;
  if (backend_ != nullptr && cancelled_) backend_->Interrupt();
}

void JobControl::Progress(uint32_t done, uint32_t total, const std::string& revision) {
  if (on_progress_) on_progress_(done, total, revision);
}

void JobControl::Cancel() {
  cancelled_ = true;
  std::lock_guard lock(mutex_);
  if (backend_ != nullptr) backend_->Interrupt();
}

JobQueue::JobQueue() : worker_([this] { WorkerLoop(); }) {}

JobQueue::~JobQueue() { Shutdown(std::chrono::seconds(0)); }

Result<std::optional<JobSnapshot>> JobQueue::Submit(Job job, bool wait) {
  std::lock_guard lock(mutex_);
  if (stopping_) return Status::Cancelled("the daemon is shutting down");
  if (!wait && (running_ || !queue_.empty())) {
    return std::optional<JobSnapshot>(running_ ? *running_ : queue_.front().info);
  }
  queue_.push_back(std::move(job));
  changed_.notify_all();
  return std::optional<JobSnapshot>();
}

std::optional<JobSnapshot> JobQueue::Running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

size_t JobQueue::QueuedCount() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool JobQueue::CancelRunning() {
  std::lock_guard lock(mutex_);
  if (running_control_ == nullptr) return false;
  running_control_->Cancel();
  return true;
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
      running_control_->Cancel();
    }
  }
  for (auto& job : abandoned) {
    if (job.abandon) job.abandon(Status::Cancelled("the daemon shut down before the job started"));
  }
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

void JobQueue::WorkerLoop() {
  while (true) {
    Job job;
    JobControl control;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
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
    job.run(control);
    std::lock_guard lock(mutex_);
    running_.reset();
    running_control_ = nullptr;
    changed_.notify_all();
  }
}

}  // namespace migrationd

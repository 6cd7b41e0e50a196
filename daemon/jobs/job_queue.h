// JobQueue: the one queue through which every change to the database goes.
//
// One worker thread runs one job at a time, so within a daemon two migrations (or a migration
// and a backup) never overlap; the migration lock extends that across daemons. A job submitted
// while another runs is refused as busy, or queued when the client asked to wait.
// Thread-safe: submit, inspect and cancel from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "core/db/backend.h"

namespace migrationd {

// What `status` shows of a job, and what a busy reply names.
struct JobSnapshot {
  uint64_t id = 0;
  std::string description;  // "upgrade head"
  int64_t uid = -1;
  std::string user_name;
  std::string started_at;  // empty while queued
  uint32_t done = 0;
  uint32_t total = 0;
  std::string revision;
  std::string scheduled_for;  // ISO 8601 UTC: waits for this time (a maintenance window)
  std::string stage;          // "backing up", ...: see proto JobInfo.stage
  // The request as asked, without its id: the same request twice is queued once.
  std::string request_key;
};

// Handed to a running job: cancellation, and progress for `status`.
class JobControl {
 public:
  bool cancelled() const { return cancelled_.load(); }
  // Who asked for the cancel ("alice (uid 1000)"; "" before one).
  std::string cancelled_by() const;
  // The connection running the job's SQL, so that a cancel can interrupt it (nullptr: none).
  void SetActiveBackend(Backend* backend);
  void Progress(uint32_t done, uint32_t total, const std::string& revision);
  // What the job is doing besides revisions ("backing up"; "" when that ends), for `status`.
  void SetStage(const std::string& stage);

 private:
  friend class JobQueue;
  void Cancel(const std::string& by);

  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  Backend* backend_ = nullptr;  // guarded by mutex_
  std::string cancelled_by_;    // guarded by mutex_
  std::function<void(uint32_t, uint32_t, const std::string&)> on_progress_;
  std::function<void(const std::string&)> on_stage_;
};

class JobQueue {
 public:
  struct Job {
    JobSnapshot info;
    std::function<void(JobControl&)> run;
    // Called instead of run when the queue shuts down or the job is cancelled before it
    // started.
    std::function<void(const Status&)> abandon;
    // Not started before this time (a job waiting for a maintenance window); jobs behind it
    // whose time has come run first, and it never makes a job without `wait` busy.
    std::optional<std::chrono::system_clock::time_point> not_before;
  };

  JobQueue();
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Accepts the job, or returns the snapshot of the job in the way (busy). With `wait`, a job
  // is queued behind others instead. After Shutdown() every job is refused.
  // At most `max_waiting` jobs wait at once: one more is refused (kBusy), nothing queued.
  Result<std::optional<JobSnapshot>> Submit(Job job, bool wait, size_t max_waiting = SIZE_MAX);
  // A waiting job with this request key and requester, if one is queued.
  std::optional<JobSnapshot> FindWaiting(const std::string& request_key, int64_t uid) const;
  std::optional<JobSnapshot> Running() const;
  size_t QueuedCount() const;
  // The jobs not yet started, in queue order.
  std::vector<JobSnapshot> Waiting() const;
  // Cancels job `id`: the running one stops (its current revision rolls back), a waiting one is
  // removed and its requester told. Without an id: the running job, else the only waiting one.
  // Returns what was done for the reply, or why nothing was.
  // `by`: who asks, for the job's error and the log.
  Result<std::string> Cancel(std::optional<uint64_t> id, const std::string& by);
  // Stops accepting, abandons queued jobs, lets the running one finish for `grace`, then
  // cancels it and waits for it to end. Idempotent.
  void Shutdown(std::chrono::seconds grace);
  uint64_t NextId() { return next_id_++; }

 private:
  void WorkerLoop();
  // The first queued job that may start now, or the earliest time one may (mutex_ held).
  std::optional<std::deque<Job>::iterator> NextDue(
      std::optional<std::chrono::system_clock::time_point>& wake_at);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;                  // guarded by mutex_
  std::optional<JobSnapshot> running_;     // guarded by mutex_
  JobControl* running_control_ = nullptr;  // guarded by mutex_
  bool stopping_ = false;                  // guarded by mutex_
  std::atomic<uint64_t> next_id_{1};
  std::thread worker_;
};

}  // namespace migrationd

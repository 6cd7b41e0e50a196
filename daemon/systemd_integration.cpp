#include "daemon/systemd_integration.h"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

namespace migrationd {

// The queue and the thread that empties it. Shared with the thread, which the notifier detaches
// when it goes: a sendmsg() blocked on a stalled manager must not hold up the daemon's exit.
struct SystemdNotifier::Sender {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::string> queue;  // guarded by mutex
  bool stop = false;              // guarded by mutex

  void Run() {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stopping, all sent
      std::string state = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      (void)sd_notify(0, state.c_str());
      lock.lock();
    }
  }
};

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec / 2);
  }
  if (socket == nullptr || *socket == '\0') return;
  sender_ = std::make_shared<Sender>();
  std::thread([sender = sender_] { sender->Run(); }).detach();
}

SystemdNotifier::~SystemdNotifier() {
  if (!sender_) return;
  std::lock_guard lock(sender_->mutex);
  sender_->stop = true;
  sender_->wake.notify_one();
}

void SystemdNotifier::Post(std::string state) const {
  if (!sender_) return;
  std::lock_guard lock(sender_->mutex);
  // A manager that stopped reading gets the newest news, not an ever longer backlog: drop the
  // oldest pings and statuses (READY and STOPPING are kept).
  constexpr size_t kMaxQueued = 32;
  for (auto it = sender_->queue.begin();
       sender_->queue.size() >= kMaxQueued && it != sender_->queue.end();) {
    const bool droppable =
        it->find("READY=1") == std::string::npos && it->find("STOPPING=1") == std::string::npos;
    it = droppable ? sender_->queue.erase(it) : it + 1;
  }
  sender_->queue.push_back(std::move(state));
  sender_->wake.notify_one();
}

void SystemdNotifier::Ready(const std::string& status) const { Post("READY=1\nSTATUS=" + status); }

void SystemdNotifier::Status(const std::string& status) const { Post("STATUS=" + status); }

void SystemdNotifier::Stopping() const { Post("STOPPING=1\nSTATUS=stopping"); }

void SystemdNotifier::WatchdogPing() const { Post("WATCHDOG=1"); }

int InheritedListenSocket(std::string& error) {
  // Unset the variables: the children migrationd starts (pg_dump, psql) must not see them.
  const int count = sd_listen_fds(1);
  if (count <= 0) return -1;
  if (count != 1) {
    error = "systemd passed " + std::to_string(count) +
            " sockets; migrationd.socket must list exactly one ListenStream=";
    return -1;
  }
  const int fd = SD_LISTEN_FDS_START;
  if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
    error =
        "the socket systemd passed is not a listening Unix stream socket "
        "(ListenStream= must name a path)";
    return -1;
  }
  return fd;
}

}  // namespace migrationd

// What migrationd does when systemd runs it, through libsystemd; without systemd (no
// NOTIFY_SOCKET, no LISTEN_FDS) every call here does nothing and the daemon runs as before.
//
//   Type=notify   READY=1 once the socket listens and the start-up check ran; STATUS= lines
//                 with the current job; STOPPING=1 on SIGTERM; WATCHDOG=1 from the io loop
//                 when the unit sets WatchdogSec=.
//   .socket unit  the listening control socket is inherited (sd_listen_fds) instead of made.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace migrationd {

// sd_notify() blocks while the manager's socket queue is full (a stalled manager, or a test
// that stops reading): the messages go out from a thread of their own, so no job and no io
// loop ever waits on them. Thread-safe.
class SystemdNotifier {
 public:
  SystemdNotifier();
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Whether a service manager listens (NOTIFY_SOCKET is set).
  bool enabled() const { return sender_ != nullptr; }
  void Ready(const std::string& status) const;
  void Status(const std::string& status) const;
  void Stopping() const;
  void WatchdogPing() const;
  // How often to ping: half of WatchdogSec=, or nothing when no watchdog is asked for.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

 private:
  struct Sender;
  void Post(std::string state) const;
  std::shared_ptr<Sender> sender_;  // null without systemd
  std::optional<std::chrono::microseconds> watchdog_;
};

// The listening socket systemd passed (a .socket unit), or -1 when started otherwise. Exactly
// one stream socket is accepted; anything else is an error message in `error`.
int InheritedListenSocket(std::string& error);

}  // namespace migrationd

#include "daemon/systemd_integration.h"

#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace migrationd {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // 0 unsets nothing: WATCHDOG_USEC/PID stay for the life of the process (the pid check
  // matters only to children, which exec other programs).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(usec / 2);
  }
}

void SystemdNotifier::Send(const std::string& state) const {
  if (enabled_) (void)sd_notify(0, state.c_str());
}

void SystemdNotifier::Ready(const std::string& status) const { Send("READY=1\nSTATUS=" + status); }

void SystemdNotifier::Status(const std::string& status) const { Send("STATUS=" + status); }

void SystemdNotifier::Stopping() const { Send("STOPPING=1\nSTATUS=stopping"); }

void SystemdNotifier::WatchdogPing() const { Send("WATCHDOG=1"); }

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

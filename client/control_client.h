// ControlClient: migctl's side of the control socket, with blocking I/O.
//
// Connect() opens the socket and exchanges the protocol handshake; Call() sends one request and
// hands every event to a callback until the request's result arrives. One client, one thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/base/status.h"
#include "migrationd.pb.h"

namespace migrationd {

class ControlClient {
 public:
  // kUnavailable when nothing answers on `socket_path`.
  static Result<ControlClient> Connect(const std::string& socket_path);
  // Connect, tried again for up to `patience` while the daemon refuses for being at its
  // connection limits (kBusy): a short wait is what a command run at a busy moment (a hundred
  // health checks at once) wants, rather than failing at once.
  static Result<ControlClient> ConnectWithin(const std::string& socket_path,
                                             std::chrono::milliseconds patience);
  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&&) = delete;
  ~ControlClient();

  const std::string& daemon_software() const { return daemon_software_; }

  Result<proto::Result> Call(const proto::Request& request,
                             const std::function<void(const proto::Event&)>& on_event);

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  Status Send(const proto::ClientMessage& message);
  Result<proto::ServerMessage> Receive();  // one frame
  // One message, reassembled from Chunk frames when it was too large for one.
  Result<proto::ServerMessage> ReceiveWhole();

  int fd_ = -1;
  std::string socket_path_;
  std::string daemon_software_;
};

}  // namespace migrationd

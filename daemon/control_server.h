// ControlServer: the Unix socket migctl talks to.
//
// Owns the acceptor and every ControlSession. A session reads frames (4-byte big-endian length
// + protobuf), checks the handshake, hands requests to the Service with the peer's SO_PEERCRED
// identity, and writes events and results back in order. A bad frame (too big, truncated,
// unparsable) or a silent client closes only that connection. Runs on one io_context thread;
// responders may be called from any thread (they post to it).
#pragma once

#include <memory>
#include <set>
#include <string>

#include "daemon/asio.h"
#include "daemon/service.h"

namespace migrationd {

class ControlSession;

class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, Service& service);
  ~ControlServer();

  // Binds the socket: replaces a stale socket file, refuses to steal a live one.
  Status Listen(const std::string& path, mode_t mode, const std::string& group);
  void Start();
  // Stops accepting (the socket file is removed); open sessions finish their requests.
  void StopAccepting();
  // Closes every session once its pending writes are flushed.
  void CloseSessions();
  size_t SessionCount() const { return sessions_.size(); }

 private:
  friend class ControlSession;
  boost::asio::awaitable<void> AcceptLoop();
  void Forget(ControlSession* session);

  boost::asio::io_context& io_;
  Service& service_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  std::set<std::shared_ptr<ControlSession>> sessions_;  // touched on the io thread only
};

}  // namespace migrationd

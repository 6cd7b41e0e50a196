// ControlServer: the Unix socket migctl talks to.
//
// Owns the acceptor and every ControlSession. A session reads frames (4-byte big-endian length
// + protobuf), checks the handshake, hands requests to the Fleet (which routes each to its
// database's Service) with the peer's SO_PEERCRED identity, and writes events and results back
// in order. A bad frame (too big, truncated, unparsable) or a silent client closes only that
// connection. Runs on one io_context thread; responders may be called from any thread (they
// post to it).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "daemon/asio.h"
#include "daemon/fleet.h"

namespace migrationd {

class ControlSession;

// What one client may take of the daemon: connections beyond the cap are refused with a reply,
// a connection that sends nothing (or half a frame) is closed after a while. A request that is
// running (a long upgrade) is never timed out.
struct ServerLimits {
  // Connections at once. The last admin_reserve of them only admins may take (root, the
  // daemon's user, the admin groups), and one user who is not an admin holds at most
  // max_per_user: no other user can keep an operator out by opening connections.
  size_t max_connections = 64;
  size_t admin_reserve = 8;
  size_t max_per_user = 16;
  std::chrono::seconds handshake_timeout{10};  // connect -> hello
  std::chrono::seconds idle_timeout{60};       // between requests, after a result
  std::chrono::seconds frame_timeout{10};      // from a frame's header to its last byte
};

class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, Fleet& fleet, ServerLimits limits = {});
  ~ControlServer();

  // Binds the socket: replaces a stale socket file, refuses to steal a live one.
  Status Listen(const std::string& path, mode_t mode, const std::string& group);
  // Serves on a listening socket made by someone else (systemd's socket activation); its file
  // is theirs, so it is not removed on exit.
  Status Adopt(int listening_fd);
  void Start();
  // Stops accepting (the socket file is removed); open sessions finish their requests.
  void StopAccepting();
  // Closes every session once its pending writes are flushed.
  void CloseSessions();
  size_t SessionCount() const { return sessions_.size(); }

 private:
  friend class ControlSession;
  boost::asio::awaitable<void> AcceptLoop();
  // Accept failed for lack of file descriptors: wait, and say so at most every 10 s.
  boost::asio::awaitable<void> BackOff(const boost::system::error_code& ec);
  // Why a new connection from `peer` may not be served now ("": it may).
  std::string Admission(const PeerIdentity& peer, bool admin) const;
  void Refuse(boost::asio::local::stream_protocol::socket socket, const std::string& why);
  void Forget(ControlSession* session);
  // A request was answered (io thread): memory freed by building its reply goes back to the
  // kernel at once after a large reply, else once requests have been quiet for a second.
  void Answered(size_t reply_bytes);
  void TrimWhenQuiet(std::chrono::steady_clock::duration delay);

  boost::asio::io_context& io_;
  Fleet& fleet_;
  const ServerLimits limits_;
  std::chrono::steady_clock::time_point last_backoff_log_{};
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  std::set<std::shared_ptr<ControlSession>> sessions_;  // touched on the io thread only
  std::map<uid_t, size_t> sessions_by_uid_;             // io thread
  boost::asio::steady_timer quiet_trim_;                // io thread, as the two below
  bool quiet_trim_armed_ = false;
  std::chrono::steady_clock::time_point last_answer_{};
};

}  // namespace migrationd

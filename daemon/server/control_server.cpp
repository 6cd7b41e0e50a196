#include "daemon/server/control_server.h"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "core/base/accounts.h"
#include "proto/frame.h"

namespace migrationd {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using stream_protocol = asio::local::stream_protocol;

namespace {

// Is a daemon answering on `path`? (A plain connect: refused means the file is stale.)
bool SomeoneListens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return live;
}

}  // namespace

// One client connection. Lives while its read loop runs or its writes are pending.
//
// One request at a time: the next frame is read only once the previous request's result is
// written out, so a client that pipelines without reading stalls itself, not the daemon. A
// deadline closes a connection that stays silent (before hello, between requests) or stops in
// the middle of a frame; a frame's buffer grows only as its bytes arrive.
class ControlSession : public Responder, public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(ControlServer& server, stream_protocol::socket socket, PeerIdentity peer)
      : server_(server),
        peer_(std::move(peer)),
        socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        request_done_(socket_.get_executor()),
        batch_timer_(socket_.get_executor()) {}

  const PeerIdentity& peer() const { return peer_; }

  awaitable<void> Run() {
    auto self = shared_from_this();
    spdlog::debug("connection from {} ({} open)", peer_.Describe(), server_.SessionCount());
    proto::ClientMessage message;
    while (!closed_) {
      ArmDeadline(greeted_ ? server_.limits_.idle_timeout : server_.limits_.handshake_timeout,
                  greeted_ ? "idle" : "no handshake");
      if (!co_await ReadMessage(message)) break;
      if (!greeted_) {
        if (!Greet(message)) break;
        continue;
      }
      if (!message.has_request()) {
        ProtocolError(0, "expected a request after the handshake");
        break;
      }
      deadline_.cancel();  // a running request is never timed out
      in_flight_ = true;
      server_.fleet_.Handle(message.request(), peer_, self);
      co_await WaitUntilAnswered();
    }
    deadline_.cancel();
    spdlog::debug("connection from {} ends", peer_.Describe());
    closing_ = true;
    if (writes_.empty()) Close();
  }

  // Responder: called from any thread. Events wait up to kEventBatchDelay to travel with the
  // ones that follow: a plan of fast revisions sends two per revision, and waking the io
  // thread and the client for each cost more than the revisions did. A result goes out at
  // once, after the events before it.
  void SendEvent(proto::Event event) override {
    proto::ServerMessage message;
    *message.mutable_event() = std::move(event);
    Queue(std::move(message), false);
  }
  void SendResult(proto::Result result) override {
    proto::ServerMessage message;
    *message.mutable_result() = std::move(result);
    Queue(std::move(message), true);
  }

  // Closes once pending writes are flushed.
  void CloseWhenFlushed() {
    closing_ = true;
    if (writes_.empty()) Close();
  }

 private:
  // Closes the connection when `timeout` passes without the deadline being moved or cancelled.
  void ArmDeadline(std::chrono::seconds timeout, const char* why) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([weak = weak_from_this(), timeout, why](boost::system::error_code ec) {
      auto session = weak.lock();
      if (!session || ec || session->closed_) return;
      spdlog::warn("closing a connection from {}: {} for {} s", session->peer_.Describe(), why,
                   timeout.count());
      session->Close();
    });
  }

  // Suspends the read loop until the request's result is written out (backpressure).
  awaitable<void> WaitUntilAnswered() {
    while (in_flight_ && !closed_) {
      request_done_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await request_done_.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  // Reads one frame; false on EOF, error or a bad frame (after answering it where possible).
  awaitable<bool> ReadMessage(proto::ClientMessage& message) {
    std::array<uint8_t, kFrameHeaderBytes> header{};
    boost::system::error_code ec;
    co_await asio::async_read(socket_, asio::buffer(header),
                              asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;  // the client went away, or a truncated header: nothing to answer
    uint32_t length = DecodeFrameLength(header);
    if (length > kMaxFrameBytes) {
      ProtocolError(0, "frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                           std::to_string(kMaxFrameBytes) + " bytes");
      co_return false;
    }
    ArmDeadline(server_.limits_.frame_timeout, "an unfinished frame");
    // The buffer grows with the bytes that arrive (4 KiB, then doubling up to 64 KiB a step),
    // never to the announced length up front.
    std::string payload;
    while (payload.size() < length) {
      size_t old_size = payload.size();
      size_t step = std::clamp<size_t>(old_size, 4096, 64 * 1024);
      payload.resize(old_size + std::min(step, length - old_size));
      size_t got = co_await socket_.async_read_some(
          asio::buffer(payload.data() + old_size, payload.size() - old_size),
          asio::redirect_error(use_awaitable, ec));
      if (ec) co_return false;  // truncated frame, or the deadline closed the socket
      payload.resize(old_size + got);
    }
    if (!message.ParseFromString(payload)) {
      ProtocolError(0, "the frame is not a valid ClientMessage");
      co_return false;
    }
    co_return true;
  }

  bool Greet(const proto::ClientMessage& message) {
    if (!message.has_hello()) {
      ProtocolError(0, "the first message must be a hello with the protocol version");
      return false;
    }
    if (message.hello().protocol_version() != kProtocolVersion) {
      ProtocolError(0, "protocol version " + std::to_string(message.hello().protocol_version()) +
                           " is not supported; this daemon speaks version " +
                           std::to_string(kProtocolVersion));
      return false;
    }
    greeted_ = true;
    proto::ServerMessage reply;
    reply.mutable_hello()->set_protocol_version(kProtocolVersion);
    reply.mutable_hello()->set_software(std::string("migrationd ") + kMigrationdVersion);
    Enqueue(EncodeFrame(reply), false);
    return true;
  }

  void ProtocolError(uint64_t request_id, const std::string& what) {
    spdlog::warn("protocol error from {}: {}", peer_.Describe(), what);
    proto::Result result;
    result.set_request_id(request_id);
    result.set_code(proto::PROTOCOL_ERROR);
    result.set_message(what);
    proto::ServerMessage message;
    *message.mutable_result() = std::move(result);
    Enqueue(EncodeFrame(message), false);
  }

  void Queue(proto::ServerMessage message, bool is_result) {
    bool flush_now = false;
    bool start_batch = false;
    {
      std::lock_guard lock(outbox_mutex_);
      outbox_.push_back({std::move(message), is_result});
      if (is_result && !flush_posted_) {
        flush_posted_ = flush_now = true;
      } else if (!is_result && !batch_open_) {
        batch_open_ = start_batch = true;
      }
    }
    auto self = shared_from_this();
    if (flush_now) asio::post(socket_.get_executor(), [self] { self->Flush(); });
    if (start_batch) {
      asio::post(socket_.get_executor(), [self] {
        self->batch_timer_.expires_after(kEventBatchDelay);
        self->batch_timer_.async_wait([self](boost::system::error_code) {
          {
            std::lock_guard lock(self->outbox_mutex_);
            self->batch_open_ = false;
          }
          self->Flush();
        });
      });
    }
  }

  // On the io thread: everything queued so far, encoded (a long reply becomes several frames,
  // in order) and written.
  void Flush() {
    std::vector<Outgoing> batch;
    {
      std::lock_guard lock(outbox_mutex_);
      batch.swap(outbox_);
      flush_posted_ = false;
    }
    for (auto& outgoing : batch) {
      std::vector<std::string> frames = EncodeServerFrames(outgoing.message);
      for (size_t i = 0; i < frames.size(); ++i) {
        Enqueue(std::move(frames[i]), outgoing.is_result && i + 1 == frames.size());
      }
    }
  }

  // On the io thread: frames go out in order; one write at a time carries all that are queued.
  void Enqueue(std::string frame, bool ends_request) {
    if (closed_) return;
    writes_.push_back({std::move(frame), ends_request});
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(writes_.size());
    for (const auto& write : writes_) buffers.push_back(asio::buffer(write.bytes));
    writing_ = true;
    asio::async_write(
        socket_, buffers,
        [self = shared_from_this(), count = writes_.size()](boost::system::error_code ec, size_t) {
          self->writing_ = false;
          // Close() empties the queue: nothing of it is left to pop.
          if (ec || self->closed_) return self->Close();
          for (size_t i = 0; i < count; ++i) {
            self->reply_bytes_ += self->writes_.front().bytes.size();
            const bool answered = self->writes_.front().ends_request;
            self->writes_.pop_front();
            if (answered) self->Answered();
          }
          if (!self->writes_.empty()) {
            self->WriteNext();
          } else if (self->closing_) {
            self->Close();
          }
        });
  }

  void Answered() {
    in_flight_ = false;
    request_done_.cancel();
    server_.Answered(std::exchange(reply_bytes_, 0));
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    writes_.clear();
    boost::system::error_code ignored;
    deadline_.cancel();
    request_done_.cancel();
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
    server_.Forget(this);
  }

  struct PendingWrite {
    std::string bytes;
    bool ends_request;  // the last frame of a request's result
  };
  struct Outgoing {
    proto::ServerMessage message;
    bool is_result;
  };
  static constexpr std::chrono::milliseconds kEventBatchDelay{10};

  ControlServer& server_;
  const PeerIdentity peer_;
  stream_protocol::socket socket_;
  asio::steady_timer deadline_;
  asio::steady_timer request_done_;
  std::deque<PendingWrite> writes_;  // io thread only
  bool writing_ = false;
  size_t reply_bytes_ = 0;  // written since the last answer (io thread)
  asio::steady_timer batch_timer_;
  std::mutex outbox_mutex_;
  std::vector<Outgoing> outbox_;  // guarded by outbox_mutex_, as the two flags below
  bool flush_posted_ = false;     // a Flush is posted for a result
  bool batch_open_ = false;       // the batch timer runs for events
  bool greeted_ = false;
  bool in_flight_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

ControlServer::ControlServer(asio::io_context& io, Fleet& fleet, ServerLimits limits)
    : io_(io), fleet_(fleet), limits_(limits), acceptor_(io), quiet_trim_(io) {}

namespace {

// A reply this large (`history` at 10,000 revisions: several MiB, built by a reader thread,
// encoded here) leaves its memory free but spread between live blocks, where glibc keeps it:
// at 10,000 revisions RSS grew from 51 to 80 MiB over the first requests and stayed there.
// malloc_trim(0) hands those pages back (about a millisecond for a heap of that size, against
// tens for building such a reply).
constexpr size_t kTrimAfterBytes = 1 << 20;
// Smaller replies leave the same kind of free memory in the arenas of the threads that built
// them (at 1,000 revisions, 3.3 MiB after 10,000 requests): trimmed once a second passes with
// no answer, so that a burst costs one trim and an idle daemon no wake-up.
constexpr std::chrono::seconds kQuietBeforeTrim{1};

}  // namespace

void ControlServer::Answered(size_t reply_bytes) {
  if (reply_bytes >= kTrimAfterBytes) {
    malloc_trim(0);
    return;
  }
  last_answer_ = std::chrono::steady_clock::now();
  if (!quiet_trim_armed_) TrimWhenQuiet(kQuietBeforeTrim);
}

void ControlServer::TrimWhenQuiet(std::chrono::steady_clock::duration delay) {
  quiet_trim_armed_ = true;
  quiet_trim_.expires_after(delay);
  quiet_trim_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the server is going away, `this` with it
    // Answers came since the timer was set: wait until a second has passed after the last.
    const auto quiet = std::chrono::steady_clock::now() - last_answer_;
    if (quiet < kQuietBeforeTrim) return TrimWhenQuiet(kQuietBeforeTrim - quiet);
    quiet_trim_armed_ = false;
    malloc_trim(0);
  });
}

ControlServer::~ControlServer() { StopAccepting(); }

Status ControlServer::Listen(const std::string& path, mode_t mode, const std::string& group_name) {
  struct stat existing {};
  if (lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return Status::InvalidArgument(path +
                                     " exists and is not a socket; remove it or choose "
                                     "another --socket");
    }
    if (SomeoneListens(path)) {
      return Status::Busy("another migrationd is already serving on " + path +
                          "; stop it first, or give this one another --socket");
    }
    spdlog::info("replacing the stale socket {} of a daemon that is gone", path);
    unlink(path.c_str());
  }
  boost::system::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) acceptor_.bind(stream_protocol::endpoint(path), ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Io("cannot listen on " + path + ": " + ec.message());
  path_ = path;
  if (!group_name.empty()) {
    auto gid = LookUpGroupId(group_name);
    if (!gid) return Status::InvalidArgument("socket group '" + group_name + "' does not exist");
    if (chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
      return Status::Io("cannot chgrp " + path + ": " + std::strerror(errno));
    }
  }
  if (chmod(path.c_str(), mode) != 0) {
    return Status::Io("cannot chmod " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ControlServer::Adopt(int listening_fd) {
  boost::system::error_code ec;
  acceptor_.assign(stream_protocol(), listening_fd, ec);
  if (ec) return Status::Io("cannot use the socket systemd passed: " + ec.message());
  return Status::Ok();
}

void ControlServer::Start() { asio::co_spawn(io_, AcceptLoop(), asio::detached); }

awaitable<void> ControlServer::AcceptLoop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    stream_protocol::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      co_await BackOff(ec);
      continue;
    }
    // Who it is decides whether it is served: the kernel's word (SO_PEERCRED), read at once.
    auto identity = ReadPeerIdentity(socket.native_handle());
    if (!identity.ok()) {
      spdlog::warn("dropping a connection: {}", identity.status().message());
      continue;
    }
    const bool admin = fleet_.IsAdmin(*identity);
    if (std::string why = Admission(*identity, admin); !why.empty()) {
      Refuse(std::move(socket), why);
      continue;
    }
    ++sessions_by_uid_[identity->uid];
    auto session = std::make_shared<ControlSession>(*this, std::move(socket), *identity);
    sessions_.insert(session);
    asio::co_spawn(io_, session->Run(), asio::detached);
  }
}

awaitable<void> ControlServer::BackOff(const boost::system::error_code& ec) {
  // Out of descriptors (EMFILE, ENFILE) or memory: accepting again at once would spin. The
  // client stays in the listen backlog until a connection closes.
  auto now = std::chrono::steady_clock::now();
  if (now - last_backoff_log_ > std::chrono::seconds(10)) {
    last_backoff_log_ = now;
    spdlog::warn("accept failed: {}; pausing new connections briefly ({} open)", ec.message(),
                 sessions_.size());
  }
  asio::steady_timer pause(io_, std::chrono::milliseconds(100));
  boost::system::error_code ignored;
  co_await pause.async_wait(asio::redirect_error(use_awaitable, ignored));
}

std::string ControlServer::Admission(const PeerIdentity& peer, bool admin) const {
  const size_t open = sessions_.size();
  if (open >= limits_.max_connections) {
    return "migrationd serves at most " + std::to_string(limits_.max_connections) +
           " connections at once (max_connections); try again in a moment";
  }
  if (admin) return "";
  // The reserve never exceeds the cap: one connection stays open to everyone.
  const size_t reserve = std::min(limits_.admin_reserve, limits_.max_connections - 1);
  if (open >= limits_.max_connections - reserve) {
    return "migrationd keeps its last " + std::to_string(reserve) + " of " +
           std::to_string(limits_.max_connections) +
           " connections (max_connections) for admins, and the others are in use; try again "
           "in a moment";
  }
  auto mine = sessions_by_uid_.find(peer.uid);
  if (mine != sessions_by_uid_.end() && mine->second >= limits_.max_per_user) {
    return peer.user_name + " already has " + std::to_string(mine->second) +
           " connections open, the most one user who is not an admin may "
           "(max_connections_per_user); close some, or try again in a moment";
  }
  return "";
}

void ControlServer::Refuse(stream_protocol::socket socket, const std::string& why) {
  // Small enough for an empty socket buffer: sent without waiting, then closed.
  proto::ServerMessage message;
  message.mutable_result()->set_code(proto::BUSY);
  message.mutable_result()->set_message(why);
  std::string frame = EncodeFrame(message);
  (void)::send(socket.native_handle(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  auto now = std::chrono::steady_clock::now();
  if (now - last_backoff_log_ > std::chrono::seconds(10)) {
    last_backoff_log_ = now;
    spdlog::warn("refusing connections: {}", why);
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

void ControlServer::Forget(ControlSession* session) {
  // Deferred: the session may be in the middle of its own call stack.
  asio::post(io_, [this, session] {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->get() == session) {
        const uid_t uid = session->peer().uid;
        if (--sessions_by_uid_[uid] == 0) sessions_by_uid_.erase(uid);
        sessions_.erase(it);
        return;
      }
    }
  });
}

void ControlServer::StopAccepting() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (!path_.empty()) unlink(path_.c_str());
}

void ControlServer::CloseSessions() {
  auto sessions = sessions_;
  for (const auto& session : sessions) session->CloseWhenFlushed();
}

}  // namespace migrationd

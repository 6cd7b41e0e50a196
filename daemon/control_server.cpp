#include "daemon/control_server.h"

#include <grp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>

#include "proto/frame.h"

namespace migrationd {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using stream_protocol = asio::local::stream_protocol;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

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
class ControlSession : public Responder, public std::enable_shared_from_this<ControlSession> {
 public:
  ControlSession(ControlServer& server, stream_protocol::socket socket)
      : server_(server), socket_(std::move(socket)), handshake_timer_(socket_.get_executor()) {}

  awaitable<void> Run() {
    auto self = shared_from_this();
    auto identity = ReadPeerIdentity(socket_.native_handle());
    if (!identity.ok()) {
      spdlog::warn("dropping a connection: {}", identity.status().message());
      co_return Close();
    }
    peer_ = *identity;
    handshake_timer_.expires_after(kHandshakeTimeout);
    handshake_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto session = weak.lock(); session && !ec && !session->greeted_) {
        spdlog::warn("closing a connection from {}: no handshake within {} s",
                     session->peer_.Describe(), kHandshakeTimeout.count());
        session->Close();
      }
    });
    proto::ClientMessage message;
    while (co_await ReadMessage(message)) {
      if (!greeted_) {
        if (!Greet(message)) break;
        continue;
      }
      if (!message.has_request()) {
        ProtocolError(0, "expected a request after the handshake");
        break;
      }
      server_.service_.Handle(message.request(), peer_, self);
    }
    handshake_timer_.cancel();
    closing_ = true;
    if (writes_.empty()) Close();
  }

  // Responder: called from any thread.
  void SendEvent(proto::Event event) override {
    proto::ServerMessage message;
    *message.mutable_event() = std::move(event);
    Post(EncodeFrame(message));
  }
  void SendResult(proto::Result result) override {
    proto::ServerMessage message;
    *message.mutable_result() = std::move(result);
    Post(EncodeFrame(message));
  }

  // Closes once pending writes are flushed.
  void CloseWhenFlushed() {
    closing_ = true;
    if (writes_.empty()) Close();
  }

 private:
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
    std::string payload(length, '\0');
    co_await asio::async_read(socket_, asio::buffer(payload),
                              asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;  // truncated frame
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
    handshake_timer_.cancel();
    proto::ServerMessage reply;
    reply.mutable_hello()->set_protocol_version(kProtocolVersion);
    reply.mutable_hello()->set_software(std::string("migrationd ") + kMigrationdVersion);
    Enqueue(EncodeFrame(reply));
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
    Enqueue(EncodeFrame(message));
  }

  void Post(std::string frame) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), frame = std::move(frame)]() mutable {
                 self->Enqueue(std::move(frame));
               });
  }

  // On the io thread: frames go out in order, one async_write at a time.
  void Enqueue(std::string frame) {
    if (closed_) return;
    writes_.push_back(std::move(frame));
    if (writes_.size() == 1) WriteNext();
  }

  void WriteNext() {
    asio::async_write(socket_, asio::buffer(writes_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->writes_.pop_front();
                        if (!self->writes_.empty()) {
                          self->WriteNext();
                        } else if (self->closing_) {
                          self->Close();
                        }
                      });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    writes_.clear();
    boost::system::error_code ignored;
    handshake_timer_.cancel();
    socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket_.close(ignored);
    server_.Forget(this);
  }

  ControlServer& server_;
  stream_protocol::socket socket_;
  asio::steady_timer handshake_timer_;
  PeerIdentity peer_;
  std::deque<std::string> writes_;
  bool greeted_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

ControlServer::ControlServer(asio::io_context& io, Service& service)
    : io_(io), service_(service), acceptor_(io) {}

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
    struct group* entry = getgrnam(group_name.c_str());
    if (entry == nullptr)
      return Status::InvalidArgument("socket group '" + group_name + "' does not exist");
    if (chown(path.c_str(), static_cast<uid_t>(-1), entry->gr_gid) != 0) {
      return Status::Io("cannot chgrp " + path + ": " + std::strerror(errno));
    }
  }
  if (chmod(path.c_str(), mode) != 0) {
    return Status::Io("cannot chmod " + path + ": " + std::strerror(errno));
  }
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
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    auto session = std::make_shared<ControlSession>(*this, std::move(socket));
    sessions_.insert(session);
    asio::co_spawn(io_, session->Run(), asio::detached);
  }
}

void ControlServer::Forget(ControlSession* session) {
  // Deferred: the session may be in the middle of its own call stack.
  asio::post(io_, [this, session] {
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->get() == session) {
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

#include "client/control_client.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/base/accounts.h"
#include "proto/frame.h"

namespace migrationd {
namespace {

Status WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable(std::string("lost the daemon: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status ReadAll(int fd, char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = recv(fd, data + done, size - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return Status::Unavailable("the daemon closed the connection");
    if (n < 0) return Status::Unavailable(std::string("lost the daemon: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

namespace {

std::string Describe(const struct stat& info) {
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", info.st_mode & 07777);
  const auto owner = LookUpUser(info.st_uid);
  const auto group = LookUpGroupName(info.st_gid);
  return std::string("mode ") + mode + ", owner " +
         (owner ? owner->name : std::to_string(info.st_uid)) + ", group " +
         group.value_or(std::to_string(info.st_gid));
}

// Who may use the socket, for a user who may not: that is a permission problem, not a daemon
// that is down.
Status NotAllowed(const std::string& socket_path) {
  struct stat info {};
  std::string detail;
  if (stat(socket_path.c_str(), &info) == 0) {
    detail = socket_path + " has " + Describe(info);
  }
  std::string directory = std::filesystem::path(socket_path).parent_path().string();
  struct stat dir_info {};
  if (!directory.empty() && stat(directory.c_str(), &dir_info) == 0 &&
      access(directory.c_str(), X_OK) != 0) {
    detail += (detail.empty() ? "" : "; ") + directory + " has " + Describe(dir_info);
  }
  return Status::PermissionDenied(
      "you may not connect to migrationd on " + socket_path + " (" + detail +
      "): the daemon's group (socket_group) or root may; ask an administrator to add you to it");
}

}  // namespace

Result<ControlClient> ControlClient::Connect(const std::string& socket_path) {
  sockaddr_un address{};
  if (socket_path.size() >= sizeof(address.sun_path)) {
    return Status::InvalidArgument("socket path '" + socket_path + "' is too long");
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  ControlClient client(fd);
  client.socket_path_ = socket_path;
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno == EACCES || errno == EPERM) return NotAllowed(socket_path);
    return Status::Unavailable("cannot reach migrationd on " + socket_path + ": " +
                               std::strerror(errno) +
                               "; is the daemon running? (--socket or MIGCTL_SOCKET)");
  }
  proto::ClientMessage hello;
  hello.mutable_hello()->set_protocol_version(kProtocolVersion);
  hello.mutable_hello()->set_software("migctl");
  // A daemon at its connection cap answers and closes at once, maybe before the hello arrives:
  // its answer is still worth reading when the send failed.
  Status sent = client.Send(hello);
  auto reply = client.Receive();
  if (!reply.ok()) return sent.ok() ? reply.status() : sent;
  if (reply->has_result()) {
    if (reply->result().code() == proto::BUSY) {
      return Status::Busy(reply->result().message());  // too many connections: try again
    }
    return Status::Unavailable("the daemon refused the handshake: " + reply->result().message());
  }
  if (!reply->has_hello()) return Status::Unavailable("the daemon did not answer the handshake");
  client.daemon_software_ = reply->hello().software();
  return client;
}

Result<ControlClient> ControlClient::ConnectWithin(const std::string& socket_path,
                                                   std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::chrono::milliseconds pause{10};
  for (;;) {
    auto client = Connect(socket_path);
    if (client.ok() || client.status().code() != ErrorCode::kBusy ||
        std::chrono::steady_clock::now() + pause > deadline) {
      return client;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(other.fd_),
      socket_path_(std::move(other.socket_path_)),
      daemon_software_(std::move(other.daemon_software_)) {
  other.fd_ = -1;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) close(fd_);
}

Status ControlClient::Send(const proto::ClientMessage& message) {
  return WriteAll(fd_, EncodeFrame(message));
}

Result<proto::ServerMessage> ControlClient::Receive() {
  std::array<uint8_t, kFrameHeaderBytes> header{};
  MIGRATIOND_RETURN_IF_ERROR(ReadAll(fd_, reinterpret_cast<char*>(header.data()), header.size()));
  uint32_t length = DecodeFrameLength(header);
  if (length > kMaxFrameBytes) {
    return Status::Unavailable("the daemon sent a frame of " + std::to_string(length) + " bytes");
  }
  std::string payload(length, '\0');
  MIGRATIOND_RETURN_IF_ERROR(ReadAll(fd_, payload.data(), payload.size()));
  proto::ServerMessage message;
  if (!message.ParseFromString(payload))
    return Status::Unavailable("unparsable frame from the daemon");
  return message;
}

Result<proto::ServerMessage> ControlClient::ReceiveWhole() {
  auto first = Receive();
  if (!first.ok() || !first->has_chunk()) return first;
  std::string bytes = first->chunk().data();
  for (bool last = first->chunk().last(); !last;) {
    auto next = Receive();
    if (!next.ok()) return next.status();
    if (!next->has_chunk()) return Status::Unavailable("the daemon broke off a chunked reply");
    bytes += next->chunk().data();
    if (bytes.size() > kMaxChunkedMessageBytes) {
      return Status::Unavailable("the daemon's reply exceeds " +
                                 std::to_string(kMaxChunkedMessageBytes >> 20) + " MiB");
    }
    last = next->chunk().last();
  }
  proto::ServerMessage message;
  if (!message.ParseFromString(bytes)) {
    return Status::Unavailable("unparsable chunked reply from the daemon");
  }
  return message;
}

Result<proto::Result> ControlClient::Call(
    const proto::Request& request, const std::function<void(const proto::Event&)>& on_event) {
  proto::ClientMessage message;
  *message.mutable_request() = request;
  MIGRATIOND_RETURN_IF_ERROR(Send(message));
  while (true) {
    auto reply = ReceiveWhole();
    if (!reply.ok()) return reply.status();
    if (reply->has_event()) {
      if (on_event) on_event(reply->event());
      continue;
    }
    if (reply->has_result() && (reply->result().request_id() == request.request_id() ||
                                reply->result().code() == proto::PROTOCOL_ERROR)) {
      return reply->result();
    }
  }
}

}  // namespace migrationd

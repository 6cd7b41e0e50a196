// Bytes from a client, as the daemon's session reads them: frames (length, limit), ClientMessage
// parsing, the checks every request passes, then a reply that echoes the request, cut into
// chunks when large and reassembled as migctl does. Nothing may crash, the reassembled reply
// must equal the one sent, and a reply carrying any bytes as text must decode.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/server/request_checks.h"
#include "proto/frame.h"

namespace {

void CheckReplyRoundTrip(const migrationd::proto::Request& request) {
  migrationd::proto::ServerMessage reply;
  reply.mutable_result()->set_request_id(request.request_id());
  reply.mutable_result()->set_message(request.target() + request.label() + request.range());
  // Some inputs make a reply of several frames.
  for (uint32_t i = 0; i < request.limit() % 4096; ++i) {
    reply.mutable_result()->add_current(request.target());
  }
  std::string bytes;
  bool chunked = false;
  for (const std::string& frame : migrationd::EncodeServerFrames(reply)) {
    if (frame.size() > migrationd::kFrameHeaderBytes + migrationd::kMaxFrameBytes) {
      __builtin_trap();  // the limit holds in both directions
    }
    migrationd::proto::ServerMessage piece;
    if (!piece.ParseFromString(frame.substr(migrationd::kFrameHeaderBytes))) __builtin_trap();
    if (piece.has_chunk()) {
      chunked = true;
      bytes += piece.chunk().data();
    }
  }
  if (chunked) {
    migrationd::proto::ServerMessage whole;
    if (!whole.ParseFromString(bytes) || whole.SerializeAsString() != reply.SerializeAsString()) {
      __builtin_trap();
    }
  }
}

// Text the daemon did not choose (file names, database rows, server errors) may be any bytes:
// every frame it sends must still parse, as migctl parses it (protobuf refuses a message whose
// string field is not UTF-8).
void CheckAnyTextMakesReadableFrames(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  migrationd::proto::ServerMessage reply;
  reply.mutable_result()->set_message(text);
  reply.mutable_result()->add_current(text.substr(0, size / 2));
  reply.mutable_result()->add_revisions()->set_revision(text.substr(size / 2));
  for (const std::string& frame : migrationd::EncodeServerFrames(reply)) {
    migrationd::proto::ServerMessage piece;
    if (!piece.ParseFromString(frame.substr(migrationd::kFrameHeaderBytes))) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckAnyTextMakesReadableFrames(data, size);
  size_t offset = 0;
  while (offset + migrationd::kFrameHeaderBytes <= size) {
    std::array<uint8_t, migrationd::kFrameHeaderBytes> header{};
    for (size_t i = 0; i < header.size(); ++i) header[i] = data[offset + i];
    offset += header.size();
    uint32_t length = migrationd::DecodeFrameLength(header);
    if (length > migrationd::kMaxFrameBytes || length > size - offset) return 0;
    migrationd::proto::ClientMessage message;
    bool parsed = message.ParseFromArray(data + offset, static_cast<int>(length));
    offset += length;
    if (!parsed) return 0;
    if (message.has_request()) {
      migrationd::Status valid = migrationd::ValidateRequest(message.request());
      if (valid.ok()) CheckReplyRoundTrip(message.request());
      (void)migrationd::ToJsonLine(message);
    }
  }
  return 0;
}

// Framing of the control protocol: a 4-byte big-endian length, then one protobuf message.
//
// Pure functions over bytes, shared by migrationd (Asio) and migctl (blocking sockets).
#pragma once

#include <google/protobuf/message.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "migrationd.pb.h"

namespace migrationd {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxFrameBytes = 1 << 20;  // 1 MiB, the payload after the header
inline constexpr size_t kFrameHeaderBytes = 4;

// The largest ServerMessage a client reassembles from chunks: a bound on its memory.
inline constexpr size_t kMaxChunkedMessageBytes = size_t{256} << 20;

// The header and payload of `message`, ready to write. A string field that is not UTF-8 (text
// from a file name, a database, a server's error) goes out with its bad bytes as `\xNN`, so
// that the receiver can always parse the frame.
std::string EncodeFrame(const google::protobuf::Message& message);
// `message` as frames no larger than the limit: one frame, or several Chunk frames.
std::vector<std::string> EncodeServerFrames(const proto::ServerMessage& message);
uint32_t DecodeFrameLength(const std::array<uint8_t, kFrameHeaderBytes>& header);

// The proto3 JSON of `message` on one line, with the .proto field names (migctl --json).
std::string ToJsonLine(const google::protobuf::Message& message);

}  // namespace migrationd

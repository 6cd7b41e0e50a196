#include "proto/frame.h"

#include <google/protobuf/util/json_util.h>

namespace migrationd {

std::string EncodeFrame(const google::protobuf::Message& message) {
  std::string payload = message.SerializeAsString();
  const auto size = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame += payload;
  return frame;
}

std::vector<std::string> EncodeServerFrames(const proto::ServerMessage& message) {
  if (message.ByteSizeLong() <= kMaxFrameBytes) return {EncodeFrame(message)};
  // Room for the chunk's own field tags and lengths inside the frame limit.
  constexpr size_t kChunkData = kMaxFrameBytes - 64;
  const std::string bytes = message.SerializeAsString();
  std::vector<std::string> frames;
  for (size_t offset = 0; offset < bytes.size(); offset += kChunkData) {
    proto::ServerMessage piece;
    piece.mutable_chunk()->set_data(bytes.substr(offset, kChunkData));
    piece.mutable_chunk()->set_last(offset + kChunkData >= bytes.size());
    frames.push_back(EncodeFrame(piece));
  }
  return frames;
}

uint32_t DecodeFrameLength(const std::array<uint8_t, kFrameHeaderBytes>& header) {
  return (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) |
         uint32_t{header[3]};
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = false;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace migrationd

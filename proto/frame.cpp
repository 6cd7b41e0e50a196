#include "proto/frame.h"

#include <google/protobuf/util/json_util.h>

#include <memory>
#include <type_traits>
#include <vector>

#include "core/base/utf8.h"

namespace migrationd {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Calls `visit(message, field, index)` for each string field (index -1: not repeated), nested
// messages included; bytes fields are not text and are left alone.
template <typename MessageT, typename Visit>
void ForEachString(MessageT& message, const Visit& visit) {
  const auto* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const int index = field->is_repeated() ? i : -1;
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        visit(message, field, index);
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if constexpr (std::is_const_v<MessageT>) {
          ForEachString(index < 0 ? reflection->GetMessage(message, field)
                                  : reflection->GetRepeatedMessage(message, field, index),
                        visit);
        } else {
          ForEachString(index < 0 ? *reflection->MutableMessage(&message, field)
                                  : *reflection->MutableRepeatedMessage(&message, field, index),
                        visit);
        }
      }
    }
  }
}

std::string StringAt(const Message& message, const FieldDescriptor* field, int index) {
  const auto* reflection = message.GetReflection();
  return index < 0 ? reflection->GetString(message, field)
                   : reflection->GetRepeatedString(message, field, index);
}

bool AllStringsUtf8(const Message& message) {
  bool valid = true;
  ForEachString(message, [&](const Message& m, const FieldDescriptor* field, int index) {
    valid = valid && IsValidUtf8(StringAt(m, field, index));
  });
  return valid;
}

void EscapeStrings(Message& message) {
  ForEachString(message, [](Message& m, const FieldDescriptor* field, int index) {
    const std::string text = StringAt(m, field, index);
    if (IsValidUtf8(text)) return;
    if (index < 0) {
      m.GetReflection()->SetString(&m, field, EscapeInvalidUtf8(text));
    } else {
      m.GetReflection()->SetRepeatedString(&m, field, index, EscapeInvalidUtf8(text));
    }
  });
}

// `message`, or a copy of it whose strings are UTF-8 (invalid bytes as `\xNN`) when some are
// not: the receiver's parser refuses a whole message for one such field, so text that comes
// from files, file names, the database or the server must never make a frame unreadable.
template <typename MessageT>
const MessageT& Utf8Form(const MessageT& message, std::unique_ptr<MessageT>& copy) {
  if (AllStringsUtf8(message)) return message;
  copy.reset(message.New());
  copy->CopyFrom(message);
  EscapeStrings(*copy);
  return *copy;
}

}  // namespace

std::string EncodeFrame(const google::protobuf::Message& original) {
  std::unique_ptr<google::protobuf::Message> copy;
  const google::protobuf::Message& message = Utf8Form(original, copy);
  std::string payload = message.SerializeAsString();
  const auto size = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
  frame += payload;
  return frame;
}

std::vector<std::string> EncodeServerFrames(const proto::ServerMessage& original) {
  std::unique_ptr<proto::ServerMessage> copy;
  const proto::ServerMessage& message = Utf8Form(original, copy);
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

// UTF-8 checks for text that crosses into the protocol (protobuf `string` fields must be UTF-8,
// or the receiver refuses the whole message) or into the engines (which read C strings).
//
// Well-formed means RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, the
// same rule protobuf's parser applies. Header-only, so that the protocol library, the client
// and the fuzz targets share it without another link dependency.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace migrationd {

// The length of the well-formed UTF-8 sequence that starts at `text[at]`, or 0 if none does.
inline size_t Utf8SequenceLength(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const size_t left = text.size() - at;
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  const auto continuation = [&](size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i < left && byte(i) >= low && byte(i) <= high;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong form
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;  // no surrogate
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;   // no overlong form
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

// The offset of the first byte that does not start a well-formed sequence, or npos.
inline size_t FindInvalidUtf8(std::string_view text) {
  for (size_t at = 0; at < text.size();) {
    const size_t length = Utf8SequenceLength(text, at);
    if (length == 0) return at;
    at += length;
  }
  return std::string_view::npos;
}

inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}

// `text` with each byte that is not part of a well-formed sequence written as the four
// characters `\xNN`: the bytes stay readable (and tell what they were) in a UTF-8 field.
inline std::string EscapeInvalidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const size_t length = Utf8SequenceLength(text, at);
    if (length == 0) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", static_cast<unsigned char>(text[at]));
      out += escaped;
      ++at;
      continue;
    }
    out.append(text.substr(at, length));
    at += length;
  }
  return out;
}

}  // namespace migrationd

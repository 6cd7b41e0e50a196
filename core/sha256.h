// SHA-256 (FIPS 180-4), used for script checksums and backup digests.
//
// Self-contained so that the core needs no crypto library. Sha256 is an incremental hasher;
// one instance is not thread-safe, separate instances are independent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace migrationd {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // Finishes the hash and returns it as 64 lower-case hex digits. Call once.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace migrationd

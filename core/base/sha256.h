// SHA-256, used for script checksums, schema fingerprints and backup digests: OpenSSL's EVP
// implementation (libcrypto, hardware-accelerated where the CPU has SHA or AVX2 extensions)
// behind a small incremental interface. One instance is not thread-safe; separate instances are
// independent.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace migrationd {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Finishes the hash and returns it as 64 lower-case hex digits. Call once.
  std::string HexDigest();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> context_;
};

// The hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace migrationd

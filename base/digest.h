// SHA-256 content digests in OCI form ("sha256:<64 lowercase hex>").
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cairn {

// Streaming SHA-256. Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Returns "sha256:<hex>". The hasher must not be used afterwards.
  std::string Finish();

 private:
  EVP_MD_CTX* ctx_;
};

// "sha256:<hex>" of a byte string.
std::string DigestOf(std::string_view bytes);
// "sha256:<hex>" of a file's contents, streamed. Throws Error if unreadable.
std::string DigestOfFile(const std::string& path);

// True if s is "sha256:" followed by exactly 64 lowercase hex digits.
bool IsValidDigest(std::string_view s);
// The hex part of a valid digest. Throws Error naming the digest if it is not valid.
std::string DigestHex(std::string_view digest);
// The first 12 hex digits, as docker shows image IDs.
std::string ShortId(std::string_view digest);

}  // namespace cairn

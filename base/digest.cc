#include "base/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/error.h"
#include "base/fs.h"

namespace cairn {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) throw Error("sha256: cannot initialise OpenSSL digest");
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, md, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; i++) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string DigestOf(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return h.Finish();
}

std::string DigestOfFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path);
  Sha256 h;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SysError("read", path);
    }
    if (n == 0) break;
    h.Update(buf, static_cast<size_t>(n));
  }
  return h.Finish();
}

bool IsValidDigest(std::string_view s) {
  if (s.size() != 7 + 64 || s.substr(0, 7) != "sha256:") return false;
  for (char c : s.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string DigestHex(std::string_view digest) {
  if (!IsValidDigest(digest)) throw Error("invalid digest \"" + std::string(digest) + "\" (want sha256:<64 hex digits>)");
  return std::string(digest.substr(7));
}

std::string ShortId(std::string_view digest) {
  auto hex = digest.substr(digest.find(':') == std::string_view::npos ? 0 : digest.find(':') + 1);
  return std::string(hex.substr(0, 12));
}

}  // namespace cairn

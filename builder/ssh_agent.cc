#include "builder/ssh_agent.h"

#include <cstdint>

namespace cairn::builder {

namespace {

constexpr unsigned char kFailure = 5, kRequestIdentities = 11, kIdentitiesAnswer = 12, kSignRequest = 13,
                        kSignResponse = 14;
constexpr size_t kMaxMessage = 256 * 1024;  // OpenSSH's agent refuses longer messages too

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}
bool GetU32(std::string_view& in, uint32_t& v) {
  if (in.size() < 4) return false;
  v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  in.remove_prefix(4);
  return true;
}
bool GetString(std::string_view& in, std::string& s) {
  uint32_t n = 0;
  if (!GetU32(in, n) || in.size() < n) return false;
  s.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

}  // namespace

std::string AnswerAgentRequest(const SshKeyring& keys, std::string_view request) {
  std::string failure(1, static_cast<char>(kFailure));
  if (request.empty()) return failure;
  unsigned char type = static_cast<unsigned char>(request[0]);
  std::string_view body = request.substr(1);
  if (type == kRequestIdentities) {
    auto ids = keys.Identities();
    std::string out(1, static_cast<char>(kIdentitiesAnswer));
    PutU32(out, static_cast<uint32_t>(ids.size()));
    for (auto& id : ids) {
      PutString(out, id.blob);
      PutString(out, id.comment);
    }
    return out;
  }
  if (type == kSignRequest) {
    std::string blob, data;
    uint32_t flags = 0;
    if (!GetString(body, blob) || !GetString(body, data) || !GetU32(body, flags)) return failure;
    auto sig = keys.Sign(blob, data, flags);
    if (!sig) return failure;
    std::string out(1, static_cast<char>(kSignResponse));
    PutString(out, *sig);
    return out;
  }
  return failure;
}

bool ServeAgentBytes(const SshKeyring& keys, std::string& buffer, std::string& out) {
  for (;;) {
    std::string_view view(buffer);
    uint32_t len = 0;
    if (!GetU32(view, len)) return true;
    if (len > kMaxMessage) return false;
    if (view.size() < len) return true;
    PutString(out, AnswerAgentRequest(keys, view.substr(0, len)));
    buffer.erase(0, 4 + static_cast<size_t>(len));
  }
}

}  // namespace cairn::builder

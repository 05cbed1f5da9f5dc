#include "cli/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>
#include <vector>

#include "base/base64.h"

namespace cairn::cli {

namespace {

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// "|1|salt|hash": hash = HMAC-SHA1(salt, name), both base64 (ssh's HashKnownHosts).
bool HashedNameMatches(const std::string& pattern, const std::string& name) {
  auto parts = Split(pattern, '|');  // "", "1", salt, hash
  if (parts.size() != 4 || parts[1] != "1") return false;
  std::string salt = Base64Decode(parts[2]), want = Base64Decode(parts[3]);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()), reinterpret_cast<const unsigned char*>(name.data()),
       name.size(), mac, &len);
  return want == std::string(reinterpret_cast<char*>(mac), len);
}

// ssh's patterns: '*' any run, '?' one character, nothing else special ("[host]:port" is literal).
bool Glob(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (*p == '*') return Glob(p + 1, s) || (*s != '\0' && Glob(p, s + 1));
  if (*s == '\0') return false;
  return (*p == '?' || *p == *s) && Glob(p + 1, s + 1);
}

// A comma-separated host pattern list: a match unless a negated (!) pattern also matches.
bool HostsMatch(const std::string& patterns, const std::string& name) {
  if (patterns.rfind("|1|", 0) == 0) return HashedNameMatches(patterns, name);
  bool matched = false;
  for (auto& p : Split(patterns, ',')) {
    bool negated = !p.empty() && p[0] == '!';
    std::string glob = negated ? p.substr(1) : p;
    if (!Glob(glob.c_str(), name.c_str())) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

}  // namespace

std::string KnownHostName(const std::string& host, int port) {
  return port == 22 ? host : "[" + host + "]:" + std::to_string(port);
}

HostKeyVerdict CheckKnownHost(const std::string& known_hosts_text, const std::string& host, int port,
                              const std::string& key_blob) {
  std::string name = KnownHostName(host, port);
  HostKeyVerdict verdict = HostKeyVerdict::kUnknown;
  std::istringstream lines(known_hosts_text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string hosts, type, key;
    fields >> hosts;
    if (hosts.empty() || hosts[0] == '#') continue;
    bool revoked = hosts == "@revoked";
    if (hosts[0] == '@') {
      if (!revoked) continue;  // @cert-authority: cairn checks plain keys only
      fields >> hosts;
    }
    fields >> type >> key;
    if (key.empty() || !HostsMatch(hosts, name)) continue;
    bool same = false;
    try {
      same = Base64Decode(key) == key_blob;
    } catch (const std::exception&) {  // a malformed line names no key: as ssh, skip it
      continue;
    }
    if (revoked && same) return HostKeyVerdict::kChanged;
    if (same) verdict = HostKeyVerdict::kKnown;
    else if (verdict == HostKeyVerdict::kUnknown && !revoked) verdict = HostKeyVerdict::kChanged;
  }
  return verdict;
}

}  // namespace cairn::cli

// certs.d lookup.
#include "store/registry/tls.h"

#include <cstdlib>
#include <vector>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::store::registry {
namespace {

// Debian's bundle (ca-certificates): the certs.d roots are added to it, as docker adds them to
// the system pool, so a registry's token service on a public CA still verifies.
constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

std::vector<std::string> CertsRoots() {
  if (const char* hook = std::getenv("CAIRN_CERTS_D"); hook && *hook) return {hook};
  return {"/etc/docker/certs.d", "/etc/containers/certs.d"};
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string CertsDirFor(const std::string& host_port) {
  // A name with "/" or ".." would leave the certs.d root.
  if (host_port.empty() || host_port.find('/') != std::string::npos || host_port == "." || host_port == "..") return "";
  for (auto& root : CertsRoots()) {
    std::string dir = JoinPath(root, host_port);
    if (IsDirectory(dir)) return dir;
  }
  return "";
}

TlsFiles RegistryTls(const std::string& host_port) {
  TlsFiles tls;
  std::string dir = CertsDirFor(host_port);
  if (dir.empty()) return tls;
  std::vector<std::string> names = ListDir(dir);  // sorted: the same files win every time
  std::string roots;
  for (auto& name : names)
    if (EndsWith(name, ".crt")) roots += ReadFile(JoinPath(dir, name)) + "\n";
  if (!roots.empty()) tls.ca_pem = (PathExists(kSystemBundle) ? ReadFile(kSystemBundle) + "\n" : "") + roots;
  for (auto& name : names) {
    if (!EndsWith(name, ".cert")) continue;
    std::string key = JoinPath(dir, name.substr(0, name.size() - 5) + ".key");
    if (!PathExists(key))
      throw Error("client certificate " + JoinPath(dir, name) + " has no key: expected " + key);
    tls.client_cert = JoinPath(dir, name);
    tls.client_key = key;
    break;
  }
  return tls;
}

}  // namespace cairn::store::registry

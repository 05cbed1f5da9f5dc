#include "runtime/resource_limits.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <cctype>
#include <map>

#include "base/error.h"

namespace cairn::runtime {

namespace {

const std::map<std::string, int>& Names() {
  static const std::map<std::string, int> names = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}};
  return names;
}

// A decimal count, or -1 for unlimited; false when it is neither.
bool ParseLimit(const std::string& s, uint64_t* out) {
  if (s == "-1") {
    *out = RLIM_INFINITY;
    return true;
  }
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  *out = std::stoull(s);
  return true;
}

std::string Show(uint64_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

}  // namespace

ResourceLimit ParseUlimit(const std::string& text) {
  std::string flag = "--ulimit " + text;
  auto eq = text.find('=');
  if (eq == std::string::npos) throw Error(flag + ": want NAME=SOFT[:HARD], e.g. nofile=1024:4096");
  ResourceLimit lim;
  lim.name = text.substr(0, eq);
  auto it = Names().find(lim.name);
  if (it == Names().end()) {
    std::string names;
    for (auto& [n, r] : Names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(flag + ": unknown limit \"" + lim.name + "\" (use one of " + names + ")");
  }
  lim.resource = it->second;
  std::string values = text.substr(eq + 1);
  auto colon = values.find(':');
  std::string soft = values.substr(0, colon), hard = colon == std::string::npos ? soft : values.substr(colon + 1);
  if (!ParseLimit(soft, &lim.soft) || !ParseLimit(hard, &lim.hard))
    throw Error(flag + ": want NAME=SOFT[:HARD] with counts or -1 (unlimited), e.g. nofile=1024:4096");
  if (lim.soft > lim.hard)
    throw Error(flag + ": the soft limit " + Show(lim.soft) + " is above the hard limit " + Show(lim.hard));
  rlimit own{};
  if (::getrlimit(lim.resource, &own) != 0) throw SysError("getrlimit", lim.name);
  if (lim.hard > own.rlim_max)
    throw Error(flag + ": the hard limit " + Show(lim.hard) + " is above cairn's own (" + Show(own.rlim_max) +
                "); a build cannot raise it: lower it, or raise cairn's (ulimit -H" +
                (lim.name == "nofile" ? "n" : "") + ") before the build");
  return lim;
}

std::string ParseAddHost(const std::string& text) {
  auto colon = text.find(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  std::string ip = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  unsigned char buf[16];
  if (host.empty() || ip.empty() || (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1))
    throw Error("--add-host " + text + ": want HOST:IP, e.g. registry.local:10.0.0.5");
  return ip + "\t" + host;
}

std::string AddHostName(const std::string& text) { return text.substr(0, text.find(':')); }

uint64_t ParseShmSize(const std::string& text) {
  std::string flag = "--shm-size " + text;
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b' && unit.size() == 2) unit.pop_back();  // "64mb"
  static const std::map<std::string, uint64_t> units = {{"", 1}, {"b", 1}, {"k", 1ull << 10}, {"m", 1ull << 20}, {"g", 1ull << 30}};
  auto u = units.find(unit);
  if (digits == 0 || digits > 12 || u == units.end() || std::stoull(text.substr(0, digits)) == 0)
    throw Error(flag + ": want a positive size such as 64m, 1g or a count of bytes");
  return std::stoull(text.substr(0, digits)) * u->second;
}

}  // namespace cairn::runtime

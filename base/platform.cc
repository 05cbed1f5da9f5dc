// Platform parsing and normalisation: the rules are containerd's (platforms/database.go), so a
// platform means the same here as in docker, buildx and podman.
#include "base/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "base/error.h"

namespace cairn {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> SplitOn(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::string KnownList() {
  std::string all;
  for (auto& p : KnownPlatforms()) all += (all.empty() ? "" : ", ") + p;
  return all;
}

}  // namespace

Platform NormalizePlatform(const Platform& in) {
  Platform p{Lower(in.os), Lower(in.architecture), Lower(in.variant)};
  const std::string& a = p.architecture;
  if (a == "x86_64" || a == "x86-64") p.architecture = "amd64";
  if (a == "i386" || a == "i686") p.architecture = "386";
  if (a == "aarch64") p.architecture = "arm64";
  if (a == "armhf") p = {p.os, "arm", "v7"};
  if (a == "armel") p = {p.os, "arm", "v6"};
  // The default variants are dropped or filled in so that one machine has one spelling.
  if (p.architecture == "amd64" && p.variant == "v1") p.variant.clear();
  if (p.architecture == "arm64" && (p.variant == "v8" || p.variant == "8")) p.variant.clear();
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  if (p.architecture == "arm" && p.variant.size() == 1 && std::isdigit(static_cast<unsigned char>(p.variant[0])))
    p.variant = "v" + p.variant;
  return p;
}

Platform ParsePlatform(const std::string& text) {
  std::vector<std::string> parts = SplitOn(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto& s) { return s.empty(); }))
    throw Error("platform \"" + text + "\": want OS/ARCH[/VARIANT], e.g. linux/arm64 (cairn builds " + KnownList() + ")");
  Platform p = NormalizePlatform({parts[0], parts[1], parts.size() == 3 ? parts[2] : ""});
  const auto& known = KnownPlatforms();
  if (std::find(known.begin(), known.end(), ToString(p)) == known.end())
    throw Error("platform \"" + text + "\" is unknown" +
                (p.os != "linux" ? " (cairn builds Linux images only)" : "") + "; cairn builds " + KnownList());
  return p;
}

std::string ToString(const Platform& p) {
  return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

Platform HostPlatform() {
  struct utsname u {};
  ::uname(&u);
  return NormalizePlatform({"linux", u.machine, ""});
}

const std::vector<std::string>& KnownPlatforms() {
  static const std::vector<std::string> known = {"linux/amd64", "linux/arm64",  "linux/arm/v7", "linux/arm/v6",
                                                 "linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/386"};
  return known;
}

std::vector<Platform> ParsePlatformList(const std::string& text) {
  std::vector<Platform> out;
  std::set<std::string> seen;
  for (const std::string& item : SplitOn(text, ',')) {
    Platform p = ParsePlatform(item);
    if (!seen.insert(ToString(p)).second)
      throw Error("--platform " + text + ": " + ToString(p) + " is named twice (each platform is built once)");
    out.push_back(p);
  }
  return out;
}

std::string QemuName(const Platform& p) {
  if (p.architecture == "amd64") return "x86_64";
  if (p.architecture == "arm64") return "aarch64";
  if (p.architecture == "386") return "i386";
  return p.architecture;  // arm, ppc64le, s390x, riscv64: the same word in both
}

}  // namespace cairn

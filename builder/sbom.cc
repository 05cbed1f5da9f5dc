#include "builder/sbom.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "base/digest.h"
#include "base/fs.h"
#include "builder/provenance.h"

namespace cairn::builder {

using nlohmann::json;

namespace {

// Blank-line separated paragraphs of "Key: value" (dpkg) or "K:value" (apk) lines;
// continuation lines (leading space) belong to the field before.
template <typename Fn>
void Paragraphs(const std::string& text, char sep, Fn fn) {
  std::map<std::string, std::string> fields;
  std::string last;
  std::istringstream in(text);
  std::string line;
  auto flush = [&] {
    if (!fields.empty()) fn(fields);
    fields.clear();
    last.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty()) {
      flush();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) continue;  // a description's body
    size_t colon = line.find(sep);
    if (colon == std::string::npos) continue;
    last = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    fields[last] = value;
  }
  flush();
}

// An SPDX identifier's characters: letters, digits, '.' and '-'.
std::string SpdxIdPart(const std::string& s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) || c == '.' || c == '-' ? static_cast<char>(c) : '-';
  return out;
}

// The file at path (relative, no leading '/') as the layers leave it: the topmost layer that
// has it or deletes it (an overlay whiteout: a 0/0 character device) decides.
std::optional<std::string> ImageFile(store::Store& store, const std::vector<store::Descriptor>& layers,
                                     const std::vector<std::string>& diff_ids, const std::string& path) {
  for (size_t i = layers.size(); i-- > 0;) {
    std::string dir = store.UnpackedLayer(layers[i], diff_ids[i]);
    std::string file = JoinPath(dir, path);
    struct stat st;
    if (::lstat(file.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return std::nullopt;
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return ReadFile(file);
  }
  return std::nullopt;
}

std::string Iso8601(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::vector<Package> ParseDpkgStatus(const std::string& text) {
  std::vector<Package> out;
  Paragraphs(text, ':', [&](std::map<std::string, std::string>& f) {
    if (f["Package"].empty() || f["Status"].find(" installed") == std::string::npos) return;
    std::string source = f["Source"];
    if (size_t sp = source.find(' '); sp != std::string::npos) source.resize(sp);
    out.push_back({"deb", f["Package"], f["Version"], f["Architecture"], f["Maintainer"], "", source});
  });
  return out;
}

std::vector<Package> ParseApkInstalled(const std::string& text) {
  std::vector<Package> out;
  Paragraphs(text, ':', [&](std::map<std::string, std::string>& f) {
    if (f["P"].empty()) return;
    out.push_back({"apk", f["P"], f["V"], f["A"], f["m"], f["L"], f["o"]});
  });
  return out;
}

std::vector<Package> ImagePackages(store::Store& store, const std::vector<store::Descriptor>& layers,
                                   const std::vector<std::string>& diff_ids) {
  std::vector<Package> all;
  if (auto dpkg = ImageFile(store, layers, diff_ids, "var/lib/dpkg/status")) all = ParseDpkgStatus(*dpkg);
  if (auto apk = ImageFile(store, layers, diff_ids, "lib/apk/db/installed")) {
    auto more = ParseApkInstalled(*apk);
    all.insert(all.end(), more.begin(), more.end());
  }
  std::sort(all.begin(), all.end(), [](const Package& a, const Package& b) {
    return std::tie(a.type, a.name, a.arch, a.version) < std::tie(b.type, b.name, b.arch, b.version);
  });
  return all;
}

std::string ImageDistro(store::Store& store, const std::vector<store::Descriptor>& layers,
                        const std::vector<std::string>& diff_ids) {
  auto text = ImageFile(store, layers, diff_ids, "etc/os-release");
  if (!text) text = ImageFile(store, layers, diff_ids, "usr/lib/os-release");
  if (!text) return "";
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("ID=", 0) != 0) continue;
    std::string id = line.substr(3);
    id.erase(std::remove(id.begin(), id.end(), '"'), id.end());
    return id;
  }
  return "";
}

json SpdxDocument(const std::vector<Package>& packages, const std::string& distro, int64_t epoch) {
  json pkgs = json::array(), relationships = json::array();
  for (size_t i = 0; i < packages.size(); i++) {
    const Package& p = packages[i];
    std::string id = "SPDXRef-Package-" + p.type + "-" + SpdxIdPart(p.name) + "-" + std::to_string(i + 1);
    std::string purl = "pkg:" + p.type + "/" + (distro.empty() ? p.type == "deb" ? "debian" : "alpine" : distro) +
                       "/" + p.name + "@" + p.version + (p.arch.empty() ? "" : "?arch=" + p.arch);
    json pkg = {{"SPDXID", id},
                {"name", p.name},
                {"versionInfo", p.version},
                {"supplier", p.supplier.empty() ? "NOASSERTION" : "Person: " + p.supplier},
                {"downloadLocation", "NOASSERTION"},
                {"filesAnalyzed", false},
                {"licenseConcluded", "NOASSERTION"},
                {"licenseDeclared", "NOASSERTION"},
                {"copyrightText", "NOASSERTION"},
                {"externalRefs", json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                               {"referenceType", "purl"},
                                               {"referenceLocator", purl}}})}};
    if (!p.source.empty()) pkg["sourceInfo"] = "built from source package " + p.source;
    pkgs.push_back(pkg);
    relationships.push_back(
        {{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"}, {"relatedSpdxElement", id}});
  }
  std::string digest = DigestOf(pkgs.dump());
  return {{"spdxVersion", "SPDX-2.3"},
          {"dataLicense", "CC0-1.0"},
          {"SPDXID", "SPDXRef-DOCUMENT"},
          {"name", "image"},
          {"documentNamespace", "https://cairn.invalid/spdx/" + digest.substr(7)},
          {"creationInfo", {{"created", Iso8601(epoch)}, {"creators", json::array({"Tool: cairn-" + CairnVersion()})}}},
          {"packages", pkgs},
          {"relationships", relationships}};
}

}  // namespace cairn::builder

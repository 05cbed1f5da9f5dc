// The pure parts of provenance and SBOM: userinfo removal, the context digest, the dpkg and apk
// database readers, the SPDX document.
#include <gtest/gtest.h>

#include "builder/provenance.h"
#include "builder/sbom.h"

namespace cairn::builder {
namespace {

TEST(RedactUserinfo, RemovesEveryUrlsUserinfoAndKeepsTheRest) {
  EXPECT_EQ(RedactUserinfo("ADD https://u:tok@h.example/a.tgz /x"), "ADD https://h.example/a.tgz /x");
  EXPECT_EQ(RedactUserinfo("a=http://x@h/p b=git://y:z@g/r.git#main"), "a=http://h/p b=git://g/r.git#main");
  EXPECT_EQ(RedactUserinfo("https://h/p?mail=a@b"), "https://h/p?mail=a@b");  // an @ after the host is no userinfo
  EXPECT_EQ(RedactUserinfo("git@github.com:o/r.git"), "git@github.com:o/r.git");
  EXPECT_EQ(RedactUserinfo("no url here"), "no url here");
}

TEST(ContextDigest, CoversFilesAndSymlinksButNotDirectorySizes) {
  std::map<std::string, std::string> a = {{"d", "16877 4096 "}, {"d/f", "33188 3 sha256:aa"}, {"l", "41471 1 f"}};
  std::map<std::string, std::string> b = a;
  b["d"] = "16877 60 ";  // another filesystem's directory size
  EXPECT_EQ(ContextDigest(a), ContextDigest(b));
  b["d/f"] = "33188 3 sha256:ab";
  EXPECT_NE(ContextDigest(a), ContextDigest(b));
}

TEST(Sbom, DpkgStatusListsInstalledPackagesOnly) {
  std::string status =
      "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n"
      "Maintainer: GNU Libc Maintainers <x@debian.org>\nDescription: libc\n two lines\n\n"
      "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
      "Package: gcc-12-base\nStatus: install ok installed\nVersion: 12.2.0-14\nSource: gcc-12 (12.2.0-14)\n";
  auto p = ParseDpkgStatus(status);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "libc6");
  EXPECT_EQ(p[0].version, "2.36-9");
  EXPECT_EQ(p[0].arch, "amd64");
  EXPECT_EQ(p[1].source, "gcc-12");
}

TEST(Sbom, ApkInstalledListsPackages) {
  auto p = ParseApkInstalled("C:Q1x\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "musl");
  EXPECT_EQ(p[0].license, "MIT");
  EXPECT_EQ(p[1].version, "1.36.1-r5");
}

TEST(Sbom, DocumentIsReproducibleAndNamesPackagesByPurl) {
  std::vector<Package> pkgs = {{"deb", "libstdc++6", "12.2.0-14", "amd64", "", "", ""}};
  auto a = SpdxDocument(pkgs, "debian", 0), b = SpdxDocument(pkgs, "debian", 0);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["creationInfo"]["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(a["packages"][0]["SPDXID"], "SPDXRef-Package-deb-libstdc--6-1");
  EXPECT_EQ(a["packages"][0]["externalRefs"][0]["referenceLocator"], "pkg:deb/debian/libstdc++6@12.2.0-14?arch=amd64");
  EXPECT_NE(a["documentNamespace"], SpdxDocument({}, "debian", 0)["documentNamespace"]);
}

}  // namespace
}  // namespace cairn::builder

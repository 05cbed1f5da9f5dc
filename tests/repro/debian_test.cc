// Reproducibility on a real Debian 12 base: Python byte code, an apt install cairn verify
// explains file by file, and an apt Dockerfile that removes its logs and caches builds
// bit-identical under other conditions (TZ, umask, hostname, CPU count, file times).
//
// Needs the Debian base (scripts/examples-base; see LoadDebianBase); the apt tests also need
// Debian's archive and skip with a message without it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

class ReproDebian : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = LoadDebianBase(root()); !why.empty()) GTEST_SKIP() << why;
  }
  std::string root() const { return dir_ / "store"; }
  std::string Context(const std::string& dockerfile) const {
    std::string ctx = dir_ / "ctx";
    WriteTextFile(ctx + "/Dockerfile", dockerfile);
    return ctx;
  }
  TempDir dir_;
};

// SOURCE_DATE_EPOCH in every RUN makes Python write hash-checked byte code (no source time), so
// two builds a second apart in fresh stores give the same image.
TEST_F(ReproDebian, PythonByteCodeIsTheSameInTwoFreshStoresASecondApart) {
  auto has_python = Cairn(root(), {"run", "--rm", "debian:bookworm", "sh", "-c", "command -v python3"});
  if (has_python.exit_code != 0)
    GTEST_SKIP() << "the Debian base has no python3: remove its store and run scripts/examples-base again "
                    "(it now includes python3-minimal)";
  std::string ctx = Context(
      "FROM debian:bookworm\n"
      "RUN mkdir -p /app && printf 'def answer():\\n    return 42\\n' > /app/m.py"
      " && python3 -m compileall -q /app && ls /app/__pycache__\n");
  auto a = Cairn(root(), {"build", "--progress", "plain", "--metadata-file", dir_ / "a.json", ctx});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.err.find("m.cpython-311.pyc"), std::string::npos) << a.err;
  ::sleep(1);
  std::string other = dir_ / "store-b";
  ASSERT_EQ(LoadDebianBase(other), "");
  auto b = Cairn(other, {"build", "--progress", "plain", "--metadata-file", dir_ / "b.json", ctx});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto digest = [](const std::string& f) { return json::parse(ReadFile(f))["containerimage.digest"].get<std::string>(); };
  EXPECT_EQ(digest(dir_ / "a.json"), digest(dir_ / "b.json"));
}

// docker-library's buildpack-deps:bookworm-curl, as published: verify names the 7 files apt,
// dpkg and ldconfig write with the time of the build, each with its cause and remedy.
TEST_F(ReproDebian, VerifyNamesTheSevenFilesOfBuildpackDepsCurl) {
  if (!DebianArchiveReachable()) GTEST_SKIP() << "deb.debian.org:80 is not reachable from this machine";
  std::string ctx = Context(
      "FROM debian:bookworm\n"
      "RUN set -eux; \\\n"
      "\tapt-get update; \\\n"
      "\tapt-get install -y --no-install-recommends \\\n"
      "\t\tca-certificates \\\n"
      "\t\tcurl \\\n"
      "\t\tgnupg \\\n"
      "\t\tnetbase \\\n"
      "\t\tsq \\\n"
      "\t\twget \\\n"
      "\t; \\\n"
      "\trm -rf /var/lib/apt/lists/*\n");
  auto r = Cairn(root(), {"verify", "--json", ctx});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json report = json::parse(r.out);
  std::vector<std::string> paths;
  for (auto& f : report["files"]) {
    paths.push_back(f["path"]);
    EXPECT_FALSE(f["cause"].is_null()) << f.dump(2);
    EXPECT_NE(f["step"].get<std::string>().find("apt-get install"), std::string::npos) << f.dump(2);
  }
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin",
                                             "/var/cache/ldconfig/aux-cache", "/var/log/alternatives.log",
                                             "/var/log/apt/history.log", "/var/log/apt/term.log", "/var/log/dpkg.log"}))
      << r.out;
}

// The README's example: the same apt Dockerfile that removes those files is bit-identical in two
// fresh stores under another TZ, umask, hostname, CPU count and context file times.
TEST_F(ReproDebian, AnAptDockerfileThatDropsLogsAndCachesIsIdenticalOnTwoMachines) {
  if (!DebianArchiveReachable()) GTEST_SKIP() << "deb.debian.org:80 is not reachable from this machine";
  std::string ctx = Context(
      "FROM debian:bookworm\n"
      "RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \\\n"
      " && rm -rf /var/lib/apt/lists/* /var/log/* /var/cache/ldconfig/aux-cache /var/cache/apt/*.bin\n"
      "CMD [\"curl\", \"--version\"]\n");
  auto r = Cairn(root(), {"verify", ctx});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("sha256:", 0), 0u) << r.out;
  EXPECT_NE(r.err.find("verified: both builds gave"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::testing

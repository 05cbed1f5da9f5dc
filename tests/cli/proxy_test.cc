// Proxies as docker passes them: config.json's proxies.default and the HTTP_PROXY/http_proxy...
// environment of cairn reach RUN as BuildKit's predefined proxy args, and stay out of the step
// cache key, the history and the image config. Through the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class Proxies : public BusyboxStore<Proxies> {
 protected:
  // The build runs with a DOCKER_CONFIG of its own (no config.json unless the test writes one).
  CommandResult Build(const std::string& dockerfile, const std::vector<std::string>& env,
                      const std::vector<std::string>& flags = {}) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "px-out"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    std::vector<std::string> all = {"DOCKER_CONFIG=" + (tmp_ / "docker")};
    all.insert(all.end(), env.begin(), env.end());
    return Cairn(Root(), args, all);
  }
  static std::string Cat(const std::string& path) {
    auto r = Cairn(Root(), {"run", "--rm", "px-out", "cat", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  static nlohmann::json Inspect() {
    auto r = Cairn(Root(), {"inspect", "px-out"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  TempDir tmp_;
};

const char kDockerfile[] = "FROM busybox\nRUN env | grep -i _proxy= | sort > /proxies\n";

TEST_F(Proxies, TheEnvironmentOfCairnReachesRunInBothSpellings) {
  auto r = Build(kDockerfile, {"http_proxy=http://env-proxy:3128", "NO_PROXY=localhost"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("/proxies"),
            "HTTP_PROXY=http://env-proxy:3128\nNO_PROXY=localhost\nhttp_proxy=http://env-proxy:3128\nno_proxy=localhost\n");
}

TEST_F(Proxies, ConfigJsonProxiesDefaultReachRunAndTheEnvironmentWins) {
  WriteTextFile(tmp_ / "docker/config.json",
                R"({"proxies":{"default":{"httpProxy":"http://cfg:1","httpsProxy":"http://cfg:2",)"
                R"("ftpProxy":"http://cfg:3","noProxy":"cfg.local","allProxy":"socks5://cfg:4"}}})");
  auto r = Build(kDockerfile, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("/proxies"),
            "ALL_PROXY=socks5://cfg:4\nFTP_PROXY=http://cfg:3\nHTTPS_PROXY=http://cfg:2\nHTTP_PROXY=http://cfg:1\n"
            "NO_PROXY=cfg.local\nall_proxy=socks5://cfg:4\nftp_proxy=http://cfg:3\nhttp_proxy=http://cfg:1\n"
            "https_proxy=http://cfg:2\nno_proxy=cfg.local\n");
  // The process's environment wins over the file, and --build-arg over both. (--no-cache: the
  // step is the same step whatever the proxies, so it would be a hit.)
  r = Build(kDockerfile, {"HTTPS_PROXY=http://env:2"}, {"--no-cache", "--build-arg", "ftp_proxy=http://arg:3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string seen = Cat("/proxies");
  EXPECT_NE(seen.find("HTTPS_PROXY=http://env:2\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("FTP_PROXY=http://arg:3\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("HTTP_PROXY=http://cfg:1\n"), std::string::npos) << seen;
}

TEST_F(Proxies, StayOutOfTheConfigTheHistoryAndTheCacheKey) {
  std::string df = "FROM busybox\nRUN echo built > /marker\n";
  auto first = Build(df, {"HTTP_PROXY=http://one:3128"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string dump = Inspect().dump();
  EXPECT_EQ(dump.find("one:3128"), std::string::npos) << dump;
  EXPECT_EQ(dump.find("_PROXY"), std::string::npos) << dump;
  // Another proxy: the same step, a cache hit, the same image.
  auto second = Build(df, {"HTTP_PROXY=http://two:8080"}, {"--build-arg", "https_proxy=http://three:1"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("CACHED"), std::string::npos) << second.err;
  EXPECT_EQ(second.out, first.out);
}

}  // namespace
}  // namespace cairn::testing

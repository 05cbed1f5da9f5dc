// `cairn build --add-host`, `--shm-size` and `--ulimit`, as docker build: how every RUN's
// container is set up, never the image. Keyed as BuildKit keys an ExecOp: a host name counts,
// its address does not. Through the real binary.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class RunSetup : public BusyboxStore<RunSetup> {
 protected:
  CommandResult Build(const std::string& dockerfile, const std::vector<std::string>& flags) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "rs-out"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    return Cairn(Root(), args);
  }
  static std::string Cat(const std::string& path) {
    auto r = Cairn(Root(), {"run", "--rm", "rs-out", "cat", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir tmp_;
};

TEST_F(RunSetup, AddHostAppendsToEveryRunsHostsFile) {
  auto r = Build("FROM busybox\nRUN cat /etc/hosts > /hosts.seen\n",
                 {"--add-host", "registry.local:10.1.2.3", "--add-host", "v6.local:fd00::1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string hosts = Cat("/hosts.seen");
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("10.1.2.3\tregistry.local\nfd00::1\tv6.local\n"), std::string::npos) << hosts;
}

TEST_F(RunSetup, AddHostStaysOutOfTheImageAndItsAddressOutOfTheCacheKey) {
  std::string df = "FROM busybox\nRUN echo built > /marker\n";
  auto plain = Build(df, {});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto with = Build(df, {"--add-host", "db:10.0.0.5"});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(with.out, plain.out);  // the same image ID: /etc/hosts is never in a layer
  // Another address for the same name: the step is a hit (BuildKit keys the name only).
  auto other_ip = Build(df, {"--add-host", "db:10.9.9.9"});
  ASSERT_EQ(other_ip.exit_code, 0) << other_ip.err;
  EXPECT_NE(other_ip.err.find("CACHED"), std::string::npos) << other_ip.err;
  EXPECT_EQ(other_ip.out, plain.out);
}

TEST_F(RunSetup, ShmSizeSetsTheSizeOfDevShm) {
  auto r = Build("FROM busybox\nRUN df -k /dev/shm | tail -n 1 | awk '{print $2}' > /shm\n", {"--shm-size", "128m"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("/shm"), "131072\n");
  r = Build("FROM busybox\nRUN df -k /dev/shm | tail -n 1 | awk '{print $2}' > /shm\n", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("/shm"), "65536\n");  // docker's default, 64 MiB
}

TEST_F(RunSetup, UlimitSetsTheLimitsOfRun) {
  auto r = Build("FROM busybox\nRUN echo $(ulimit -n) $(ulimit -Hn) > /limits\n", {"--ulimit", "nofile=700:900"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("/limits"), "700 900\n");
}

TEST_F(RunSetup, BadValuesAreErrorsNamingTheFlag) {
  rlimit own{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_max != RLIM_INFINITY) {
    std::string above = std::to_string(own.rlim_max + 1);
    auto r = Build("FROM busybox\nRUN true\n", {"--ulimit", "nofile=10:" + above});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--ulimit nofile=10:" + above + ": the hard limit " + above + " is above cairn's own"),
              std::string::npos) << r.err;
  }
  auto r = Build("FROM busybox\nRUN true\n", {"--ulimit", "files=10"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--ulimit files=10: unknown limit \"files\""), std::string::npos) << r.err;
  r = Build("FROM busybox\nRUN true\n", {"--add-host", "nohost"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--add-host nohost: want HOST:IP"), std::string::npos) << r.err;
  r = Build("FROM busybox\nRUN true\n", {"--shm-size", "lots"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--shm-size lots: want a positive size"), std::string::npos) << r.err;
}

// buildx's entitlements: RUN --network=host needs --allow network.host, unless the build's own
// --network is host (buildx grants the entitlement then).
TEST_F(RunSetup, RunNetworkHostNeedsAllowNetworkHost) {
  std::string df = "FROM busybox\nRUN --network=host true\n";
  auto denied = Build(df, {});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("Dockerfile:2:1: RUN --network=host needs the network.host entitlement: pass --allow network.host"),
            std::string::npos) << denied.err;
  auto allowed = Build(df, {"--allow", "network.host"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  auto build_host = Build(df, {"--network", "host"});
  EXPECT_EQ(build_host.exit_code, 0) << build_host.err;
}

TEST_F(RunSetup, AllowRefusesWhatCairnCannotGrant) {
  auto insecure = Build("FROM busybox\nRUN true\n", {"--allow", "security.insecure"});
  EXPECT_NE(insecure.exit_code, 0);
  EXPECT_NE(insecure.err.find("--allow security.insecure: cairn runs every step sandboxed"), std::string::npos) << insecure.err;
  auto unknown = Build("FROM busybox\nRUN true\n", {"--allow", "network.hots"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("--allow network.hots: unknown entitlement"), std::string::npos) << unknown.err;
  auto run = Build("FROM busybox\nRUN --security=insecure true\n", {});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("Dockerfile:2:1: RUN --security=insecure is not supported"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--allow security.insecure"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace cairn::testing

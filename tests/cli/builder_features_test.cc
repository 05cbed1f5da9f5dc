// RUN --mount (cache, bind, tmpfs, secret) and RUN --network, through the real binary as root.
#include <gtest/gtest.h>

#include <memory>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class BuilderFeatures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    ImportBusybox(store_->path());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static std::string Root() { return store_->path(); }

  CommandResult Build(const std::string& dockerfile, const std::string& tag, std::vector<std::string> extra = {},
                      const std::vector<std::string>& env = {}) {
    WriteTextFile(ctx_ / "Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", tag};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    return Cairn(Root(), args, env);
  }
  // Output of a command in the built image.
  std::string RunIn(const std::string& tag, const std::string& script) {
    auto r = Cairn(Root(), {"run", "--rm", tag, "sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* BuilderFeatures::store_ = nullptr;

TEST_F(BuilderFeatures, CacheMountSurvivesRebuildsAndStaysOutOfTheLayer) {
  std::string df = "FROM busybox\nARG N\nRUN --mount=type=cache,target=/var/cache/app,id=c1 "
                   "echo run$N >> /var/cache/app/log && cat /var/cache/app/log > /seen\n";
  auto r = Build(df, "cache:1", {"--build-arg", "N=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Build(df, "cache:2", {"--build-arg", "N=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("cache:2", "cat /seen"), "run1\nrun2\n");
  EXPECT_EQ(RunIn("cache:2", "ls -a /var/cache 2>&1 || true").find("app"), std::string::npos);
}

TEST_F(BuilderFeatures, CacheMountUidGidModeOnCreation) {
  auto r = Build("FROM busybox\nRUN --mount=type=cache,target=/c,id=owned,uid=1000,gid=1001,mode=0700,sharing=locked "
                 "stat -c '%u %g %a' /c > /st\n", "cache:own");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("cache:own", "cat /st"), "1000 1001 700\n");
}

TEST_F(BuilderFeatures, BindFromContextIsReadOnlyAndNotInTheLayer) {
  WriteTextFile(ctx_ / "src/hello.txt", "from context\n");
  auto r = Build("FROM busybox\nRUN --mount=type=bind,source=src,target=/src "
                 "cat /src/hello.txt > /copied && (touch /src/x 2>/dev/null && echo rw || echo ro) > /mode\n",
                 "bind:ctx");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("bind:ctx", "cat /copied /mode; test -e /src && echo src-exists || echo no-src"),
            "from context\nro\nno-src\n");
}

TEST_F(BuilderFeatures, BindReadWriteIsDiscarded) {
  WriteTextFile(ctx_ / "data/a", "a\n");
  auto r = Build("FROM busybox\nRUN --mount=type=bind,source=data,target=/data,rw echo new > /data/a && cat /data/a > /got\n",
                 "bind:rw");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("bind:rw", "cat /got"), "new\n");
  EXPECT_EQ(ReadFile(ctx_ / "data/a"), "a\n");
}

TEST_F(BuilderFeatures, BindFromStage) {
  auto r = Build("FROM busybox AS gen\nRUN echo generated > /out.txt\n"
                 "FROM busybox\nRUN --mount=type=bind,from=gen,source=/out.txt,target=/in.txt cp /in.txt /final.txt\n",
                 "bind:stage");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("bind:stage", "cat /final.txt; test -e /in.txt && echo stub || echo clean"), "generated\nclean\n");
}

TEST_F(BuilderFeatures, TmpfsMount) {
  auto r = Build("FROM busybox\nRUN --mount=type=tmpfs,target=/scratch,size=1m "
                 "echo junk > /scratch/f && grep ' /scratch ' /proc/mounts | cut -d' ' -f3 > /fstype\n",
                 "tmpfs:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("tmpfs:1", "cat /fstype; test -e /scratch && echo stub || echo clean"), "tmpfs\nclean\n");
}

// A step's fsyncs return at once (builder/run_step.cc): fsync of a pipe, EINVAL from the kernel,
// succeeds; what the step wrote is in its layer all the same, while `cairn run` keeps real fsync.
TEST_F(BuilderFeatures, RunStepSyncsReturnAtOnceAndTheirFilesAreInTheLayer) {
  auto r = Build("FROM busybox\nRUN echo data > /f && sync /f && echo x | sync /dev/stdin && echo ok > /synced\n",
                 "syncs:1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("syncs:1", "cat /f /synced; echo x | sync /dev/stdin 2>&1 || true"),
            "data\nok\nsync: /dev/stdin: Invalid argument\n");
}

TEST_F(BuilderFeatures, SecretMountedButNeverStored) {
  WriteTextFile(ctx_.path() + "-secret", "s3cr3t-value");
  std::string df = "FROM busybox\nRUN --mount=type=secret,id=tok "
                   "stat -c '%a' /run/secrets/tok > /mode && wc -c < /run/secrets/tok > /len\n"
                   "RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'echo ${#TOKEN}' > /envlen\n";
  auto r = Build(df, "secret:1", {"--secret", "id=tok,src=" + ctx_.path() + "-secret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("secret:1", "cat /mode; tr -d ' ' < /len; cat /envlen; test -e /run/secrets && echo stub || echo clean"),
            "400\n12\n12\nclean\n");
  auto save = RunCommand({"sh", "-c", "grep -rl s3cr3t-value " + Root() + " | grep -v -- -secret || true"});
  EXPECT_EQ(save.out, "");
  auto hist = Cairn(Root(), {"history", "--no-trunc", "secret:1"});
  EXPECT_EQ(hist.out.find("s3cr3t"), std::string::npos);
}

TEST_F(BuilderFeatures, RequiredSecretMissingFailsClearly) {
  auto r = Build("FROM busybox\nRUN --mount=type=secret,id=missing,required=true true\n", "secret:2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("secret missing is required"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
}

// RUN --network picks each step's network; the build's default is the outbound one.
TEST_F(BuilderFeatures, RunNetworkFlagPicksDefaultNoneOrHostPerStep) {
  auto r = Build("FROM busybox\nRUN ls /sys/class/net > /default\nRUN --network=none ls /sys/class/net > /none\n"
                 "RUN --network=host ls /sys/class/net > /host\n", "net:1", {"--allow", "network.host"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunIn("net:1", "cat /default"), "eth0\nlo\n");
  EXPECT_EQ(RunIn("net:1", "cat /none"), "lo\n");
  auto host = RunIn("net:1", "cat /host");
  auto real = RunCommand({"ls", "/sys/class/net"});
  EXPECT_EQ(host, real.out);
}

}  // namespace
}  // namespace cairn::testing

// `cairn build --build-context NAME=VALUE`, as buildx: a directory, docker-image://REF or
// oci-layout://DIR[:TAG], read by FROM NAME, COPY --from=NAME and RUN --mount=from=NAME, and
// winning over a stage or an image of that name. Through the real binary.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class BuildContext : public BusyboxStore<BuildContext> {
 protected:
  // Builds tmp_/ctx with Dockerfile text and the extra flags; returns the result.
  CommandResult Build(const std::string& dockerfile, const std::vector<std::string>& flags,
                      const std::string& root = Root()) {
    WriteTextFile(tmp_ / "ctx/Dockerfile", dockerfile);
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "bc-out"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(tmp_ / "ctx");
    return Cairn(root, args);
  }
  static std::string Run(const std::vector<std::string>& command, const std::string& root = Root()) {
    std::vector<std::string> args = {"run", "--rm", "bc-out"};
    args.insert(args.end(), command.begin(), command.end());
    auto r = Cairn(root, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir tmp_;
};

TEST_F(BuildContext, ADirectoryIsReadByCopyFromAndRunMountAndFrom) {
  WriteTextFile(tmp_ / "extra/data/hello.txt", "from the named context\n");
  WriteTextFile(tmp_ / "extra/run.sh", "echo tool\n");
  ::chmod((tmp_ / "extra/run.sh").c_str(), 0755);
  std::string flag = "extra=" + (tmp_ / "extra");
  auto r = Build("FROM busybox\nCOPY --from=extra /data/hello.txt /hello.txt\n"
                 "RUN --mount=from=extra,target=/mnt cp /mnt/run.sh /tool.sh && stat -c '%a %u:%g' /mnt/run.sh > /mode\n",
                 {"--build-context", flag});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/hello.txt"}), "from the named context\n");
  EXPECT_EQ(Run({"cat", "/mode"}), "755 0:0\n");

  // FROM NAME: the directory is the stage's root filesystem.
  r = Build("FROM extra\n", {"--build-context", flag});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto fs = Cairn(Root(), {"build", "-o", "type=tar,dest=" + (tmp_ / "fs.tar"), "--build-context", flag, tmp_ / "ctx"});
  ASSERT_EQ(fs.exit_code, 0) << fs.err;
  auto list = RunCommand({"tar", "-tvf", tmp_ / "fs.tar"});
  EXPECT_NE(list.out.find("data/hello.txt"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("-rwxr-xr-x 0/0"), std::string::npos) << list.out;
}

TEST_F(BuildContext, ANamedContextWinsOverAStageOfThatName) {
  WriteTextFile(tmp_ / "deps/who", "the named context\n");
  auto r = Build("FROM busybox AS deps\nRUN echo the stage > /who\n"
                 "FROM busybox\nCOPY --from=deps /who /who\n",
                 {"--build-context", "deps=" + (tmp_ / "deps")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/who"}), "the named context\n");
}

TEST_F(BuildContext, ADirectoryIsPartOfTheCacheKeyThroughItsContent) {
  WriteTextFile(tmp_ / "src/v", "one\n");
  std::string df = "FROM busybox\nCOPY --from=src /v /v\nRUN cat /v > /copy\n";
  ASSERT_EQ(Build(df, {"--build-context", "src=" + (tmp_ / "src")}).exit_code, 0);
  auto again = Build(df, {"--build-context", "src=" + (tmp_ / "src")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("CACHED"), std::string::npos) << again.err;
  WriteTextFile(tmp_ / "src/v", "two\n");
  auto changed = Build(df, {"--build-context", "src=" + (tmp_ / "src")});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(Run({"cat", "/copy"}), "two\n");
}

TEST_F(BuildContext, ADockerImageIsReadByFromCopyFromAndRunMount) {
  auto src = Build("FROM busybox\nRUN echo image content > /marker\n", {});
  ASSERT_EQ(src.exit_code, 0) << src.err;
  ASSERT_EQ(Cairn(Root(), {"tag", "bc-out", "bc-src:1"}).exit_code, 0);
  // FROM base, where base is also an image name the store does not have.
  auto r = Build("FROM base\nRUN cat /marker > /seen\n", {"--build-context", "base=docker-image://bc-src:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/seen"}), "image content\n");
  r = Build("FROM busybox\nCOPY --from=src /marker /copied\n"
            "RUN --mount=from=src,target=/mnt cat /mnt/marker > /mounted\n",
            {"--build-context", "src=docker-image://bc-src:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/copied", "/mounted"}), "image content\nimage content\n");
  // It overrides an image of the same name: FROM busybox reads bc-src.
  r = Build("FROM busybox\nRUN cat /marker > /seen\n", {"--build-context", "busybox=docker-image://bc-src:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/seen"}), "image content\n");
}

TEST_F(BuildContext, AnOciLayoutIsReadByFromCopyFromAndRunMount) {
  auto src = Build("FROM busybox\nRUN echo layout content > /marker\n", {});
  ASSERT_EQ(src.exit_code, 0) << src.err;
  // The layout is written by skopeo, as a CI job would; the build runs in another store, so
  // the image can only come from the layout.
  auto copy = RunCommand({"skopeo", "copy", "oci:" + Root() + ":bc-out:latest", "oci:" + (tmp_ / "layout") + ":v1"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  std::string other = tmp_ / "other-store";
  ImportBusybox(other);
  std::string flag = "base=oci-layout://" + (tmp_ / "layout") + ":v1";
  auto r = Build("FROM base\nRUN cat /marker > /seen\n", {"--build-context", flag}, other);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/seen"}, other), "layout content\n");
  r = Build("FROM busybox\nCOPY --from=base /marker /copied\n"
            "RUN --mount=from=base,target=/mnt cat /mnt/marker > /mounted\n",
            {"--build-context", flag}, other);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Run({"cat", "/copied", "/mounted"}, other), "layout content\nlayout content\n");
  // A tag the layout lacks is an error naming the flag and the tags it has.
  r = Build("FROM base\n", {"--build-context", "base=oci-layout://" + (tmp_ / "layout") + ":nope"}, other);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--build-context base=oci-layout://"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("v1"), std::string::npos) << r.err;
}

TEST_F(BuildContext, AMissingDirectoryOrAnUnknownSchemeIsAnErrorNamingTheFlag) {
  auto r = Build("FROM busybox\n", {"--build-context", "x=" + (tmp_ / "missing")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--build-context x=" + (tmp_ / "missing")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is no directory"), std::string::npos) << r.err;
  r = Build("FROM busybox\n", {"--build-context", "x=ftp://host/dir"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--build-context x=ftp://host/dir: unknown scheme \"ftp://\""), std::string::npos) << r.err;
  r = Build("FROM busybox\n", {"--build-context", "nameonly"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--build-context nameonly: want NAME=VALUE"), std::string::npos) << r.err;
}

// docker build's tarball URL context: cairn does not download one, and says so instead of
// looking for a directory of that name. (Git URLs are cloned: tests/cli/git_source_test.cc.)
TEST_F(BuildContext, ATarballUrlContextIsRefusedNamingWhatItIs) {
  auto r = Cairn(Root(), {"build", "https://user:pw@example.invalid/ctx.tar.gz"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("build context https://example.invalid/ctx.tar.gz: a remote context, which cairn does not download"),
            std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::testing

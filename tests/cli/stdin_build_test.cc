// `cairn build -f -` (the Dockerfile on stdin) and `cairn build -` (a context tar, or a bare
// Dockerfile, on stdin), through the real binary with stdin piped, as `docker build - < ctx.tar`.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "base/fs.h"
#include "tests/support/busybox_store.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

// One ustar header and body, written by hand so that a test can say any name (tar tools refuse
// to write "../" names).
std::string TarEntry(const std::string& name, const std::string& body, char type = '0', const std::string& link = "") {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 99));
  std::snprintf(&h[100], 8, "%07o", type == '5' ? 0755 : 0644);
  std::snprintf(&h[108], 8, "%07o", 0);
  std::snprintf(&h[116], 8, "%07o", 0);
  std::snprintf(&h[124], 12, "%011o", static_cast<unsigned>(type == '0' ? body.size() : 0));
  std::snprintf(&h[136], 12, "%011o", 0);
  h[156] = type;
  std::memcpy(&h[157], link.data(), std::min<size_t>(link.size(), 99));
  std::memcpy(&h[257], "ustar\0" "00", 8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(&h[148], 8, "%06o", sum);
  if (type != '0') return h;
  std::string padded = body;
  padded.resize((body.size() + 511) / 512 * 512, '\0');
  return h + padded;
}
std::string TarEnd() { return std::string(1024, '\0'); }

class StdinBuild : public BusyboxStore<StdinBuild> {
 protected:
  // cairn --root ROOT args... < stdin_file
  static CommandResult CairnWithStdin(const std::string& stdin_file, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"sh", "-c", "exec \"$@\" < \"$CAIRN_TEST_STDIN\"", "sh", CAIRN_BINARY, "--root", Root()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, {"CAIRN_TEST_STDIN=" + stdin_file});
  }
  static std::string Cat(const std::string& image, const std::string& path) {
    auto r = Cairn(Root(), {"run", "--rm", image, "cat", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // No build leaves its stdin scratch behind in the store's tmp/.
  static void ExpectNoStdinScratch() {
    for (auto& name : ListDir(Root() + "/tmp")) EXPECT_EQ(name.find("build-stdin-"), std::string::npos) << name;
  }

  TempDir tmp_;
};

TEST_F(StdinBuild, DockerfileFromStdinBuildsTheContextDirectory) {
  WriteTextFile(tmp_ / "ctx/hello.txt", "hello from the context\n");
  WriteTextFile(tmp_ / "Dockerfile.in", "FROM busybox\nCOPY hello.txt /hello.txt\n");
  auto r = CairnWithStdin(tmp_ / "Dockerfile.in", {"build", "--progress", "plain", "-t", "stdin-df", "-f", "-", tmp_ / "ctx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("stdin-df", "/hello.txt"), "hello from the context\n");
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, AnErrorInAStdinDockerfileNamesItDockerfile) {
  WriteTextFile(tmp_ / "ctx/x", "");
  WriteTextFile(tmp_ / "Dockerfile.in", "FROM busybox\nCOPPY x /x\n");
  auto r = CairnWithStdin(tmp_ / "Dockerfile.in", {"build", "-f", "-", tmp_ / "ctx"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Dockerfile:2"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("build-stdin-"), std::string::npos) << "the scratch path is not the user's name for it: " << r.err;
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, ContextTarOnStdinWithItsDockerfile) {
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nCOPY data/ /data/\nCMD [\"cat\", \"/data/msg.txt\"]\n");
  WriteTextFile(tmp_ / "ctx/data/msg.txt", "from the tar\n");
  ASSERT_EQ(RunCommand({"tar", "-C", tmp_ / "ctx", "-cf", tmp_ / "ctx.tar", "."}).exit_code, 0);
  ASSERT_EQ(RunCommand({"tar", "-C", tmp_ / "ctx", "-czf", tmp_ / "ctx.tar.gz", "."}).exit_code, 0);
  auto plain = CairnWithStdin(tmp_ / "ctx.tar", {"build", "--progress", "plain", "-t", "stdin-tar", "-"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Cat("stdin-tar", "/data/msg.txt"), "from the tar\n");
  auto gz = CairnWithStdin(tmp_ / "ctx.tar.gz", {"build", "--progress", "plain", "-t", "stdin-targz", "-"});
  ASSERT_EQ(gz.exit_code, 0) << gz.err;
  EXPECT_EQ(Cat("stdin-targz", "/data/msg.txt"), "from the tar\n");
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, DashFNamesAFileInsideTheContextTar) {
  WriteTextFile(tmp_ / "ctx/build/Alt.Dockerfile", "FROM busybox\nCOPY msg /alt-msg\n");
  WriteTextFile(tmp_ / "ctx/msg", "alt\n");
  ASSERT_EQ(RunCommand({"tar", "-C", tmp_ / "ctx", "-cf", tmp_ / "ctx.tar", "build", "msg"}).exit_code, 0);
  auto r = CairnWithStdin(tmp_ / "ctx.tar", {"build", "-t", "stdin-alt", "-f", "build/Alt.Dockerfile", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("stdin-alt", "/alt-msg"), "alt\n");
  auto missing = CairnWithStdin(tmp_ / "ctx.tar", {"build", "-f", "build/Nope", "-"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("-f build/Nope: no such file in the context tar on stdin"), std::string::npos) << missing.err;
  auto none = CairnWithStdin(tmp_ / "ctx.tar", {"build", "-"});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("holds no Dockerfile"), std::string::npos) << none.err;
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, BareDockerfileOnStdinBuildsWithAnEmptyContext) {
  WriteTextFile(tmp_ / "Dockerfile.in", "FROM busybox\nRUN echo made > /made\n");
  auto r = CairnWithStdin(tmp_ / "Dockerfile.in", {"build", "-t", "stdin-bare", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Cat("stdin-bare", "/made"), "made\n");
  WriteTextFile(tmp_ / "copy.in", "FROM busybox\nCOPY anything /x\n");
  auto copy = CairnWithStdin(tmp_ / "copy.in", {"build", "-"});
  EXPECT_NE(copy.exit_code, 0);
  EXPECT_NE(copy.err.find("anything"), std::string::npos) << copy.err;
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, HostileContextTarNeverWritesOutsideItsDirectory) {
  std::string outside = tmp_ / "outside";
  MakeDirs(outside);
  std::string dockerfile = "FROM busybox\nCOPY . /ctx/\n";
  std::string up = "../../../../../../../../../../..";
  struct Case {
    std::string name, tar;
  } cases[] = {
      {"dotdot", TarEntry("Dockerfile", dockerfile) + TarEntry(up + outside + "/escaped", "x") + TarEnd()},
      {"absolute", TarEntry("Dockerfile", dockerfile) + TarEntry(outside + "/escaped", "x") + TarEnd()},
      {"symlink", TarEntry("Dockerfile", dockerfile) + TarEntry("link", "", '2', outside) +
                      TarEntry("link/escaped", "x") + TarEnd()},
      {"hardlink", TarEntry("Dockerfile", dockerfile) + TarEntry("hard", "", '1', up + outside + "/victim") + TarEnd()},
  };
  WriteTextFile(outside + "/victim", "untouched");
  for (auto& c : cases) {
    std::string tar = tmp_ / (c.name + ".tar");
    WriteFileAtomic(tar, c.tar);
    auto r = CairnWithStdin(tar, {"build", "-t", "hostile-" + c.name, "-"});
    EXPECT_NE(r.exit_code, 0) << c.name << " was built: " << r.out;
    EXPECT_NE(r.err.find("the build context on stdin"), std::string::npos) << c.name << ": " << r.err;
    EXPECT_FALSE(PathExists(outside + "/escaped")) << c.name;
    EXPECT_EQ(ReadFile(outside + "/victim"), "untouched") << c.name;
  }
  ExpectNoStdinScratch();
}

TEST_F(StdinBuild, StdinCannotBeBothContextAndDockerfile) {
  WriteTextFile(tmp_ / "empty", "");
  auto r = CairnWithStdin(tmp_ / "empty", {"build", "-f", "-", "-"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("both the context and the Dockerfile"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cairn::testing

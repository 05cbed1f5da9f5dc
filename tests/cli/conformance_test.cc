// Behaviours BuildKit's and moby's own build tests assert, through the real binary: errors that
// name the Dockerfile line, options refused rather than ignored, progress names, and what a COPY
// of a context with a socket or a USER with groups gives.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class ConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    ImportBusybox(root());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static std::string root() { return store_->path() + "/store"; }
  static CommandResult Build(const std::string& context, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"build", "--progress", "plain", "--source-date-epoch", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(context);
    return Cairn(root(), args);
  }
  // Builds a one-file context and returns the result.
  static CommandResult BuildDockerfile(const std::string& dockerfile, std::vector<std::string> extra = {}) {
    TempDir ctx;
    WriteTextFile(ctx / "Dockerfile", dockerfile);
    return Build(ctx.path(), extra);
  }
  static TempDir* store_;
};
TempDir* ConformanceTest::store_ = nullptr;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(ConformanceTest, MissingCopySourceNamesTheLineAndShowsIt) {
  auto r = BuildDockerfile("FROM busybox\nRUN true\nCOPY missing-file.txt /\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "Dockerfile:3: COPY missing-file.txt /: \"missing-file.txt\": not found");
  EXPECT_HAS(r.err, " 3 | COPY missing-file.txt /");
}

TEST_F(ConformanceTest, FailingRunShowsTheInstruction) {
  auto r = BuildDockerfile("FROM busybox\nRUN echo about to fail && exit 3\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "Dockerfile:2: RUN echo about to fail && exit 3: process");
  EXPECT_HAS(r.err, " 2 | RUN echo about to fail && exit 3\n");
}

TEST_F(ConformanceTest, UnknownCopyFromImageNamesTheLine) {
  // An image that is not in the store and whose registry (a closed loopback port) cannot answer.
  auto r = BuildDockerfile("FROM busybox\nCOPY --from=127.0.0.1:1/nothing/here:1 /x /x\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "Dockerfile:2: COPY --from=127.0.0.1:1/nothing/here:1 /x /x: ");
}

TEST_F(ConformanceTest, WildcardMatchingNothingAloneIsStillAnError) {
  auto r = BuildDockerfile("FROM busybox\nCOPY nomatch* /\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "Dockerfile:2: COPY nomatch* /: \"nomatch*\": not found");
}

TEST_F(ConformanceTest, InvalidChmodGetsBuildKitsMessageWithTheLine) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nCOPY --chmod=64a a /\n");
  WriteTextFile(ctx / "a", "a");
  auto r = Build(ctx.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "Dockerfile:2: ");
  EXPECT_HAS(r.err, "invalid chmod parameter: '64a'. it should be octal string and between 0 and 07777");
}

TEST_F(ConformanceTest, OptionsThatWouldBeIgnoredAreRefusedWithTheLine) {
  auto insecure = BuildDockerfile("FROM busybox\nRUN --security=insecure true\n");
  EXPECT_NE(insecure.exit_code, 0);
  EXPECT_HAS(insecure.err, "Dockerfile:2:1: RUN --security=insecure is not supported");
  auto device = BuildDockerfile("FROM busybox\nRUN --device=/dev/fuse true\n");
  EXPECT_NE(device.exit_code, 0);
  EXPECT_HAS(device.err, "Dockerfile:2:1: RUN --device=/dev/fuse is not supported");
  // ADD --keep-git-dir is honoured now (tests/cli/git_source_test.cc); on no git source it is refused.
  auto git = BuildDockerfile("FROM busybox\nADD --keep-git-dir Dockerfile /r\n");
  EXPECT_NE(git.exit_code, 0);
  EXPECT_HAS(git.err, "--keep-git-dir keeps the .git directory of a git source, and no source is a git repository");
  auto platform = BuildDockerfile("FROM --platform=linux/arm64 busybox\nRUN true\n");
  EXPECT_NE(platform.exit_code, 0);
  // Honoured now (issue 20): a base without that platform says which it has.
  EXPECT_HAS(platform.err, "Dockerfile:1:1: image busybox is for linux/amd64 only, not linux/arm64");
}

TEST_F(ConformanceTest, OutputKeysThatWouldBeIgnoredAreRefusedBeforeTheBuild) {
  TempDir out;
  auto unknown = BuildDockerfile("FROM busybox\nRUN echo should-not-run\n",
                                 {"-t", "o:1", "--output", "type=oci,dest=" + out / "a.tar" + ",name=x"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_HAS(unknown.err, "--output type=oci,dest=" + out / "a.tar" + ",name=x: unknown key \"name\" for type=oci");
  EXPECT_EQ(unknown.err.find("should-not-run"), std::string::npos) << "the build ran: " << unknown.err;
  auto compression = BuildDockerfile("FROM busybox\n", {"-t", "o:1", "--output",
                                                        "type=oci,dest=" + out / "b.tar" + ",compression=zstd"});
  EXPECT_NE(compression.exit_code, 0);
  EXPECT_HAS(compression.err, "the layers are gzip");
  // The same compression as --compression is honoured: the archive is written.
  auto same = BuildDockerfile("FROM busybox\n", {"-t", "o:1", "--compression", "zstd", "--output",
                                                 "type=oci,dest=" + out / "c.tar" + ",compression=zstd"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(access((out / "c.tar").c_str(), F_OK), 0);
}

TEST_F(ConformanceTest, FromScratchIsNotCountedAsAStep) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nRUN true\nFROM scratch\nCOPY a /a\n");
  WriteTextFile(ctx / "a", "a");
  auto r = Build(ctx.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "[stage-1 1/1] COPY a /a");
  EXPECT_EQ(r.err.find("FROM scratch"), std::string::npos) << r.err;
}

TEST_F(ConformanceTest, SocketInTheContextIsCopiedAsAnEmptyFile) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile", "FROM busybox\nCOPY . /ctx/\nRUN test -f /ctx/sock && test ! -s /ctx/sock\n");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = ctx / "sock";
  ASSERT_LT(path.size(), sizeof addr.sun_path);
  std::copy(path.begin(), path.end(), addr.sun_path);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto r = Build(ctx.path());
  ::close(fd);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ConformanceTest, ProxyBuildArgSetsBothSpellingsInRun) {
  auto r = BuildDockerfile("FROM busybox\nRUN [ \"$HTTP_PROXY\" = http://p:3128 ] && [ \"$http_proxy\" = http://p:3128 ]\n",
                           {"--build-arg", "http_proxy=http://p:3128"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ConformanceTest, SecretValuesAreMaskedInRunOutput) {
  TempDir ctx;
  WriteTextFile(ctx / "pw", "s3cret-pw");
  WriteTextFile(ctx / "Dockerfile",
                "FROM busybox\nRUN --mount=type=secret,id=pw echo \"[ $(cat /run/secrets/pw) == pw ]\"; exit 1\n");
  auto r = Build(ctx.path(), {"--secret", "id=pw,src=" + ctx / "pw"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "[ **** == pw ]");
  EXPECT_EQ(r.err.find("s3cret-pw"), std::string::npos) << r.err;
}

// The value is masked in the instruction's own text too: its progress title and its error.
TEST_F(ConformanceTest, SecretValuesAreMaskedInTheShownInstruction) {
  TempDir ctx;
  WriteTextFile(ctx / "pw", "s3cret-pw");
  WriteTextFile(ctx / "Dockerfile",
                "FROM busybox\nRUN --mount=type=secret,id=pw [ \"$(cat /run/secrets/pw)\" = s3cret-pw ] && exit 7\n");
  auto r = Build(ctx.path(), {"--secret", "id=pw,src=" + ctx / "pw"});  // Build() already asks for plain progress
  EXPECT_NE(r.exit_code, 0);
  EXPECT_HAS(r.err, "#2 [2/2] RUN --mount=type=secret,id=pw [ \"$(cat /run/secrets/pw)\" = **** ] && exit 7\n");
  EXPECT_HAS(r.err, "exit code 7");
  EXPECT_EQ(r.err.find("s3cret-pw"), std::string::npos) << r.err;
}

TEST_F(ConformanceTest, CacheMountFromAStageIsSeededFromItsDirectory) {
  TempDir ctx;
  WriteTextFile(ctx / "Dockerfile",
                "FROM busybox AS seed\nRUN mkdir -p /data/sub && echo seeded > /data/sub/f && echo stage > /etc/marker\n"
                "FROM busybox\n"
                "RUN --mount=type=cache,id=c1,from=seed,source=/data,target=/c cat /c/sub/f > /got\n"
                // source is confined to the stage: "../.." stops at its root
                "RUN --mount=type=cache,id=c2,from=seed,source=../../../etc,target=/e cat /e/marker > /got-etc\n");
  auto r = Build(ctx.path(), {"-t", "seeded:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = Cairn(root(), {"run", "--rm", "seeded:1", "cat", "/got", "/got-etc"});
  EXPECT_EQ(got.out, "seeded\nstage\n") << got.err;
}

// BuildKit's testExcludedFilesOnCopy (frontend/dockerfile/exclude_patterns_test.go), the plain
// directory half: --exclude patterns match relative to each source, also to each directory a
// wildcard source matches, and a pattern with '/' ("*/*.png") matches one level down.
TEST_F(ConformanceTest, ExcludePatternsMatchAsInBuildKitsOwnTest) {
  TempDir ctx;
  for (const char* d : {"dir1", "dir2", "dir3", "dir4"}) std::filesystem::create_directory(ctx / std::string(d));
  std::map<std::string, std::string> files = {
      {"dir1/file-101.png", "2"},  {"dir1/file-102.txt", "3"},  {"dir1/file-103.jpeg", "4"},
      {"dir2/file-201.pdf", "6"},  {"dir2/file-202.jpeg", "7"}, {"dir2/file-203.png", "8"},
      {"dir3/file-301.mp3", "9"},  {"dir3/file-302.mpeg", "10"}, {"dir4/file-401.txt", "11"}};
  for (auto& [name, text] : files) WriteTextFile(ctx / name, text);
  std::filesystem::create_symlink("file-401.txt", ctx / "dir4/file-402.txt");
  std::filesystem::create_symlink("file-404.txt", ctx / "dir4/file-403.txt");
  WriteTextFile(ctx / "Dockerfile",
                "FROM scratch AS builder1\nCOPY --exclude=*/*.png --exclude=*/*.jpeg . /1\n"
                "FROM scratch AS builder2\nCOPY --exclude=*/*.pdf --exclude=*/*.txt . /2\n"
                "FROM scratch AS builder3\nADD --exclude=*.mp3 dir3/ /3/\n"
                "FROM scratch AS builder4\n"
                "COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf --exclude=*.txt dir* /4/\n"
                "FROM scratch AS builder5\nADD --exclude=*.mp* --exclude=*.jpeg --exclude=*.png --exclude=*.pdf dir* /5\n"
                "FROM scratch AS builder6\nADD --exclude=* dir* /6\n"
                "FROM scratch\nCOPY --from=builder1 / /builder1\nCOPY --from=builder2 / /builder2\n"
                "COPY --from=builder3 / /builder3\nCOPY --from=builder4 / /builder4\n"
                "COPY --from=builder5 / /builder5\nCOPY --from=builder6 / /builder6\n");
  TempDir out;
  auto r = Build(ctx.path(), {"-o", "type=local,dest=" + (out / "fs")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // BuildKit's table: a path and its content (a link's target), or "" for excluded.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"builder1/1/dir1/file-101.png", ""},       {"builder1/1/dir1/file-102.txt", "3"},
      {"builder1/1/dir1/file-103.jpeg", ""},      {"builder1/1/dir2/file-201.pdf", "6"},
      {"builder1/1/dir2/file-202.jpeg", ""},      {"builder1/1/dir2/file-203.png", ""},
      {"builder1/1/dir3/file-301.mp3", "9"},      {"builder1/1/dir3/file-302.mpeg", "10"},
      {"builder1/1/dir4/file-401.txt", "11"},     {"builder1/1/dir4/file-402.txt", "file-401.txt"},
      {"builder1/1/dir4/file-403.txt", "file-404.txt"},
      {"builder2/2/dir1/file-101.png", "2"},      {"builder2/2/dir1/file-102.txt", ""},
      {"builder2/2/dir1/file-103.jpeg", "4"},     {"builder2/2/dir2/file-201.pdf", ""},
      {"builder2/2/dir2/file-202.jpeg", "7"},     {"builder2/2/dir2/file-203.png", "8"},
      {"builder2/2/dir3/file-301.mp3", "9"},      {"builder2/2/dir3/file-302.mpeg", "10"},
      {"builder2/2/dir4/file-401.txt", ""},       {"builder2/2/dir4/file-402.txt", ""},
      {"builder2/2/dir4/file-403.txt", ""},
      {"builder3/3/file-301.mp3", ""},            {"builder3/3/file-302.mpeg", "10"},
      {"builder4/4/file-101.png", ""},            {"builder4/4/file-102.txt", ""},
      {"builder4/4/file-103.jpeg", ""},           {"builder4/4/file-201.pdf", ""},
      {"builder4/4/file-202.jpeg", ""},           {"builder4/4/file-203.png", ""},
      {"builder4/4/file-301.mp3", ""},            {"builder4/4/file-302.mpeg", "10"},
      {"builder4/4/dir4/file-401.txt", ""},       {"builder4/4/dir4/file-402.txt", ""},
      {"builder4/4/dir4/file-403.txt", ""},
      {"builder5/5/file-101.png", ""},            {"builder5/5/file-102.txt", "3"},
      {"builder5/5/file-103.jpeg", ""},           {"builder5/5/file-201.pdf", ""},
      {"builder5/5/file-202.jpeg", ""},           {"builder5/5/file-203.png", ""},
      {"builder5/5/file-301.mp3", ""},            {"builder5/5/file-302.mpeg", ""},
      {"builder5/5/file-401.txt", "11"},          {"builder5/5/file-402.txt", "file-401.txt"},
      {"builder5/5/file-403.txt", "file-404.txt"}};
  for (auto& [name, content] : expected) {
    std::filesystem::path p = out / ("fs/" + name);
    bool exists = std::filesystem::symlink_status(p).type() != std::filesystem::file_type::not_found;
    if (content.empty()) {
      EXPECT_FALSE(exists) << name << " should be excluded";
      continue;
    }
    ASSERT_TRUE(exists) << name << " should be there";
    std::string got = std::filesystem::is_symlink(p) ? std::filesystem::read_symlink(p).string() : ReadFile(p.string());
    EXPECT_EQ(got, content) << name;
  }
  EXPECT_TRUE(std::filesystem::is_empty(out / "fs/builder6/6")) << "every file excluded";
}

}  // namespace
}  // namespace cairn::testing

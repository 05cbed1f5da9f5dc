// The step cache through the real binary: misses are explained, the context digest index never
// hides a change, --no-cache-filter.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class CacheTest : public ::testing::Test {
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

  CommandResult Build(const std::string& tag, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", tag};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ctx_.path());
    auto r = Cairn(Root(), args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }
  // Whether the step whose progress label contains `label` was CACHED.
  static bool Cached(const CommandResult& r, const std::string& label) {
    std::smatch m;
    std::regex started("#([0-9]+) \\[[^\\]]*\\] " + std::regex_replace(label, std::regex(R"([$.\[\]()*+?^|\\])"), R"(\$&)"));
    if (!std::regex_search(r.err, m, started)) {
      ADD_FAILURE() << "no step " << label << " in\n" << r.err;
      return false;
    }
    return r.err.find("#" + m[1].str() + " CACHED\n") != std::string::npos;
  }
  static int Count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
    return n;
  }
  std::string RunIn(const std::string& tag, const std::string& script) {
    auto r = Cairn(Root(), {"run", "--rm", tag, "sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* CacheTest::store_ = nullptr;

TEST_F(CacheTest, FirstMissNamesTheChangedContextFileOnce) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nCOPY src /src\nRUN cat /src/a /src/b > /ab\n");
  WriteTextFile(ctx_ / "src/a", "a\n");
  WriteTextFile(ctx_ / "src/b", "b\n");
  auto first = Build("miss:file");
  EXPECT_NE(first.err.find("cache miss: no previous build of this step"), std::string::npos) << first.err;
  auto warm = Build("miss:file");
  EXPECT_TRUE(Cached(warm, "COPY src /src"));
  EXPECT_EQ(Count(warm.err, "cache miss"), 0) << warm.err;
  WriteTextFile(ctx_ / "src/b", "B\n");
  auto r = Build("miss:file");
  EXPECT_NE(r.err.find("cache miss: context file src/b changed"), std::string::npos) << r.err;
  EXPECT_EQ(Count(r.err, "cache miss"), 1) << "the RUN after it misses because the COPY did" << r.err;
  EXPECT_EQ(RunIn("miss:file", "cat /ab"), "a\nB\n");
}

TEST_F(CacheTest, MissNamesTheInstructionOrTheBuildArg) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nARG V=1\nRUN echo $V > /v\nRUN echo one\n");
  Build("miss:arg");
  auto arg = Build("miss:arg", {"--build-arg", "V=2"});
  EXPECT_NE(arg.err.find("cache miss: build arg V changed: was \"1\", now \"2\""), std::string::npos) << arg.err;
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nARG V=1\nRUN echo $V > /v\nRUN echo two\n");
  auto text = Build("miss:arg", {"--build-arg", "V=2"});
  EXPECT_TRUE(Cached(text, "RUN echo $V > /v"));
  EXPECT_NE(text.err.find("cache miss: instruction changed: was \"RUN echo one\", now \"RUN echo two\""),
            std::string::npos)
      << text.err;
}

TEST_F(CacheTest, ABuildArgCopyDoesNotUseKeepsCopyCachedAndRerunsTheRunThatDoes) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nARG V=1\nCOPY f /f\nRUN echo $V > /v\n");
  WriteTextFile(ctx_ / "f", "data\n");
  Build("arg:copy");
  auto changed = Build("arg:copy", {"--build-arg", "V=2"});
  EXPECT_TRUE(Cached(changed, "COPY f /f"));
  EXPECT_FALSE(Cached(changed, "RUN echo $V > /v"));
  EXPECT_NE(changed.err.find("cache miss: build arg V changed"), std::string::npos) << changed.err;
  EXPECT_EQ(RunIn("arg:copy", "cat /v"), "2\n");
}

TEST_F(CacheTest, MissNamesTheNewBaseImageAndJsonCarriesIt) {
  ASSERT_EQ(Cairn(Root(), {"tag", "busybox:latest", "moving-base:1"}).exit_code, 0);
  WriteTextFile(ctx_ / "Dockerfile", "FROM moving-base:1\nRUN echo app > /app\n");
  Build("miss:base");
  // Another image takes the name: the next build starts from a new base digest.
  TempDir other;
  WriteTextFile(other / "Dockerfile", "FROM busybox\nRUN echo other > /other\n");
  ASSERT_EQ(Cairn(Root(), {"build", "-t", "moving-base:1", other.path()}).exit_code, 0);
  auto r = Cairn(Root(), {"build", "--progress", "json", "-t", "miss:base", ctx_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("\"event\":\"cache-miss\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("base image moving-base:1 changed: was sha256:"), std::string::npos) << r.err;
}

TEST_F(CacheTest, TouchedIdenticalFileHitsAndChangedFileMissesWithTheIndex) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nCOPY . /ctx\n");
  WriteTextFile(ctx_ / "same.txt", "unchanged\n");
  WriteTextFile(ctx_ / "edit.txt", "before\n");
  // The index trusts only files that have not changed for a second (a same-tick rewrite would
  // not show in their times); let that pass so that this build fills it.
  ::sleep(2);
  Build("index:1");
  ASSERT_FALSE(ListDir(Root() + "/cache-hints/context-index").empty()) << "the build kept no context index";

  // Touched, same bytes: the file is read again (its times changed) and the step still hits.
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ / "same.txt").c_str(), nullptr, 0), 0);
  EXPECT_TRUE(Cached(Build("index:1"), "COPY . /ctx"));

  // Edited in place to the same size with its old mtime put back: ctime still tells.
  struct stat st{};
  ASSERT_EQ(::stat((ctx_ / "edit.txt").c_str(), &st), 0);
  WriteTextFile(ctx_ / "edit.txt", "AFTER!\n");
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ / "edit.txt").c_str(), times, 0), 0);
  auto r = Build("index:1");
  EXPECT_FALSE(Cached(r, "COPY . /ctx"));
  EXPECT_NE(r.err.find("cache miss: context file edit.txt changed"), std::string::npos) << r.err;
  EXPECT_EQ(RunIn("index:1", "cat /ctx/edit.txt"), "AFTER!\n");
}

TEST_F(CacheTest, ABindMountedContextFileGoesThroughTheIndexToo) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN --mount=type=bind,source=in.txt,target=/in cat /in > /out\n");
  WriteTextFile(ctx_ / "in.txt", "before\n");
  ::sleep(2);  // see above: the index trusts files older than a second
  Build("bind:1");
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ / "in.txt").c_str(), nullptr, 0), 0);
  EXPECT_TRUE(Cached(Build("bind:1"), "RUN --mount=type=bind,source=in.txt,target=/in cat /in > /out"));
  struct stat st{};
  ASSERT_EQ(::stat((ctx_ / "in.txt").c_str(), &st), 0);
  WriteTextFile(ctx_ / "in.txt", "AFTER!\n");
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx_ / "in.txt").c_str(), times, 0), 0);
  EXPECT_FALSE(Cached(Build("bind:1"), "RUN --mount=type=bind,source=in.txt,target=/in cat /in > /out"));
  EXPECT_EQ(RunIn("bind:1", "cat /out"), "AFTER!\n");
}

TEST_F(CacheTest, NoCacheFilterRebuildsOnlyTheNamedStages) {
  WriteTextFile(ctx_ / "Dockerfile",
                "FROM busybox AS deps\nRUN echo deps > /deps\n"
                "FROM busybox AS tools\nRUN echo tools > /tools\n"
                "FROM busybox\nCOPY --from=deps /deps /deps\nCOPY --from=tools /tools /tools\nRUN echo final\n");
  Build("filter:1");
  auto r = Build("filter:1", {"--no-cache-filter", "deps"});
  EXPECT_FALSE(Cached(r, "RUN echo deps > /deps"));
  EXPECT_TRUE(Cached(r, "RUN echo tools > /tools"));
  // deps made the same layer again, so the stages after it still hit.
  EXPECT_TRUE(Cached(r, "RUN echo final"));
  EXPECT_EQ(Count(r.err, "cache miss"), 0) << "a miss asked for needs no explanation\n" << r.err;
  // A comma list, any case; the filtered steps were recorded again, so a plain build hits.
  auto both = Build("filter:1", {"--no-cache-filter", "DEPS,tools"});
  EXPECT_FALSE(Cached(both, "RUN echo deps > /deps"));
  EXPECT_FALSE(Cached(both, "RUN echo tools > /tools"));
  EXPECT_TRUE(Cached(Build("filter:1"), "RUN echo deps > /deps"));
}

}  // namespace
}  // namespace cairn::testing

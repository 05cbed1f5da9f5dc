#include "builder/copy.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <fstream>

#include "base/error.h"
#include "base/fs.h"
#include "frontend/dockerignore.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

// A tar holding one regular file under an arbitrary (possibly hostile) name.
void WriteTarWithEntry(const std::string& path, const std::string& name, const std::string& content) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, path.c_str());
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  archive_write_header(a, e);
  archive_write_data(a, content.data(), content.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = MakeTempDir("/tmp", "cairn-ctx-");
    dst_ = MakeTempDir("/tmp", "cairn-dst-");
  }
  void TearDown() override {
    RemoveAll(ctx_);
    RemoveAll(dst_);
  }
  void Write(const std::string& rel, const std::string& text, mode_t mode = 0644) {
    std::string p = JoinPath(ctx_, rel);
    MakeDirs(p.substr(0, p.rfind('/')));
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
  }
  struct stat Stat(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(::lstat(JoinPath(dst_, rel).c_str(), &st), 0) << rel;
    return st;
  }
  void Copy(std::vector<std::string> patterns, const std::string& dest, bool dest_is_dir = false) {
    CopyRequest r;
    r.src_root = ctx_;
    r.sources = MatchSources(ctx_, patterns, nullptr);
    r.dst_root = dst_;
    r.dest = dest;
    r.dest_is_dir = dest_is_dir;
    ExecuteCopy(r);
  }
  std::string ctx_, dst_;
};

TEST_F(CopyTest, WildcardMatchesWithinOneComponent) {
  Write("a.txt", "a");
  Write("b.txt", "b");
  Write("sub/c.txt", "c");
  EXPECT_EQ(MatchSources(ctx_, {"*.txt"}, nullptr), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(MatchSources(ctx_, {"*/c.txt"}, nullptr), (std::vector<std::string>{"sub/c.txt"}));
}

TEST_F(CopyTest, MissingSourceNamesThePattern) {
  try {
    MatchSources(ctx_, {"nope.txt"}, nullptr);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"nope.txt\": not found"), std::string::npos) << e.what();
  }
}

TEST_F(CopyTest, ParentDirsInPatternsNeverLeaveTheContext) {
  Write("a.txt", "a");
  EXPECT_EQ(MatchSources(ctx_, {"../../a.txt"}, nullptr), (std::vector<std::string>{"a.txt"}));
}

TEST_F(CopyTest, FileToPathWithoutSlashIsTheFile) {
  Write("a.txt", "hello", 0640);
  Copy({"a.txt"}, "/opt/b.txt");
  EXPECT_EQ(ReadFile(dst_ + "/opt/b.txt"), "hello");
  EXPECT_EQ(Stat("opt/b.txt").st_mode & 07777, 0640u);
  EXPECT_EQ(Stat("opt").st_mode & 07777, 0755u);
}

TEST_F(CopyTest, TrailingSlashCopiesIntoDirectory) {
  Write("a.txt", "hello");
  Copy({"a.txt"}, "/opt/", true);
  EXPECT_EQ(ReadFile(dst_ + "/opt/a.txt"), "hello");
}

TEST_F(CopyTest, DirectorySourceCopiesItsContentsNotItself) {
  Write("src/x/y.txt", "y");
  Copy({"src"}, "/app");
  EXPECT_EQ(ReadFile(dst_ + "/app/x/y.txt"), "y");
  EXPECT_FALSE(PathExists(dst_ + "/app/src"));
}

TEST_F(CopyTest, SymlinksAreCopiedAsLinks) {
  Write("real.txt", "r");
  MakeDirs(ctx_ + "/dir");
  ASSERT_EQ(::symlink("../real.txt", (ctx_ + "/dir/link").c_str()), 0);
  Copy({"dir"}, "/d");
  EXPECT_TRUE(S_ISLNK(Stat("d/link").st_mode));
}

TEST_F(CopyTest, HardlinksWithinOneCopyStayLinked) {
  Write("h/one", "same");
  ASSERT_EQ(::link((ctx_ + "/h/one").c_str(), (ctx_ + "/h/two").c_str()), 0);
  Copy({"h"}, "/h");
  EXPECT_EQ(Stat("h/one").st_ino, Stat("h/two").st_ino);
}

TEST_F(CopyTest, ChmodAndChownApplyToCopiedFiles) {
  Write("a.sh", "#!/bin/sh\n", 0600);
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"a.sh"};
  r.dst_root = dst_;
  r.dest = "/bin/a.sh";
  r.chmod = ChmodSpec::Parse("755");
  r.uid = 1000;
  r.gid = 1000;
  ExecuteCopy(r);
  auto st = Stat("bin/a.sh");
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
}

TEST_F(CopyTest, SourceMtimeIsKept) {
  Write("a.txt", "a");
  struct utimbuf t = {1234567, 1234567};
  ASSERT_EQ(::utime((ctx_ + "/a.txt").c_str(), &t), 0);
  Copy({"a.txt"}, "/a.txt");
  EXPECT_EQ(Stat("a.txt").st_mtime, 1234567);
}

TEST_F(CopyTest, ContextCopiesGetTheFixedMtime) {
  Write("a.txt", "a");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"a.txt"};
  r.dst_root = dst_;
  r.dest = "/a.txt";
  r.fixed_mtime = 42;
  ExecuteCopy(r);
  EXPECT_EQ(Stat("a.txt").st_mtime, 42);
}

TEST_F(CopyTest, DigestIgnoresMtimeButSeesContentAndMode) {
  Write("a.txt", "a");
  std::string d1 = DigestSources(ctx_, {"a.txt"}, nullptr);
  struct utimbuf t = {99, 99};
  ::utime((ctx_ + "/a.txt").c_str(), &t);
  EXPECT_EQ(DigestSources(ctx_, {"a.txt"}, nullptr), d1);
  ::chmod((ctx_ + "/a.txt").c_str(), 0600);
  std::string d2 = DigestSources(ctx_, {"a.txt"}, nullptr);
  EXPECT_NE(d2, d1);
  Write("a.txt", "b", 0600);
  EXPECT_NE(DigestSources(ctx_, {"a.txt"}, nullptr), d2);
}

TEST_F(CopyTest, HeredocSourceBecomesAFile) {
  CopyRequest r;
  r.dst_root = dst_;
  r.dest = "/etc/app.conf";
  r.inline_files = {{"EOF", "port=80\n"}};
  ExecuteCopy(r);
  EXPECT_EQ(ReadFile(dst_ + "/etc/app.conf"), "port=80\n");
  EXPECT_EQ(Stat("etc/app.conf").st_mode & 07777, 0644u);
}

TEST_F(CopyTest, ExcludeSkipsMatchingFilesAtAnyDepth) {
  Write("src/keep.c", "k");
  Write("src/drop.o", "d");
  Write("src/sub/drop2.o", "d");
  auto exclude = frontend::IgnoreMatcher::Parse("**/*.o\n");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"src"};
  r.dst_root = dst_;
  r.dest = "/app";
  r.exclude = &exclude;
  ExecuteCopy(r);
  EXPECT_TRUE(PathExists(dst_ + "/app/keep.c"));
  EXPECT_FALSE(PathExists(dst_ + "/app/drop.o"));
  EXPECT_FALSE(PathExists(dst_ + "/app/sub/drop2.o"));
}

TEST_F(CopyTest, ParentsKeepsSourceDirectories) {
  Write("a/b/c.txt", "c");
  Write("x/y.txt", "y");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = MatchSources(ctx_, {"a/b/c.txt", "x"}, nullptr);
  r.dst_root = dst_;
  r.dest = "/out";
  r.dest_is_dir = true;
  r.parents = true;
  ExecuteCopy(r);
  EXPECT_EQ(ReadFile(dst_ + "/out/a/b/c.txt"), "c");
  EXPECT_EQ(ReadFile(dst_ + "/out/x/y.txt"), "y");
}

TEST_F(CopyTest, AddExtractsLocalTarballs) {
  Write("tree/bin/tool", "#!/bin/sh\n", 0755);
  auto tar = testing::RunCommand({"tar", "-czf", ctx_ + "/tool.tar.gz", "-C", ctx_ + "/tree", "."});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"tool.tar.gz"};
  r.dst_root = dst_;
  r.dest = "/opt/";
  r.dest_is_dir = true;
  r.extract_archives = true;
  ExecuteCopy(r);
  EXPECT_EQ(ReadFile(dst_ + "/opt/bin/tool"), "#!/bin/sh\n");
  EXPECT_EQ(Stat("opt/bin/tool").st_mode & 07777, 0755u);
}

TEST_F(CopyTest, AddRefusesArchiveEntriesThatEscape) {
  // An archive whose entry climbs out with "..": nothing may land outside the destination.
  WriteTarWithEntry(ctx_ + "/evil.tar", "../../escaped", "x");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"evil.tar"};
  r.dst_root = dst_;
  r.dest = "/opt/";
  r.dest_is_dir = true;
  r.extract_archives = true;
  EXPECT_THROW(ExecuteCopy(r), Error);
  EXPECT_FALSE(PathExists(dst_ + "/escaped"));
  EXPECT_FALSE(PathExists(dst_ + "/../escaped"));
}

// --- what BuildKit's and moby's tests assert (issue 15) ---

TEST_F(CopyTest, WildcardMatchingNothingIsSkippedBesideAMatch) {
  Write("foo", "f");
  EXPECT_EQ(MatchSources(ctx_, {"foo", "nomatch*"}, nullptr), std::vector<std::string>{"foo"});
  EXPECT_THROW(MatchSources(ctx_, {"nomatch*"}, nullptr), Error);
  EXPECT_TRUE(MatchSources(ctx_, {"nomatch*/*.txt"}, nullptr, /*parents=*/true).empty());
}

TEST_F(CopyTest, AbsoluteSymlinkInTheSourceResolvesInsideIt) {
  Write("real/foo", "inside");
  ASSERT_EQ(::symlink("/real", (ctx_ + "/sub").c_str()), 0);
  EXPECT_EQ(MatchSources(ctx_, {"/sub/foo"}, nullptr), std::vector<std::string>{"sub/foo"});
  Copy({"/sub/foo"}, "/got");
  EXPECT_EQ(ReadFile(dst_ + "/got"), "inside");
}

TEST_F(CopyTest, ParentsPivotKeepsWhatFollowsAndGlobstarMatchesAnyDepth) {
  Write("x/y/a.txt", "a");
  Write("src/top.txt", "t");
  Write("src/a/b/deep.txt", "d");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = MatchSources(ctx_, {"./x/./y/*.txt", "src/**/*.txt"}, nullptr, /*parents=*/true);
  r.dst_root = dst_;
  r.dest = "/p";
  r.dest_is_dir = true;
  r.parents = true;
  ExecuteCopy(r);
  EXPECT_EQ(ReadFile(dst_ + "/p/y/a.txt"), "a");
  EXPECT_FALSE(PathExists(dst_ + "/p/x"));
  EXPECT_EQ(ReadFile(dst_ + "/p/src/top.txt"), "t");
  EXPECT_EQ(ReadFile(dst_ + "/p/src/a/b/deep.txt"), "d");
}

TEST_F(CopyTest, ExcludeIsRelativeToEachSource) {
  Write("docs/a.txt", "a");
  Write("docs/m.md", "m");
  auto exclude = frontend::IgnoreMatcher::Parse("*.md\n");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"docs"};
  r.dst_root = dst_;
  r.dest = "/d";
  r.exclude = &exclude;
  ExecuteCopy(r);
  EXPECT_TRUE(PathExists(dst_ + "/d/a.txt"));
  EXPECT_FALSE(PathExists(dst_ + "/d/m.md"));
}

TEST_F(CopyTest, IgnoreExceptionsBelowAnExcludedDirectoryComeBack) {
  Write("docs/keep.md", "k");
  Write("docs/drop.md", "d");
  auto ignore = frontend::IgnoreMatcher::Parse("docs\n!docs/keep.md\n");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = MatchSources(ctx_, {"."}, &ignore);
  r.dst_root = dst_;
  r.dest = "/c";
  r.ignore = &ignore;
  ExecuteCopy(r);
  EXPECT_EQ(ReadFile(dst_ + "/c/docs/keep.md"), "k");
  EXPECT_FALSE(PathExists(dst_ + "/c/docs/drop.md"));
}

TEST_F(CopyTest, ChmodAppliesToTheParentsItCreates) {
  Write("a.txt", "a");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"a.txt"};
  r.dst_root = dst_;
  r.dest = "/deep/er";
  r.dest_is_dir = true;
  r.chmod = ChmodSpec::Parse("0750");
  ExecuteCopy(r);
  EXPECT_EQ(Stat("deep").st_mode & 07777, 0750u);
  EXPECT_EQ(Stat("deep/er").st_mode & 07777, 0750u);
  EXPECT_EQ(Stat("deep/er/a.txt").st_mode & 07777, 0750u);
}

TEST_F(CopyTest, SocketBecomesAnEmptyFile) {
  auto made = testing::RunCommand({"python3", "-c", "import socket; socket.socket(socket.AF_UNIX).bind('" + ctx_ + "/sock')"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  Copy({"sock"}, "/s");
  EXPECT_TRUE(S_ISREG(Stat("s").st_mode));
  EXPECT_EQ(Stat("s").st_size, 0);
}

TEST_F(CopyTest, AddExtractsThroughALinkInTheImageAndKeepsIt) {
  MakeDirs(dst_ + "/run");
  MakeDirs(dst_ + "/var");
  ASSERT_EQ(::symlink("/run", (dst_ + "/var/run").c_str()), 0);
  WriteTarWithEntry(ctx_ + "/run.tar", "var/run/app.pid", "42");
  CopyRequest r;
  r.src_root = ctx_;
  r.sources = {"run.tar"};
  r.dst_root = dst_;
  r.dest = "/";
  r.dest_is_dir = true;
  r.extract_archives = true;
  r.uid = 1000;
  r.gid = 50;
  ExecuteCopy(r);
  EXPECT_TRUE(S_ISLNK(Stat("var/run").st_mode));
  EXPECT_EQ(ReadFile(dst_ + "/run/app.pid"), "42");
  EXPECT_EQ(Stat("run/app.pid").st_uid, 1000u);  // ADD --chown owns what the archive unpacks
  EXPECT_EQ(Stat("run/app.pid").st_gid, 50u);
}

}  // namespace
}  // namespace cairn::builder

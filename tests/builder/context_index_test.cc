#include "builder/context_index.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "base/digest.h"
#include "base/fs.h"
#include "builder/copy.h"
#include "tests/support/harness.h"

namespace cairn::builder {
namespace {

using std::chrono::nanoseconds;

class ContextIndexTest : public ::testing::Test {
 protected:
  struct stat Stat(const std::string& path) {
    struct stat st{};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st;
  }
  std::string Digest(ContextIndex& index, const std::string& rel) {
    std::string path = ctx() + "/" + rel;
    return index.FileDigest(path, Stat(path));
  }
  std::string ctx() const { return dir_ / "ctx"; }
  std::string store() const { return dir_ / "store"; }

  testing::TempDir dir_;
};

TEST_F(ContextIndexTest, UnchangedFileIsNotReadAgainByTheNextBuild) {
  testing::WriteTextFile(ctx() + "/a.txt", "hello");
  ContextIndex first(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(Digest(first, "a.txt"), DigestOf("hello"));
  EXPECT_EQ(first.files_read(), 1);
  first.Save();
  ContextIndex second(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(Digest(second, "a.txt"), DigestOf("hello"));
  EXPECT_EQ(second.files_read(), 0);
}

TEST_F(ContextIndexTest, ChangedSizeOrReplacedFileIsReadAgain) {
  testing::WriteTextFile(ctx() + "/a.txt", "hello");
  testing::WriteTextFile(ctx() + "/b.txt", "hello");
  ContextIndex first(store(), ctx(), nanoseconds(0));
  Digest(first, "a.txt");
  Digest(first, "b.txt");
  first.Save();
  struct stat old_b = Stat(ctx() + "/b.txt");
  testing::WriteTextFile(ctx() + "/a.txt", "hello, world");  // in place, longer
  // b: same size and same mtime, but another file (inode) renamed over it.
  testing::WriteTextFile(ctx() + "/b.new", "HELLO");
  struct timespec times[2] = {old_b.st_atim, old_b.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ctx() + "/b.new").c_str(), times, 0), 0);
  ASSERT_EQ(std::rename((ctx() + "/b.new").c_str(), (ctx() + "/b.txt").c_str()), 0);
  ContextIndex second(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(Digest(second, "a.txt"), DigestOf("hello, world"));
  EXPECT_EQ(Digest(second, "b.txt"), DigestOf("HELLO"));
  EXPECT_EQ(second.files_read(), 2);
}

TEST_F(ContextIndexTest, JustWrittenFileIsNotTrusted) {
  // With the default settle time a file changed a moment ago is read on every build: its
  // times could not show a rewrite within the same clock tick.
  testing::WriteTextFile(ctx() + "/a.txt", "hello");
  ContextIndex first(store(), ctx());
  Digest(first, "a.txt");
  first.Save();
  ContextIndex second(store(), ctx());
  Digest(second, "a.txt");
  EXPECT_EQ(second.files_read(), 1);
}

TEST_F(ContextIndexTest, DamagedIndexOnlyMeansReading) {
  testing::WriteTextFile(ctx() + "/a.txt", "hello");
  ContextIndex first(store(), ctx(), nanoseconds(0));
  Digest(first, "a.txt");
  first.Save();
  std::string text = ReadFile(first.path());
  // A wrong digest in a well-formed line would be believed, so damage the format instead.
  WriteFileAtomic(first.path(), text.substr(0, text.size() - 4));
  ContextIndex second(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(Digest(second, "a.txt"), DigestOf("hello"));
  WriteFileAtomic(first.path(), "garbage\n");
  ContextIndex third(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(Digest(third, "a.txt"), DigestOf("hello"));
  EXPECT_EQ(third.files_read(), 1);
}

TEST_F(ContextIndexTest, EachContextHasItsOwnIndex) {
  testing::WriteTextFile(ctx() + "/a.txt", "one");
  testing::WriteTextFile(dir_ / "other/a.txt", "two");
  ContextIndex first(store(), ctx(), nanoseconds(0));
  Digest(first, "a.txt");
  first.Save();
  ContextIndex other(store(), dir_ / "other", nanoseconds(0));
  std::string path = dir_ / "other/a.txt";
  EXPECT_EQ(other.FileDigest(path, Stat(path)), DigestOf("two"));
  EXPECT_NE(other.path(), first.path());
}

TEST_F(ContextIndexTest, ThreadsShareOneIndex) {
  for (int i = 0; i < 40; i++) testing::WriteTextFile(ctx() + "/f" + std::to_string(i), std::to_string(i));
  ContextIndex index(store(), ctx(), nanoseconds(0));
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; i++)
        if (Digest(index, "f" + std::to_string(i)) != DigestOf(std::to_string(i))) wrong[static_cast<size_t>(t)]++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  index.Save();
  ContextIndex again(store(), ctx(), nanoseconds(0));
  for (int i = 0; i < 40; i++) Digest(again, "f" + std::to_string(i));
  EXPECT_EQ(again.files_read(), 0);
}

TEST_F(ContextIndexTest, DigestSourcesIsTheSameWithOrWithoutTheIndex) {
  testing::WriteTextFile(ctx() + "/src/a.c", "int a;");
  testing::WriteTextFile(ctx() + "/src/b.c", "int b;");
  std::string plain = DigestSources(ctx(), {"src"}, nullptr);
  ContextIndex index(store(), ctx(), nanoseconds(0));
  std::map<std::string, std::string> entries;
  EXPECT_EQ(DigestSources(ctx(), {"src"}, nullptr, &index, &entries), plain);
  index.Save();
  ContextIndex warm(store(), ctx(), nanoseconds(0));
  EXPECT_EQ(DigestSources(ctx(), {"src"}, nullptr, &warm), plain);
  EXPECT_EQ(warm.files_read(), 0);
  // The per-entry listing names every path below the sources (to explain misses).
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(entries.count("src/a.c"));
  EXPECT_NE(entries["src/a.c"].find(DigestOf("int a;")), std::string::npos);
}

}  // namespace
}  // namespace cairn::builder

#include "store/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TempDirTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

class StoreTest : public TempDirTest {};

TEST_F(StoreTest, OpeningCreatesAnOciLayout) {
  Store s(Path("root"));
  EXPECT_EQ(json::parse(ReadFile(Path("root/oci-layout"))), json::parse(R"({"imageLayoutVersion":"1.0.0"})"));
  json index = json::parse(ReadFile(Path("root/index.json")));
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_TRUE(index["manifests"].is_array());
  EXPECT_TRUE(IsDirectory(Path("root/blobs/sha256")));
}

// The speed rule of store/scratch.h: on ext4 the scratch dir carries the top-directory hint, so
// every step's tree is placed in a lightly used block group.
TEST_F(StoreTest, ScratchDirCarriesExt4sTopDirectoryHint) {
  Store s(Path("root"));
  UniqueFd fd(::open(Path("root/tmp").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd);
  struct statfs fs {};
  ASSERT_EQ(::fstatfs(fd.get(), &fs), 0);
  if (fs.f_type != EXT4_SUPER_MAGIC) GTEST_SKIP() << "/tmp is not ext4 here: the hint is ext4's";
  int flags = 0;
  ASSERT_EQ(::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags), 0);
  EXPECT_TRUE(flags & FS_TOPDIR_FL);
  Store again(Path("root"));  // opening twice keeps it
  ASSERT_EQ(::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags), 0);
  EXPECT_TRUE(flags & FS_TOPDIR_FL);
}

TEST_F(StoreTest, PutBlobIsContentAddressedAndReadable) {
  Store s(Path("root"));
  Descriptor d = s.PutBlob("hello", "text/plain");
  EXPECT_EQ(d.digest, DigestOf("hello"));
  EXPECT_EQ(d.size, 5);
  EXPECT_TRUE(s.HasBlob(d.digest));
  EXPECT_EQ(s.ReadBlob(d.digest), "hello");
  EXPECT_EQ(s.PutBlob("hello", "text/plain").digest, d.digest);  // idempotent
}

TEST_F(StoreTest, WriterWithWrongDigestLeavesNothingVisible) {
  Store s(Path("root"));
  auto w = s.NewBlobWriter();
  w->Write("abc", 3);
  std::string wrong = DigestOf("xyz");
  EXPECT_THROW(w->Commit("text/plain", wrong), Error);
  w.reset();
  EXPECT_FALSE(s.HasBlob(wrong));
  EXPECT_FALSE(s.HasBlob(DigestOf("abc")));
  EXPECT_TRUE(ListDir(Path("root/blobs/sha256")).empty());
  EXPECT_TRUE(ListDir(Path("root/tmp")).empty());
}

TEST_F(StoreTest, AbandonedWriterLeavesNoTempFile) {
  Store s(Path("root"));
  {
    auto w = s.NewBlobWriter();
    w->Write("partial", 7);
  }
  EXPECT_TRUE(ListDir(Path("root/tmp")).empty());
}

TEST_F(StoreTest, CorruptBlobIsReportedOnRead) {
  Store s(Path("root"));
  Descriptor d = s.PutBlob("good", "text/plain");
  std::string p = s.BlobPath(d.digest);
  ::chmod(p.c_str(), 0644);
  WriteFileAtomic(p, "evil");
  try {
    s.ReadBlob(d.digest);
    FAIL() << "corrupt blob was read";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("corrupt"));
  }
}

TEST_F(StoreTest, TagsRoundTripWithNormalisedNames) {
  Store s(Path("root"));
  Descriptor m1 = s.PutBlob("{}", "application/vnd.oci.image.manifest.v1+json");
  Descriptor m2 = s.PutBlob("{ }", "application/vnd.oci.image.manifest.v1+json");
  s.SetTag("hello", m1);
  s.SetTag("a/b:1", m2);
  ASSERT_TRUE(s.ResolveTag("hello:latest"));
  EXPECT_EQ(s.ResolveTag("hello")->digest, m1.digest);
  EXPECT_TRUE(s.ResolveTag("hello")->annotations.empty());
  auto tags = s.ListTags();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].first, "a/b:1");
  EXPECT_EQ(tags[1].first, "hello:latest");

  // Retagging moves the name; the index holds it once, under the full name (skopeo oci:ROOT:hello:latest).
  s.SetTag("hello", m2);
  EXPECT_EQ(s.ResolveTag("hello")->digest, m2.digest);
  json index = json::parse(ReadFile(Path("root/index.json")));
  int count = 0;
  for (auto& m : index["manifests"])
    if (m["annotations"]["org.opencontainers.image.ref.name"] == "hello:latest") count++;
  EXPECT_EQ(count, 1);

  EXPECT_TRUE(s.RemoveTag("hello"));
  EXPECT_FALSE(s.RemoveTag("hello"));
  EXPECT_FALSE(s.ResolveTag("hello"));
  EXPECT_EQ(s.ListTags().size(), 1u);
}

TEST_F(StoreTest, TagsSurviveReopening) {
  Descriptor m;
  {
    Store s(Path("root"));
    m = s.PutBlob("{}", "application/vnd.oci.image.manifest.v1+json");
    s.SetTag("x:1", m);
  }
  Store again(Path("root"));
  ASSERT_TRUE(again.ResolveTag("x:1"));
  EXPECT_EQ(again.ResolveTag("x:1")->digest, m.digest);
}

TEST_F(StoreTest, ConcurrentTaggersLoseNoTags) {
  Store s(Path("root"));
  Descriptor m = s.PutBlob("{}", "application/vnd.oci.image.manifest.v1+json");
  std::vector<pid_t> kids;
  for (int p = 0; p < 3; p++) {
    pid_t pid = ::fork();
    if (pid == 0) {
      int rc = 0;
      try {
        Store mine(Path("root"));
        for (int i = 0; i < 15; i++) mine.SetTag("p" + std::to_string(p) + ":" + std::to_string(i), m);
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ::waitpid(k, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(s.ListTags().size(), 45u);
}

TEST(NormalizeNameTest, AddsLatestOnlyWhenNoTag) {
  EXPECT_EQ(NormalizeName("hello"), "hello:latest");
  EXPECT_EQ(NormalizeName("a/b:1"), "a/b:1");
  EXPECT_EQ(NormalizeName("localhost:5000/app"), "localhost:5000/app:latest");
  EXPECT_EQ(NormalizeName("x@sha256:abc"), "x@sha256:abc");
}

TEST_F(StoreTest, ScratchOfDeadProcessIsSweptOnOpen) {
  { Store s(Path("root")); }
  // A pid that cannot be running: beyond pid_max.
  MakeDirs(Path("root/tmp/99999999.step-abc/upper"));
  std::string mine;
  {
    Store s(Path("root"));
    mine = s.NewScratchDir("step-");
    EXPECT_TRUE(IsDirectory(mine));
    EXPECT_THAT(mine, HasSubstr("/tmp/" + std::to_string(::getpid()) + "."));
  }
  EXPECT_FALSE(PathExists(Path("root/tmp/99999999.step-abc")));
  Store again(Path("root"));
  EXPECT_TRUE(IsDirectory(mine));  // its owner (us) still runs
}

}  // namespace
}  // namespace cairn::store

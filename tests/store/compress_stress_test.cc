// Issue 17: once in ~40 builds, one small COPY layer (same diffID) was compressed to other bytes.
// Here the same small and large layers are committed 200 times each while other processes keep
// the one CPU this test may use busy, and the same tars are fed to the compressor in random write
// sizes on 1 to 4 threads: every run must give the one blob digest of its layer.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/fs.h"
#include "store/layer.h"
#include "test_dir.h"

namespace cairn::store {
namespace {

using testing::TempDirTest;

constexpr int kRuns = 200;

// Pins this thread (and the compressor threads it starts) and `busy` spinning children to one
// CPU, for the life of the object.
class OneBusyCpu {
 public:
  explicit OneBusyCpu(int busy) {
    sched_getaffinity(0, sizeof old_, &old_);
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &old_)) {
        CPU_SET(c, &one);
        break;
      }
    EXPECT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    for (int i = 0; i < busy; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        volatile unsigned long spin = 0;
        for (;;) spin = spin + 1;
      }
      children_.push_back(pid);
    }
  }
  ~OneBusyCpu() {
    for (pid_t pid : children_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    sched_setaffinity(0, sizeof old_, &old_);
  }

 private:
  cpu_set_t old_;
  std::vector<pid_t> children_;
};

void Write(const std::string& path, const std::string& data) {
  MakeDirs(path.substr(0, path.rfind('/')));
  WriteFileAtomic(path, data, 0644);
}

// Text-like bytes that compress about as well as a tar of binaries and docs.
std::string Filler(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* words[] = {"usr", "lib", "share", "doc", "copyright", "ELF", "\x7f\x01\x02", "main", "\n"};
  std::string s;
  while (s.size() < size) {
    s += words[rng() % 9];
    if (rng() % 4 == 0) s += static_cast<char>(rng());
  }
  s.resize(size);
  return s;
}

class CompressStressTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // small: ~10 KB in a few files, like the COPY layer of the report; large: ~2.5 MiB, three
    // gzip members.
    for (int i = 0; i < 6; ++i) Write(Path("small/app/f" + std::to_string(i)), Filler(1500 + 97 * i, i));
    for (int i = 0; i < 5; ++i) Write(Path("large/lib/part" + std::to_string(i)), Filler(500000 + 4099 * i, 10 + i));
  }
};

TEST_F(CompressStressTest, SameLayerGivesOneBlobDigestUnderContention) {
  Store store(Path("store"));
  SnapshotOptions o;
  o.overlay_upper = false;
  std::set<std::string> small, large, small_ids, large_ids;
  {
    OneBusyCpu cpu(2);
    for (int i = 0; i < kRuns; ++i) {
      auto s = CommitLayerFromDir(store, Path("small"), o);
      auto l = CommitLayerFromDir(store, Path("large"), o);
      ASSERT_TRUE(s && l);
      small.insert(s->descriptor.digest);
      large.insert(l->descriptor.digest);
      small_ids.insert(s->diff_id);
      large_ids.insert(l->diff_id);
    }
  }
  EXPECT_EQ(small_ids.size(), 1u);
  EXPECT_EQ(large_ids.size(), 1u);
  EXPECT_EQ(small.size(), 1u) << "one small tar, several blobs";
  EXPECT_EQ(large.size(), 1u) << "one large tar, several blobs";
}

// The large layer is three gzip members; unpacking it (libarchive, as pull, load and every build
// do) gives back every byte of its files.
TEST_F(CompressStressTest, MultiMemberLayerUnpacksToTheSameFiles) {
  Store store(Path("store"));
  SnapshotOptions o;
  o.overlay_upper = false;
  auto l = CommitLayerFromDir(store, Path("large"), o);
  ASSERT_TRUE(l);
  EXPECT_GT(l->descriptor.size, static_cast<int64_t>(kGzipMemberSize / 4));
  MakeDirs(Path("out"));
  ExtractLayer(store.BlobPath(l->descriptor.digest), Path("out"));
  for (int i = 0; i < 5; ++i) {
    std::string name = "/lib/part" + std::to_string(i);
    EXPECT_EQ(ReadFile(Path("out") + name), ReadFile(Path("large") + name)) << name;
  }
}

// A sink that only hashes, as the BlobWriter does.
class DigestSink : public ByteSink {
 public:
  void Write(const void* data, size_t size) override { sha_.Update(data, size); }
  std::string Finish() { return sha_.Finish(); }

 private:
  Sha256 sha_;
};

TEST_F(CompressStressTest, RandomWriteSizesAndThreadCountsGiveOneDigest) {
  std::string tars[] = {Filler(10240, 1), Filler(2 * kGzipMemberSize + 777, 2)};
  std::mt19937 rng(17);
  OneBusyCpu cpu(2);
  for (const std::string& tar : tars) {
    for (const char* spec : {"gzip", "zstd"}) {
      std::set<std::string> digests;
      for (int i = 0; i < kRuns; ++i) {
        DigestSink sink;
        auto z = MakeCompressor(ParseCompression(spec), sink, 1 + static_cast<int>(rng() % 4));
        for (size_t off = 0; off < tar.size();) {
          size_t n = std::min<size_t>(tar.size() - off, 1 + rng() % (rng() % 2 ? 512 : 200000));
          z->Write(tar.data() + off, n);
          off += n;
        }
        z->Finish();
        digests.insert(sink.Finish());
      }
      EXPECT_EQ(digests.size(), 1u) << spec << " of a " << tar.size() << "-byte tar";
    }
  }
}

}  // namespace
}  // namespace cairn::store

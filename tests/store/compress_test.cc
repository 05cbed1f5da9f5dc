// The pinned compressors: output independent of write chunking, readable, described accurately.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::store {
namespace {

class StringBlob : public BlobWriter {
 public:
  void Write(const void* data, size_t size) override { bytes.append(static_cast<const char*>(data), size); }
  Descriptor Commit(const std::string&, const std::string&) override { return {}; }
  int64_t BytesWritten() const override { return static_cast<int64_t>(bytes.size()); }
  std::string bytes;
};

std::string Input(size_t size = 300000) {
  std::mt19937 rng(7);
  std::string s;
  for (size_t i = 0; i < size; ++i) s += (i % 3 == 0) ? char('a' + rng() % 4) : "tar header text "[i % 16];
  return s;
}

std::string Compress(const Compression& c, const std::string& in, size_t chunk, int threads = 0) {
  StringBlob blob;
  auto z = MakeCompressor(c, blob, threads);
  for (size_t off = 0; off < in.size(); off += chunk) z->Write(in.data() + off, std::min(chunk, in.size() - off));
  z->Finish();
  return blob.bytes;
}

TEST(CompressTest, GzipBytesDoNotDependOnWriteSizes) {
  std::string in = Input();
  Compression gz;
  std::string a = Compress(gz, in, 1), b = Compress(gz, in, 4096 + 3), c = Compress(gz, in, 1 << 20);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  ASSERT_GT(a.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(a[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(a[9]), 255);  // OS "unknown", as Go writes
  EXPECT_LT(a.size(), in.size());
}

// Inflates every gzip member in turn (as gzip -d, Go and libarchive do); returns the bytes and
// counts the members.
std::string Gunzip(const std::string& gz, int* members) {
  std::string out;
  *members = 0;
  size_t pos = 0;
  while (pos < gz.size()) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + pos));
    z.avail_in = static_cast<uInt>(gz.size() - pos);
    int rc;
    do {
      char buf[1 << 16];
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      out.append(buf, sizeof buf - z.avail_out);
    } while (rc == Z_OK);
    EXPECT_EQ(rc, Z_STREAM_END) << "member " << *members << " at byte " << pos;
    pos += z.total_in;
    inflateEnd(&z);
    ++*members;
    if (rc != Z_STREAM_END) break;
  }
  return out;
}

TEST(CompressTest, GzipBytesDoNotDependOnThreadCount) {
  std::string in = Input(3 * kGzipMemberSize + 12345);  // four members
  Compression gz;
  std::string one = Compress(gz, in, 65536, 1);
  EXPECT_EQ(Compress(gz, in, 65536, 2), one);
  EXPECT_EQ(Compress(gz, in, 4099, 4), one);
  EXPECT_EQ(Compress(gz, in, kGzipMemberSize + 5, 3), one);
}

TEST(CompressTest, GzipIsOneMemberPerMebibyteThatGunzipsToTheTar) {
  std::string in = Input(3 * kGzipMemberSize + 12345);
  int members = 0;
  EXPECT_EQ(Gunzip(Compress(Compression{}, in, 65536), &members), in);
  EXPECT_EQ(members, 4);
  // Exactly three pieces: three members, no empty fourth.
  std::string whole = in.substr(0, 3 * kGzipMemberSize);
  EXPECT_EQ(Gunzip(Compress(Compression{}, whole, 65536), &members), whole);
  EXPECT_EQ(members, 3);
  // An empty tar is still a gzip file.
  std::string empty = Compress(Compression{}, "", 1);
  EXPECT_EQ(Gunzip(empty, &members), "");
  EXPECT_EQ(members, 1);
}

TEST(CompressTest, GzipLevelsZeroToTwelveAllGunzip) {
  std::string in = Input(kGzipMemberSize + 999);
  for (int level : {0, 1, 6, 12}) {
    int members = 0;
    std::string gz = Compress(ParseCompression("gzip,level=" + std::to_string(level)), in, 65536);
    EXPECT_EQ(Gunzip(gz, &members), in) << "level " << level;
    EXPECT_EQ(members, 2);
    if (level == 0) {
      EXPECT_GT(gz.size(), in.size()) << "level 0 stores";
    }
    if (level == 12) {
      EXPECT_LT(gz.size(), Compress(Compression{}, in, 65536).size());
    }
  }
}

long MaxRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// A counting sink: the output is not kept, so what the process holds is the compressor's own.
class CountingSink : public ByteSink {
 public:
  void Write(const void*, size_t size) override { bytes += size; }
  size_t bytes = 0;
};

TEST(CompressTest, MemoryDoesNotGrowWithTheLayer) {
  std::string piece = Input(1 << 20);
  for (auto spec : {"gzip", "zstd"}) {
    long before = MaxRssKiB();
    CountingSink sink;
    auto z = MakeCompressor(ParseCompression(spec), sink, 2);
    for (int i = 0; i < 96; ++i) z->Write(piece.data(), piece.size());  // 96 MiB in
    z->Finish();
    EXPECT_GT(sink.bytes, 0u);
    EXPECT_LT(MaxRssKiB() - before, 32 * 1024) << spec << ": a 96 MiB layer must not be held in memory";
  }
}

TEST(CompressTest, ZstdBytesDoNotDependOnWriteSizesAndDecompress) {
  std::string in = Input();
  Compression z = ParseCompression("zstd,level=9");
  std::string a = Compress(z, in, 7), b = Compress(z, in, 1 << 20);
  EXPECT_EQ(a, b);
  std::string out(in.size(), '\0');
  EXPECT_EQ(ZSTD_decompress(out.data(), out.size(), a.data(), a.size()), in.size());
  EXPECT_EQ(out, in);
}

TEST(CompressTest, DescriptionsNameLibraryVersionAndLevel) {
  StringBlob blob;
  EXPECT_THAT(MakeCompressor(Compression{}, blob)->Description(),
              testing::MatchesRegex("libdeflate-[0-9.]+ gzip level 1, 1 MiB members"));
  EXPECT_EQ(Describe(ParseCompression("gzip,level=9")), MakeCompressor(ParseCompression("gzip,level=9"), blob)->Description());
  EXPECT_EQ(MakeCompressor(Compression{}, blob)->MediaType(), std::string(media::kOciLayerGzip));
  auto z = MakeCompressor(ParseCompression("zstd"), blob);
  EXPECT_EQ(z->Description(), std::string("zstd-") + ZSTD_versionString() + " zstd level 3");
  EXPECT_EQ(z->MediaType(), std::string(media::kOciLayerZstd));
}

TEST(CompressTest, ParsesTheFlag) {
  EXPECT_EQ(ToString(ParseCompression("gzip")), "gzip,level=1");
  EXPECT_EQ(ToString(ParseCompression("gzip,level=0")), "gzip,level=0");
  EXPECT_EQ(ToString(ParseCompression("zstd,level=19")), "zstd,level=19");
  EXPECT_THROW(ParseCompression("brotli"), Error);
  EXPECT_THROW(ParseCompression("zstd,level=99"), Error);
  EXPECT_EQ(ToString(ParseCompression("gzip,level=12")), "gzip,level=12");
  EXPECT_THROW(ParseCompression("gzip,level=13"), Error);
  EXPECT_THROW(ParseCompression("zstd,fast"), Error);
}

}  // namespace
}  // namespace cairn::store

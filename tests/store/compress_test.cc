// The pinned compressors: output independent of write chunking, readable, described accurately.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <string>

#include "base/error.h"
#include "store/compressor.h"

namespace cairn::store {
namespace {

class StringBlob : public BlobWriter {
 public:
  void Write(const void* data, size_t size) override { bytes.append(static_cast<const char*>(data), size); }
  Descriptor Commit(const std::string&, const std::string&) override { return {}; }
  int64_t BytesWritten() const override { return static_cast<int64_t>(bytes.size()); }
  std::string bytes;
};

std::string Input() {
  std::mt19937 rng(7);
  std::string s;
  for (int i = 0; i < 300000; ++i) s += (i % 3 == 0) ? char('a' + rng() % 4) : "tar header text "[i % 16];
  return s;
}

std::string Compress(const Compression& c, const std::string& in, size_t chunk) {
  StringBlob blob;
  auto z = MakeCompressor(c, blob);
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
  EXPECT_THAT(MakeCompressor(Compression{}, blob)->Description(), testing::MatchesRegex("isa-l-[0-9.]+ gzip level 1"));
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
  EXPECT_THROW(ParseCompression("gzip,level=4"), Error);
  EXPECT_THROW(ParseCompression("zstd,fast"), Error);
}

}  // namespace
}  // namespace cairn::store

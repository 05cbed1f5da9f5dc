#include "store/compressor.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "base/error.h"

namespace cairn::store {

namespace {
constexpr int kGzipDefaultLevel = 1;  // libdeflate level 1: see the numbers in bench/compress_bench.sh
constexpr int kZstdDefaultLevel = 3;  // zstd's own default

int Resolved(const Compression& c) {
  if (c.level != 0) return c.level;
  return c.codec == Compression::Codec::kGzip ? kGzipDefaultLevel : kZstdDefaultLevel;
}
}  // namespace

Compression ParseCompression(std::string_view spec) {
  auto bad = [&](const std::string& why) {
    return Error("--compression " + std::string(spec) + ": " + why +
                 " (use gzip, gzip,level=0..12, zstd or zstd,level=1..19)");
  };
  Compression c;
  std::string_view name = spec.substr(0, spec.find(','));
  if (name == "gzip")
    c.codec = Compression::Codec::kGzip;
  else if (name == "zstd")
    c.codec = Compression::Codec::kZstd;
  else
    throw bad("unknown compression \"" + std::string(name) + "\"");
  if (name.size() == spec.size()) return c;
  std::string_view opt = spec.substr(name.size() + 1);
  if (opt.rfind("level=", 0) != 0) throw bad("unknown option \"" + std::string(opt) + "\"");
  std::string_view num = opt.substr(6);
  int level = -1;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), level);
  bool gzip = c.codec == Compression::Codec::kGzip;
  if (ec != std::errc() || end != num.data() + num.size() || level < (gzip ? 0 : 1) || level > (gzip ? 12 : 19))
    throw bad("level must be a number in " + std::string(gzip ? "0..12" : "1..19"));
  // Level 0 for gzip is a real libdeflate level (stored, no compression); store it as -1 so 0 can
  // mean "default".
  c.level = gzip && level == 0 ? -1 : level;
  return c;
}

std::string ToString(const Compression& c) {
  int level = Resolved(c);
  return std::string(c.codec == Compression::Codec::kGzip ? "gzip" : "zstd") + ",level=" +
         std::to_string(level < 0 ? 0 : level);
}

std::string Describe(const Compression& c) {
  int level = Resolved(c);
  if (c.codec == Compression::Codec::kZstd) return DescribeZstd(level);
  return DescribeGzip(level < 0 ? 0 : level);
}

void Compressor::Write(const void* data, size_t size) {
  auto* p = static_cast<const unsigned char*>(data);
  while (size > 0) {
    size_t n = std::min(size, block_size_ - block_.size());
    block_.insert(block_.end(), p, p + n);
    p += n;
    size -= n;
    if (block_.size() == block_size_) {
      CompressBlock(block_, false);
      block_.clear();
      block_.reserve(block_size_);
    }
  }
}

void Compressor::Finish() {
  CompressBlock(block_, true);
  block_.clear();
}

int DefaultCompressThreads() {
  // Rule: speed only. One thread per core, at most 4 (more buys little when the tar writer and
  // two SHA-256s run on the calling thread, and each thread holds two member buffers).
  unsigned n = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(n, 1u, 4u));
}

std::unique_ptr<Compressor> MakeCompressor(const Compression& c, ByteSink& out, int threads) {
  int level = Resolved(c);
  if (c.codec == Compression::Codec::kZstd) return MakeZstdCompressor(level, out);
  return MakeGzipCompressor(level < 0 ? 0 : level, out, threads > 0 ? threads : DefaultCompressThreads());
}

}  // namespace cairn::store

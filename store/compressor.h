// Layer compression: which codec, at which level, and the pinned streaming compressors.
//
// Determinism rule (issues 5 and 17, DESIGN.md "Layers, byte for byte"): a layer blob's bytes are
// a pure function of (the tar bytes, the compression spec) — the spec being codec, level, library
// and version, and for gzip the member size. They never depend on the CPU (x86-64 baseline or
// AVX-512, arm64), the thread count, timing, or how the tar writer happens to chunk its writes:
//   - gzip is libdeflate, whose compressor has no CPU-dispatched code that can change its output
//     (only checksums and table initialisation are dispatched, and they compute the same values);
//     the tar is cut into fixed kGzipMemberSize pieces, each compressed on its own into one gzip
//     member by a fresh whole-buffer call, and the members are written in input order. Worker
//     threads only decide *when* a member is made, never what it contains;
//   - zstd is libzstd with no worker threads, fed fixed kZstdBlockSize blocks;
//   - Description() ("libdeflate-1.14 gzip level 1, 1 MiB members") is recorded as the
//     io.cairn.layer.compression annotation and is in the step cache key (Describe), so a digest
//     difference between two machines can be traced to a different library, and a store whose
//     cached layers were made by another compressor does not reuse them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/byte_sink.h"

namespace cairn::store {

struct Compression {
  enum class Codec { kGzip, kZstd };
  Codec codec = Codec::kGzip;
  int level = 0;  // 0 = the codec's default (gzip: libdeflate level 1; zstd: 3); -1 = gzip level 0

  bool operator==(const Compression&) const = default;
};

// Parses a --compression value: "gzip", "zstd", "gzip,level=N" (N in 0..12, libdeflate's levels;
// 0 stores without compressing) or "zstd,level=N" (N in 1..19). Throws Error naming the value and
// the accepted forms.
Compression ParseCompression(std::string_view spec);
// The canonical spelling with the level resolved, e.g. "gzip,level=1" (for messages).
std::string ToString(const Compression& c);
// What the compressor for `c` records as its annotation: library, version, codec, level and (gzip)
// member size, e.g. "libdeflate-1.14 gzip level 1, 1 MiB members". Everything that shapes the
// blob's bytes besides the tar, hence part of the step cache key.
std::string Describe(const Compression& c);

// gzip: the tar is compressed in independent pieces of this many bytes (the last one shorter),
// one gzip member each (RFC 1952 §2.2; gzip -d, Go's compress/gzip, libarchive and zlib's
// inflate with concatenation read them as one stream). Changing it changes every gzip digest.
inline constexpr size_t kGzipMemberSize = 1 << 20;
// zstd: the block each ZSTD_compressStream2 call sees.
inline constexpr size_t kZstdBlockSize = 64 * 1024;

// Streams bytes through the codec into a ByteSink. Memory is bounded (a few blocks), whatever the
// layer size. Not thread-safe; the sink is only ever written from the calling thread.
class Compressor {
 public:
  explicit Compressor(size_t block_size) : block_size_(block_size) { block_.reserve(block_size); }
  virtual ~Compressor() = default;
  // Buffers, and hands each full block to CompressBlock.
  void Write(const void* data, size_t size);
  // Compresses the last partial block, writes the trailer and waits for every block to reach the
  // sink. Call once, then Commit the blob.
  void Finish();

  virtual const char* MediaType() const = 0;    // media::kOciLayerGzip / kOciLayerZstd
  virtual std::string Description() const = 0;  // Describe(spec)

 protected:
  // Takes one block (block_size bytes except the last, which may be empty); `last` ends the
  // stream. May swap `block` for another buffer; the caller clears it and fills it again.
  virtual void CompressBlock(std::vector<unsigned char>& block, bool last) = 0;

 private:
  const size_t block_size_;
  std::vector<unsigned char> block_;
};

// threads: how many threads may compress gzip members at once; 0 = one per core, at most 4
// (DefaultCompressThreads). It changes the speed only, never a byte.
std::unique_ptr<Compressor> MakeCompressor(const Compression& c, ByteSink& out, int threads = 0);

// Implementations (compressor_gzip.cc, compressor_zstd.cc).
std::unique_ptr<Compressor> MakeGzipCompressor(int level, ByteSink& out, int threads);
std::unique_ptr<Compressor> MakeZstdCompressor(int level, ByteSink& out);
std::string DescribeGzip(int level);
std::string DescribeZstd(int level);
int DefaultCompressThreads();

}  // namespace cairn::store

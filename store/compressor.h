// Layer compression: which codec, at which level, and the pinned streaming compressors.
//
// Determinism rule (issue 5, DESIGN.md "Layers, byte for byte"): a layer blob's bytes depend only
// on (compressor library version, codec, level, tar bytes) — never on the thread count, the CPU
// count, or how the tar writer happens to chunk its writes. Every compressor therefore
//   - is single-threaded;
//   - is fed the tar in fixed-size blocks (kBlockSize) regardless of the sizes passed to Write,
//     because ISA-L's block decisions depend on how much input each call sees;
//   - records "<lib>-<version> <codec> level N" as the io.cairn.layer.compression annotation,
//     so a digest difference between two machines can be traced to a different library.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.h"

namespace cairn::store {

struct Compression {
  enum class Codec { kGzip, kZstd };
  Codec codec = Codec::kGzip;
  int level = 0;  // 0 = the codec's default (gzip: ISA-L level 1; zstd: 3)

  bool operator==(const Compression&) const = default;
};

// Parses a --compression value: "gzip", "zstd", "gzip,level=N" (N in 0..3, ISA-L's levels) or
// "zstd,level=N" (N in 1..19). Throws Error naming the value and the accepted forms.
Compression ParseCompression(std::string_view spec);
// The canonical spelling with the level resolved, e.g. "gzip,level=1": part of the step cache key.
std::string ToString(const Compression& c);

// Streams bytes through the codec into a BlobWriter.
class Compressor {
 public:
  static constexpr size_t kBlockSize = 64 * 1024;

  virtual ~Compressor() = default;
  // Buffers, and compresses each full kBlockSize block.
  void Write(const void* data, size_t size);
  // Compresses the last partial block and writes the trailer. Call once, then Commit the blob.
  void Finish();

  virtual const char* MediaType() const = 0;   // media::kOciLayerGzip / kOciLayerZstd
  virtual std::string Description() const = 0;  // "isa-l-2.30.0 gzip level 1"

 protected:
  // Compresses exactly one block (always kBlockSize bytes except the last); `last` ends the stream.
  virtual void CompressBlock(const unsigned char* data, size_t size, bool last) = 0;

 private:
  std::unique_ptr<unsigned char[]> block_ = std::make_unique<unsigned char[]>(kBlockSize);
  size_t filled_ = 0;
};

std::unique_ptr<Compressor> MakeCompressor(const Compression& c, BlobWriter& out);

// Implementations (compressor_gzip.cc, compressor_zstd.cc).
std::unique_ptr<Compressor> MakeGzipCompressor(int level, BlobWriter& out);
std::unique_ptr<Compressor> MakeZstdCompressor(int level, BlobWriter& out);

}  // namespace cairn::store

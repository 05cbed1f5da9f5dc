// Gzip through ISA-L's igzip, pinned (see the rule in compressor.h).
//
// Why ISA-L: compression dominates the cost of a layer, and bench/compress_bench.sh measured
// igzip level 1 at ~12x zlib level 6 (and ~3x libdeflate level 1, which has no streaming API) for
// ~10% larger blobs. igzip's output depends on how much input each isal_deflate call sees, so
// Compressor feeds it fixed 64 KiB blocks; the output buffer is drained completely after every
// call. The gzip header is igzip's fixed minimal one: no name, mtime 0, OS byte 255 ("unknown").
// Go's compress/gzip (docker, containerd, skopeo) reads it.
#include <isa-l.h>
#include <isa-l/igzip_lib.h>

#include <vector>

#include "base/error.h"
#include "store/compressor.h"

namespace cairn::store {

namespace {

class IsalGzip final : public Compressor {
 public:
  IsalGzip(int level, BlobWriter& out) : out_(out), level_(level) {
    static const size_t kLevelBuf[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                       ISAL_DEF_LVL3_DEFAULT};
    isal_deflate_init(&s_);
    level_buf_.resize(kLevelBuf[level]);
    s_.level = level;
    s_.level_buf = level_buf_.empty() ? nullptr : level_buf_.data();
    s_.level_buf_size = level_buf_.size();
    s_.gzip_flag = IGZIP_GZIP_NO_HDR;
    s_.flush = NO_FLUSH;
    // The header by hand (igzip's default sets OS=255 too, but spelling it out pins it).
    static const unsigned char kHeader[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
    out_.Write(kHeader, sizeof kHeader);
  }

  const char* MediaType() const override { return media::kOciLayerGzip; }
  std::string Description() const override {
    // ISA-L has no runtime version query; this is the version of the headers built against,
    // which Debian keeps in lock-step with the libisal2 package.
    return "isa-l-" + std::to_string(ISAL_MAJOR_VERSION) + "." + std::to_string(ISAL_MINOR_VERSION) + "." +
           std::to_string(ISAL_PATCH_VERSION) + " gzip level " + std::to_string(level_);
  }

 protected:
  void CompressBlock(const unsigned char* data, size_t size, bool last) override {
    s_.next_in = const_cast<unsigned char*>(data);
    s_.avail_in = static_cast<uint32_t>(size);
    s_.end_of_stream = last ? 1 : 0;
    unsigned char buf[1 << 17];
    for (;;) {
      s_.next_out = buf;
      s_.avail_out = sizeof buf;
      int rc = isal_deflate(&s_);
      if (rc != COMP_OK) throw Error("isa-l: isal_deflate failed (" + std::to_string(rc) + ")");
      size_t have = sizeof buf - s_.avail_out;
      if (have > 0) out_.Write(buf, have);
      bool done = last ? s_.internal_state.state == ZSTATE_END : s_.avail_in == 0;
      if (done && s_.avail_out != 0) break;
    }
    // With IGZIP_GZIP_NO_HDR, the last call has also written the trailer (CRC32, ISIZE).
  }

 private:
  BlobWriter& out_;
  int level_;
  isal_zstream s_{};
  std::vector<unsigned char> level_buf_;
};

}  // namespace

std::unique_ptr<Compressor> MakeGzipCompressor(int level, BlobWriter& out) {
  return std::make_unique<IsalGzip>(level, out);
}

}  // namespace cairn::store

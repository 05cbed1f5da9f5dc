// Zstandard through libzstd, pinned (see the rule in compressor.h): no worker threads
// (ZSTD_c_nbWorkers = 0, so the output never depends on the core count), a content checksum,
// no dictionary, no long-distance matching; the runtime library's version is in the annotation.
#include <zstd.h>

#include <vector>

#include "base/error.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::store {

namespace {

class Zstd final : public Compressor {
 public:
  Zstd(int level, ByteSink& out) : Compressor(kZstdBlockSize), out_(out), level_(level), c_(ZSTD_createCCtx()) {
    if (!c_) throw Error("zstd: out of memory");
    Check(ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, level));
    Check(ZSTD_CCtx_setParameter(c_, ZSTD_c_nbWorkers, 0));
    Check(ZSTD_CCtx_setParameter(c_, ZSTD_c_checksumFlag, 1));
    Check(ZSTD_CCtx_setParameter(c_, ZSTD_c_enableLongDistanceMatching, 0));
  }
  ~Zstd() override { ZSTD_freeCCtx(c_); }

  const char* MediaType() const override { return media::kOciLayerZstd; }
  std::string Description() const override { return DescribeZstd(level_); }

 protected:
  void CompressBlock(std::vector<unsigned char>& block, bool last) override {
    ZSTD_inBuffer in{block.data(), block.size(), 0};
    std::vector<unsigned char> buf(ZSTD_CStreamOutSize());
    for (;;) {
      ZSTD_outBuffer o{buf.data(), buf.size(), 0};
      size_t left = Check(ZSTD_compressStream2(c_, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue));
      if (o.pos > 0) out_.Write(buf.data(), o.pos);
      if (last ? left == 0 : in.pos == in.size) break;
    }
  }

 private:
  static size_t Check(size_t rc) {
    if (ZSTD_isError(rc)) throw Error(std::string("zstd: ") + ZSTD_getErrorName(rc));
    return rc;
  }

  ByteSink& out_;
  int level_;
  ZSTD_CCtx* c_;
};

}  // namespace

std::string DescribeZstd(int level) {
  return std::string("zstd-") + ZSTD_versionString() + " zstd level " + std::to_string(level);
}

std::unique_ptr<Compressor> MakeZstdCompressor(int level, ByteSink& out) {
  return std::make_unique<Zstd>(level, out);
}

}  // namespace cairn::store

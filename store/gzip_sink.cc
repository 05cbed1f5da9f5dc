#include "store/gzip_sink.h"

#include "base/error.h"

namespace cairn::store {

namespace {
constexpr int kLevel = 6;
constexpr int kWindowBits = 15 + 16;  // +16: gzip wrapper instead of zlib's
constexpr int kMemLevel = 8;
}  // namespace

GzipSink::GzipSink(BlobWriter& out) : out_(out) {
  if (deflateInit2(&z_, kLevel, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("zlib: deflateInit2 failed");
  header_.time = 0;
  header_.os = 255;
  header_.name = Z_NULL;
  header_.comment = Z_NULL;
  header_.extra = Z_NULL;
  header_.hcrc = 0;
  if (deflateSetHeader(&z_, &header_) != Z_OK) {
    deflateEnd(&z_);
    throw Error("zlib: deflateSetHeader failed");
  }
}

GzipSink::~GzipSink() { deflateEnd(&z_); }

void GzipSink::Write(const void* data, size_t size) {
  z_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z_.avail_in = static_cast<uInt>(size);
  Pump(Z_NO_FLUSH);
}

void GzipSink::Finish() {
  z_.next_in = nullptr;
  z_.avail_in = 0;
  Pump(Z_FINISH);
}

void GzipSink::Pump(int flush) {
  unsigned char buf[1 << 16];
  for (;;) {
    z_.next_out = buf;
    z_.avail_out = sizeof buf;
    int rc = deflate(&z_, flush);
    if (rc == Z_STREAM_ERROR) throw Error("zlib: deflate failed");
    size_t have = sizeof buf - z_.avail_out;
    if (have > 0) out_.Write(buf, have);
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) return;
  }
}

std::string GzipSink::Description() {
  return std::string("zlib-") + zlibVersion() + " gzip level " + std::to_string(kLevel);
}

}  // namespace cairn::store

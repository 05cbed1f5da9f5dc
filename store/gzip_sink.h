// The pinned layer compressor. (Private to store/.)
#pragma once

#include <string>
#include <zlib.h>

#include "store/store.h"

namespace cairn::store {

// Gzip-compresses a byte stream into a BlobWriter, deterministically:
//   - zlib (the system's, its version is recorded in Description()), level 6 (what Go's
//     compress/gzip, and so docker and BuildKit, use by default), 32 KiB window, memLevel 8,
//     default strategy, single-threaded: the output depends only on the input bytes and the
//     zlib version, never on how the input is chunked or how many cores there are;
//   - gzip header without name, comment or extra field, mtime 0, OS byte 255 ("unknown", as Go
//     writes) instead of zlib's build-host OS code.
class GzipSink {
 public:
  explicit GzipSink(BlobWriter& out);
  ~GzipSink();
  GzipSink(const GzipSink&) = delete;
  GzipSink& operator=(const GzipSink&) = delete;

  void Write(const void* data, size_t size);
  // Flushes the gzip trailer. Call once, then Commit the BlobWriter.
  void Finish();

  // "zlib-1.2.13 gzip level 6": recorded on the layer descriptor so a digest difference between
  // machines can be traced to a different compressor.
  static std::string Description();

 private:
  void Pump(int flush);

  BlobWriter& out_;
  z_stream z_{};
  gz_header header_{};
};

}  // namespace cairn::store

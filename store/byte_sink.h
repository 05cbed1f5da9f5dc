// Where a compressor's output goes: a BlobWriter in the store, a file descriptor in the test tool.
// Kept apart from store.h so the compressors build on their own (tests/store/compress_tool is
// cross-built for arm64 from only the compressor sources).
#pragma once

#include <cstddef>

namespace cairn::store {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Takes all `size` bytes or throws cairn::Error.
  virtual void Write(const void* data, size_t size) = 0;
};

}  // namespace cairn::store

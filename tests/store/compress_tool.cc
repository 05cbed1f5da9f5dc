// compress_tool SPEC [THREADS [READ_SIZE]]: compresses stdin to stdout with the store's own
// compressor (store/compressor.h), reading READ_SIZE bytes at a time (default 65536). Test-only:
// tests/store/compress_cpus_test.sh runs it natively, under qemu-x86_64 with other CPU models and,
// cross-built for arm64, under qemu-aarch64, and compares the bytes. Built from the compressor
// sources alone so the cross build stays small.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/compressor.h"

namespace {

class FdSink : public cairn::store::ByteSink {
 public:
  void Write(const void* data, size_t size) override {
    auto* p = static_cast<const char*>(data);
    while (size > 0) {
      ssize_t n = ::write(1, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw cairn::SysError("write", "stdout");
      p += n;
      size -= static_cast<size_t>(n);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: compress_tool SPEC [THREADS [READ_SIZE]] < in > out\n");
    return 2;
  }
  try {
    int threads = argc > 2 ? std::stoi(argv[2]) : 0;
    size_t read_size = argc > 3 ? std::stoul(argv[3]) : 65536;
    FdSink out;
    auto z = cairn::store::MakeCompressor(cairn::store::ParseCompression(argv[1]), out, threads);
    std::vector<char> buf(read_size);
    for (;;) {
      ssize_t n = ::read(0, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw cairn::SysError("read", "stdin");
      if (n == 0) break;
      z->Write(buf.data(), static_cast<size_t>(n));
    }
    z->Finish();
    std::fprintf(stderr, "%s\n", z->Description().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compress_tool: %s\n", e.what());
    return 1;
  }
}

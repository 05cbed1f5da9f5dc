// Compressor benchmark behind the choice in store/compressor.h (issues 5 and 17). Not part of the
// build: bench/compress_bench.sh compiles it with the store's compressor sources and runs it on a
// busybox layer and a ~75 MB mix of shared libraries and docs. For each candidate it prints MB/s
// of input (wall clock, best of 3), the compression ratio, and whether the output is independent
// of how the input is chunked (fed in 512 B vs 64 KiB vs 1 MiB writes) — for cairn's own
// compressor also of the thread count — which is what a deterministic layer needs.
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "store/compressor.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

using Bytes = std::vector<unsigned char>;

static Bytes Zlib(const Bytes& in, int level, size_t feed) {
  z_stream z{};
  deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  Bytes out(deflateBound(&z, in.size()) + 1024);
  z.next_out = out.data();
  z.avail_out = out.size();
  for (size_t off = 0; off < in.size(); off += feed) {
    z.next_in = const_cast<unsigned char*>(in.data() + off);
    z.avail_in = std::min(feed, in.size() - off);
    deflate(&z, Z_NO_FLUSH);
  }
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// ISA-L streaming. `feed` is what the caller hands to isal_deflate per call.
static Bytes Isal(const Bytes& in, int level, size_t feed) {
  isal_zstream s;
  isal_deflate_init(&s);
  static const size_t kLevelBuf[] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
  Bytes level_buf(kLevelBuf[level]);
  s.level = level;
  s.level_buf = level_buf.data();
  s.level_buf_size = level_buf.size();
  s.gzip_flag = IGZIP_GZIP_NO_HDR;
  Bytes out(in.size() + in.size() / 8 + 65536);
  size_t pos = 0;
  for (size_t off = 0; off < in.size() || !s.end_of_stream; off += feed) {
    size_t n = off < in.size() ? std::min(feed, in.size() - off) : 0;
    s.next_in = const_cast<unsigned char*>(in.data() + std::min(off, in.size()));
    s.avail_in = n;
    s.end_of_stream = off + n >= in.size();
    s.flush = NO_FLUSH;
    do {
      s.next_out = out.data() + pos;
      s.avail_out = out.size() - pos;
      isal_deflate(&s);
      pos = out.size() - s.avail_out;
    } while (s.avail_in > 0 || (s.end_of_stream && s.internal_state.state != ZSTATE_END));
    if (s.end_of_stream) break;
  }
  out.resize(pos);
  return out;
}

// libdeflate has no streaming API: compress fixed-size chunks as concatenated gzip members.
static Bytes Libdeflate(const Bytes& in, int level, size_t chunk) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  Bytes out;
  Bytes buf(libdeflate_gzip_compress_bound(c, chunk));
  for (size_t off = 0; off < in.size(); off += chunk) {
    size_t n = std::min(chunk, in.size() - off);
    size_t m = libdeflate_gzip_compress(c, in.data() + off, n, buf.data(), buf.size());
    out.insert(out.end(), buf.begin(), buf.begin() + m);
  }
  libdeflate_free_compressor(c);
  return out;
}

static Bytes Zstd(const Bytes& in, int level, size_t feed) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 0);
  Bytes out, buf(ZSTD_CStreamOutSize());
  for (size_t off = 0;; off += feed) {
    size_t n = off < in.size() ? std::min(feed, in.size() - off) : 0;
    bool last = off + n >= in.size();
    ZSTD_inBuffer ib{in.data() + std::min(off, in.size()), n, 0};
    for (;;) {
      ZSTD_outBuffer ob{buf.data(), buf.size(), 0};
      size_t r = ZSTD_compressStream2(c, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
      out.insert(out.end(), buf.begin(), buf.begin() + ob.pos);
      if (last ? r == 0 : ib.pos == ib.size) break;
    }
    if (last) break;
  }
  ZSTD_freeCCtx(c);
  return out;
}

// The store's compressor (store/compressor.h), as a layer commit runs it.
static Bytes Cairn(const Bytes& in, const char* spec, int threads, size_t feed) {
  struct Sink : cairn::store::ByteSink {
    Bytes out;
    void Write(const void* d, size_t n) override {
      out.insert(out.end(), static_cast<const unsigned char*>(d), static_cast<const unsigned char*>(d) + n);
    }
  } sink;
  sink.out.reserve(in.size());
  auto z = cairn::store::MakeCompressor(cairn::store::ParseCompression(spec), sink, threads);
  for (size_t off = 0; off < in.size(); off += feed) z->Write(in.data() + off, std::min(feed, in.size() - off));
  z->Finish();
  return std::move(sink.out);
}

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    std::ifstream f(argv[a], std::ios::binary);
    Bytes in((std::istreambuf_iterator<char>(f)), {});
    std::printf("%s: %.1f MB\n", argv[a], in.size() / 1e6);
    struct Candidate {
      std::string name;
      std::function<Bytes(size_t)> run;
    };
    std::vector<Candidate> cs = {
        {"cairn gzip (libdeflate 1, 1 MiB) 1 thr", [&](size_t f) { return Cairn(in, "gzip", 1, f); }},
        {"cairn gzip (libdeflate 1, 1 MiB) 2 thr", [&](size_t f) { return Cairn(in, "gzip", 2, f); }},
        {"cairn gzip,level=6 2 threads", [&](size_t f) { return Cairn(in, "gzip,level=6", 2, f); }},
        {"cairn zstd (level 3)", [&](size_t f) { return Cairn(in, "zstd", 0, f); }},
        {"zlib-" + std::string(zlibVersion()) + " level 6", [&](size_t f) { return Zlib(in, 6, f); }},
        {"zlib level 1", [&](size_t f) { return Zlib(in, 1, f); }},
        {"isa-l level 1", [&](size_t f) { return Isal(in, 1, f); }},
        {"isa-l level 2", [&](size_t f) { return Isal(in, 2, f); }},
        {"isa-l level 3", [&](size_t f) { return Isal(in, 3, f); }},
        {"libdeflate 1MiB-members level 1", [&](size_t) { return Libdeflate(in, 1, 1 << 20); }},
        {"libdeflate 1MiB-members level 6", [&](size_t) { return Libdeflate(in, 6, 1 << 20); }},
        {"zstd-" + std::string(ZSTD_versionString()) + " level 3", [&](size_t f) { return Zstd(in, 3, f); }},
    };
    for (auto& c : cs) {
      double best = 1e9;
      Bytes out;
      for (int rep = 0; rep < 3; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        out = c.run(64 * 1024);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      bool stable = c.run(512) == out && c.run(1 << 20) == out && c.run(3 * 65536 + 7) == out;
      if (c.name.rfind("cairn gzip (", 0) == 0) stable = stable && Cairn(in, "gzip", 4, 4099) == out;
      std::printf("  %-36s %8.1f MB/s  ratio %5.3f  chunking-independent: %s\n", c.name.c_str(),
                  in.size() / 1e6 / best, double(out.size()) / in.size(), stable ? "yes" : "NO");
      char path[256];
      std::snprintf(path, sizeof path, "/tmp/compress_bench_%zu.gz", &c - cs.data());
      std::ofstream(path, std::ios::binary).write(reinterpret_cast<char*>(out.data()), out.size());
    }
  }
}

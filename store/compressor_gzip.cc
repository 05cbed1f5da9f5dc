// Gzip through libdeflate, as fixed-size independent members compressed in parallel (the rule is
// in compressor.h).
//
// Why libdeflate (issue 17): ISA-L, the previous choice, picks its deflate code at run time by CPU
// (isal_deflate_hash_crc_01 with SSE4.2's crc32 instruction, isal_deflate_hash_mad_base without),
// so a kvm64/qemu64 machine made other bytes than this one. libdeflate 1.14's compressor runs the
// same C on every CPU: its only run-time dispatch is for CRC-32 (PCLMULQDQ, arm64 crc) and
// Adler-32, which compute the same checksums, and its SIMD hash-table initialisation is chosen at
// compile time and stores the same values. Its author: "No version of libdeflate has ever been
// non-deterministic" (ebiggers/libdeflate#400). scripts/test checks it under qemu-user
// (tests/store/compress_cpus_test.sh).
//
// libdeflate has no streaming API, and one thread of its level 1 is ~3x slower than ISA-L's, so
// the tar is cut into kGzipMemberSize pieces and each becomes one complete gzip member from one
// libdeflate_gzip_compress call on a private buffer: a member is a pure function of its piece,
// whichever thread makes it and whenever. Members reach the sink in input order, from the
// calling thread only. libdeflate writes the gzip header as Go does: no name, mtime 0, OS 255.
//
// Why this design has no room for the run-to-run variance seen with ISA-L (one 10 KB layer
// compressed to two different 260-byte streams in ~1 of 40 builds): there is no compressor state
// carried between calls (libdeflate resets its match finder on every call), no output buffer the
// library can see except the one it fills, and no input beyond the piece's own bytes.
#include <libdeflate.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::store {

namespace {

// One piece of the tar and, once compressed, its gzip member.
struct Member {
  std::vector<unsigned char> in, out;
  bool done = false;
  std::string error;
};

class Deflater {
 public:
  explicit Deflater(int level) : c_(libdeflate_alloc_compressor(level)) {
    if (!c_) throw Error("libdeflate: cannot allocate a level " + std::to_string(level) + " compressor");
  }
  ~Deflater() { libdeflate_free_compressor(c_); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Fills m.out with the gzip member of m.in; on failure sets m.error (never throws: runs on workers).
  void Compress(Member& m) {
    m.out.resize(libdeflate_gzip_compress_bound(c_, m.in.size()));
    size_t n = libdeflate_gzip_compress(c_, m.in.data(), m.in.size(), m.out.data(), m.out.size());
    if (n == 0) m.error = "libdeflate: a " + std::to_string(m.in.size()) + "-byte member did not fit its bound";
    m.out.resize(n);
  }

 private:
  libdeflate_compressor* c_;
};

class DeflateGzip final : public Compressor {
 public:
  DeflateGzip(int level, ByteSink& out, int threads)
      : Compressor(kGzipMemberSize), out_(out), level_(level), max_queued_(threads + 1) {
    // One libdeflate compressor per thread (they are not shared), made here so a failure throws
    // on the calling thread. threads == 1: members are made on the calling thread.
    for (int i = 0; i < std::max(threads, 1); ++i) deflaters_.push_back(std::make_unique<Deflater>(level));
    for (int i = 0; threads > 1 && i < threads; ++i) workers_.emplace_back([this, i] { Work(*deflaters_[i]); });
  }

  ~DeflateGzip() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_workers_.notify_all();
    for (auto& t : workers_) t.join();
  }

  const char* MediaType() const override { return media::kOciLayerGzip; }
  std::string Description() const override { return DescribeGzip(level_); }

 protected:
  void CompressBlock(std::vector<unsigned char>& block, bool last) override {
    // Rule: an empty final piece makes a member only when it is the whole stream (an empty tar
    // still gives a valid gzip file); otherwise the members are exactly the full pieces + the rest.
    if (!block.empty() || members_ == 0) Submit(block);
    if (last)
      while (!queue_.empty()) WriteOldest();
  }

 private:
  void Submit(std::vector<unsigned char>& block) {
    auto m = std::make_unique<Member>();
    m->in.swap(block);
    ++members_;
    if (workers_.empty()) {
      deflaters_[0]->Compress(*m);
      m->done = true;
      queue_.push_back(std::move(m));
      return WriteOldest();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      todo_.push_back(m.get());
      queue_.push_back(std::move(m));
    }
    wake_workers_.notify_one();
    // Bounded memory: at most threads+1 pieces wait or are being compressed.
    while (queue_.size() > max_queued_) WriteOldest();
  }

  // Waits for the oldest member and writes it: members leave in input order.
  void WriteOldest() {
    Member* m = queue_.front().get();
    {
      std::unique_lock<std::mutex> lock(mu_);
      member_done_.wait(lock, [m] { return m->done; });
    }
    if (!m->error.empty()) throw Error(m->error);
    out_.Write(m->out.data(), m->out.size());
    queue_.pop_front();
  }

  void Work(Deflater& d) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_workers_.wait(lock, [this] { return stop_ || !todo_.empty(); });
      if (stop_) return;
      Member* m = todo_.front();
      todo_.pop_front();
      lock.unlock();
      d.Compress(*m);
      lock.lock();
      m->done = true;
      member_done_.notify_all();
    }
  }

  ByteSink& out_;
  const int level_;
  std::vector<std::unique_ptr<Deflater>> deflaters_;
  const size_t max_queued_;
  size_t members_ = 0;
  std::deque<std::unique_ptr<Member>> queue_;  // submitted, in input order; only this thread touches it

  std::mutex mu_;  // guards todo_, stop_ and each Member's done/out/error while queued
  std::condition_variable wake_workers_, member_done_;
  std::deque<Member*> todo_;
  bool stop_ = false;
  std::vector<std::thread> workers_;  // last: started after everything they use exists
};

}  // namespace

std::string DescribeGzip(int level) {
  return std::string("libdeflate-") + LIBDEFLATE_VERSION_STRING + " gzip level " + std::to_string(level) + ", " +
         std::to_string(kGzipMemberSize >> 20) + " MiB members";
}

std::unique_ptr<Compressor> MakeGzipCompressor(int level, ByteSink& out, int threads) {
  return std::make_unique<DeflateGzip>(level, out, threads);
}

}  // namespace cairn::store

#include "store/registry/download.h"

#include <memory>
#include <optional>

#include "base/digest.h"
#include "base/error.h"
#include "base/transfer.h"

namespace cairn::store::registry {
namespace {

class Download {
 public:
  Download(Session& s, Store& store, const Descriptor& d)
      : s_(s), store_(store), d_(d), writer_(store.NewBlobWriter()) {}

  void Run() {
    while (writer_->BytesWritten() != d_.size) {
      if (Attempt()) continue;
      if (stalled_ > kMaxAttempts) throw Error(last_failure_ + " (gave up after " + std::to_string(stalled_) + " tries)");
      Backoff(stalled_, retry_after_ ? &*retry_after_ : nullptr);
    }
    writer_->Commit(d_.media_type, d_.digest);
    ReportTransfer({"pull " + d_.digest, d_.size, d_.size, /*finished=*/true});
  }

 private:
  // One GET from the current offset. True when the blob arrived whole; false when the failure
  // is worth another try (counted in stalled_ unless bytes arrived).
  bool Attempt() {
    int64_t have = writer_->BytesWritten();
    HttpRequest req;
    req.url = s_.RepoUrl("/blobs/" + d_.digest);
    if (have > 0) req.headers.push_back("Range: bytes=" + std::to_string(have) + "-");
    bool first = true;
    req.sink = [&](const HttpResponse& head, const char* p, size_t n) {
      if (first) StartBody(head, have);
      first = false;
      Append(p, n);
    };
    retry_after_.reset();
    try {
      HttpResponse resp = s_.Send(req, /*retry=*/false);
      if (resp.status == 200 || resp.status == 206) return CheckComplete();
      if (!IsRetryable(resp.status)) throw Error(Describe(resp));
      last_failure_ = Describe(resp);
      retry_after_ = resp;
    } catch (const TransportError& e) {
      last_failure_ = e.what();
    }
    stalled_ = writer_->BytesWritten() > have ? 1 : stalled_ + 1;
    return false;
  }

  // The first bytes of an answer to a Range request: a 206 must continue where we stopped;
  // a 200 is the whole blob again, so the partial one is dropped.
  void StartBody(const HttpResponse& head, int64_t have) {
    if (have == 0) return;
    if (head.status != 206) {
      writer_ = store_.NewBlobWriter();
      return;
    }
    std::string range = head.Header("content-range");
    if (range.rfind("bytes " + std::to_string(have) + "-", 0) != 0)
      throw Error("the registry answered a resume at byte " + std::to_string(have) + " with Content-Range \"" + range + "\"");
  }

  void Append(const char* p, size_t n) {
    if (writer_->BytesWritten() + static_cast<int64_t>(n) > d_.size)
      throw Error("the registry sent more than the " + std::to_string(d_.size) + " bytes the manifest declares");
    writer_->Write(p, n);
    ReportTransfer({"pull " + d_.digest, writer_->BytesWritten(), d_.size, false});
  }

  bool CheckComplete() {
    if (writer_->BytesWritten() != d_.size)
      throw Error("the registry sent " + std::to_string(writer_->BytesWritten()) + " of " + std::to_string(d_.size) + " bytes");
    return true;
  }

  Session& s_;
  Store& store_;
  const Descriptor& d_;
  std::unique_ptr<BlobWriter> writer_;
  int stalled_ = 0;  // failed attempts in a row that brought no new byte
  std::string last_failure_;
  std::optional<HttpResponse> retry_after_;  // the last retryable answer (its Retry-After counts)
};

}  // namespace

void DownloadBlob(Session& session, Store& store, const Descriptor& d) { Download(session, store, d).Run(); }

}  // namespace cairn::store::registry

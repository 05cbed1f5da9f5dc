#include "cli/transfer_meter.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>

#include "builder/progress_view.h"

namespace cairn::cli {
namespace {

// How often a line may be shown: a terminal redraws often enough for a rate to read as live; a
// log gets a line every few seconds (the "once per few seconds in plain mode").
constexpr auto kLiveEvery = std::chrono::milliseconds(100);
constexpr auto kPlainEvery = std::chrono::seconds(3);

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

TransferMeter::TransferMeter(bool live, std::function<void(const std::string&, bool)> out)
    : live_(live), out_(std::move(out)), started_(std::chrono::steady_clock::now()), last_shown_(started_) {
  SetTransferObserver([this](const TransferUpdate& u) { Update(u); });
}

TransferMeter::~TransferMeter() {
  SetTransferObserver({});
  std::lock_guard lock(mu_);
  int64_t done = 0;
  for (auto& [key, b] : blobs_) done += b.done;
  if (done == 0) return;
  double secs = Seconds(std::chrono::steady_clock::now() - started_);
  std::set<std::string> verbs;
  for (auto& [key, b] : blobs_) verbs.insert(key.substr(0, key.find(' ')));
  std::string what;
  for (auto& v : verbs) what += (what.empty() ? "" : "+") + v;
  out_(what + ": " + builder::FormatBytes(done) + " in " + builder::FormatSeconds(secs) + " (" +
           builder::FormatBytes(secs > 0 ? static_cast<int64_t>(static_cast<double>(done) / secs) : done) + "/s)",
       true);
}

int64_t TransferMeter::Bytes(const std::string& verb) const {
  std::lock_guard lock(mu_);
  int64_t done = 0;
  for (auto& [key, b] : blobs_)
    if (key.rfind(verb + " ", 0) == 0) done += b.done;
  return done;
}

std::string TransferMeter::Line() const {
  int64_t done = 0, total = 0;
  size_t finished = 0;
  std::set<std::string> verbs;
  for (auto& [key, b] : blobs_) {
    done += b.done;
    total += b.total > 0 ? b.total : b.done;
    finished += b.finished;
    verbs.insert(key.substr(0, key.find(' ')));
  }
  std::string what;
  for (auto& v : verbs) what += (what.empty() ? "" : "+") + v;
  double secs = Seconds(std::chrono::steady_clock::now() - started_);
  std::string rate = builder::FormatBytes(secs > 0 ? static_cast<int64_t>(static_cast<double>(done) / secs) : 0);
  return what + ": " + std::to_string(finished) + "/" + std::to_string(blobs_.size()) + " " +
         (blobs_.size() == 1 ? "transfer" : "transfers") + ", " + builder::FormatBytes(done) + " / " +
         builder::FormatBytes(total) + ", " + rate + "/s";
}

void TransferMeter::Update(const TransferUpdate& u) {
  std::lock_guard lock(mu_);
  Blob& b = blobs_[u.key];
  b.done = u.done;
  b.total = u.total;
  b.finished = b.finished || u.finished;
  auto now = std::chrono::steady_clock::now();
  if (now - last_shown_ < (live_ ? std::chrono::steady_clock::duration(kLiveEvery) : kPlainEvery)) return;
  last_shown_ = now;
  out_(Line(), false);
}

std::unique_ptr<TransferMeter> StderrTransferMeter() {
  bool live = ::isatty(STDERR_FILENO);
  return std::make_unique<TransferMeter>(live, [live](const std::string& line, bool final) {
    if (live) std::fprintf(stderr, "\r\x1b[K%s%s", line.c_str(), final ? "\n" : "");
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  });
}

}  // namespace cairn::cli

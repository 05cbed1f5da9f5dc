// Shows the transfers base/transfer.h reports while it lives: bytes done, total and rate, summed
// over the blobs in flight ("pull: 2/5 blobs, 12.3MB / 45.6MB, 5.1MB/s"). Live: at most ten
// lines a second, each meant to replace the last (a terminal redraws one line); plain: one line
// every few seconds, for logs. On destruction, one last line with the total and the mean rate,
// when anything moved. The lines go to `out`; the meter owns the process's transfer observer.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/transfer.h"

namespace cairn::cli {

class TransferMeter {
 public:
  // out(line, final): final is true for the closing total.
  TransferMeter(bool live, std::function<void(const std::string& line, bool final)> out);
  ~TransferMeter();
  TransferMeter(const TransferMeter&) = delete;
  TransferMeter& operator=(const TransferMeter&) = delete;

  // Bytes moved so far by the transfers whose key starts with `verb` ("push").
  int64_t Bytes(const std::string& verb) const;

 private:
  std::string Line() const;  // mu_ held

  void Update(const TransferUpdate& u);

  struct Blob {
    int64_t done = 0, total = 0;
    bool finished = false;
  };
  bool live_;
  std::function<void(const std::string&, bool)> out_;
  mutable std::mutex mu_;
  std::map<std::string, Blob> blobs_;
  std::chrono::steady_clock::time_point started_, last_shown_;
};

// A meter that writes to stderr: on a terminal a line redrawn in place, else plain lines.
// For pull, push, save and load outside a build.
std::unique_ptr<TransferMeter> StderrTransferMeter();

}  // namespace cairn::cli

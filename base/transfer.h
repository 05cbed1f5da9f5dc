// Bytes of transfers in flight (registry pulls and pushes, cache import and export, ADD of a
// URL), for whoever shows progress. Where bytes move, code reports; the CLI sets the one
// process-wide observer that shows them (cli/transfer_meter.h). Without an observer a report
// costs one check. Reports may come from several threads at once; the observer must cope.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace cairn {

struct TransferUpdate {
  std::string key;        // one transfer, e.g. "pull sha256:..." (the same for all its reports)
  int64_t done = 0;       // bytes moved so far
  int64_t total = 0;      // bytes expected; 0 when unknown
  bool finished = false;  // the last report of this transfer (done is then final)
};

using TransferObserver = std::function<void(const TransferUpdate&)>;

// Replaces the observer (an empty function removes it). Call while no transfer runs.
void SetTransferObserver(TransferObserver observer);
void ReportTransfer(const TransferUpdate& update);

}  // namespace cairn

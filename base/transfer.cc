#include "base/transfer.h"

namespace cairn {

static TransferObserver& Observer() {
  static TransferObserver observer;
  return observer;
}

void SetTransferObserver(TransferObserver observer) { Observer() = std::move(observer); }

void ReportTransfer(const TransferUpdate& update) {
  if (const auto& o = Observer()) o(update);
}

}  // namespace cairn

// The Client object itself: configuration and progress reporting shared by pull and push.
#include "store/registry/registry.h"

namespace cairn::store::registry {

Client::Client(RegistryConfig config, ProgressFn progress) : config_(std::move(config)), progress_(std::move(progress)) {}

Client::~Client() = default;

void Client::Report(TransferEvent::Kind kind, const Descriptor& d) {
  if (!progress_) return;
  // Workers report concurrently; a progress printer should not have to lock.
  std::lock_guard<std::mutex> lock(progress_mu_);
  progress_(TransferEvent{kind, d.digest, d.size});
}

}  // namespace cairn::store::registry

// Test support: small images built with the store's own API.
#pragma once

#include <cstddef>
#include <string>

#include "store/store.h"

namespace cairn::store::registry::testing {

// A one-layer image tagged `name`: a few small files plus `big_bytes` of incompressible
// pseudo-random data seeded by `seed` (so a layer can be made large enough to cut mid-body).
Descriptor MakeTestImage(Store& store, const std::string& name, size_t big_bytes = 0, unsigned seed = 1);

// Every blob a manifest names, plus the manifest itself, are in the store and read back whole.
bool HasWholeImage(const Store& store, const std::string& manifest_digest);

}  // namespace cairn::store::registry::testing

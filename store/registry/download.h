// One blob from a registry into the store: streamed, resumed, verified.
#pragma once

#include "store/registry/session.h"
#include "store/store.h"

namespace cairn::store::registry {

// Streams blob `d` of the session's repository into the store and commits it against d.digest
// (a mismatch throws and discards the bytes). A dropped connection resumes with a Range request
// from the bytes already written (kMaxAttempts times in a row without progress at most); a
// registry that answers a Range with the whole blob (200) makes the download start over;
// 5xx and 429 are retried with backoff. Throws Error on anything else (404, more or fewer bytes
// than d.size).
void DownloadBlob(Session& session, Store& store, const Descriptor& d);

}  // namespace cairn::store::registry

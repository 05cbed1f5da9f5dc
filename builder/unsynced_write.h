// Replacing a file atomically but not durably, for data that is only a hint.
#pragma once

#include <string>
#include <string_view>

namespace cairn::builder {

// Writes data to a temp file beside path and renames it over path: readers see the old file or
// the new one, never a torn one. Unlike WriteFileAtomic nothing is fsynced, so after a power
// loss the file may be old, empty or missing. Only for hints whose loss costs a re-read or a
// plainer message (the context digest index, cache-miss explanations); an fsync per build step
// would cost more than the hint saves. Throws Error naming the path.
void WriteFileUnsynced(const std::string& path, std::string_view data);

}  // namespace cairn::builder

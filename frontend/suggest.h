// "did you mean ...?" for misspelled keywords and names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

// The candidate closest to `word` (case-insensitive edit distance), or "" if none is close
// enough to be a plausible typo (distance <= 2 and less than half the word).
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace cairn::frontend

// The comma-separated "key=value,flag,..." values of docker's and BuildKit's flags
// (`RUN --mount=`, `--secret`, `--output`, `--cache-to`, ...), read as Go's encoding/csv reads one
// record, which is what docker, buildx and BuildKit parse them with: a field in double quotes may
// hold commas, and "" inside it is one quote. One home for the rule, so every flag splits alike.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// The fields of one record, in order ("" -> none). Throws Error naming the text when a quote is
// left open or stands inside a field that does not start with one (Go's ErrQuote, ErrBareQuote).
std::vector<std::string> SplitCsvFields(std::string_view text);

struct KeyValueField {
  std::string key;
  std::optional<std::string> value;  // none for a bare "key"
};

// "key=value" -> {key, value} (split at the first '='); "key" -> {key, none}.
KeyValueField CutKeyValue(std::string_view field);

// A flag whose every field is KEY=VALUE (`--output`, `--cache-to`, `--attest`): key -> value, a
// later field winning. Throws Error "<flag> <text>: ..." naming a field that is not KEY=VALUE.
std::map<std::string, std::string> KeyValueFields(std::string_view text, const std::string& flag);

}  // namespace cairn

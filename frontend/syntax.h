// The one place that sees ANTLR: splits a logical Dockerfile line into keyword, flags and
// argument text (grammar/DockerfileInstruction.g4), and reads JSON exec-form arrays
// (grammar/JsonArray.g4). Everything else in frontend/ works on the plain strings returned here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cairn::frontend {

struct SplitLine {
  std::string keyword;             // first word as written, e.g. "From"
  int keyword_offset = 0;          // byte offset of the keyword in the line
  std::vector<std::string> flags;  // "--from=build", quotes removed as BuildKit does
  std::string rest;                // the arguments, whitespace-trimmed
  int rest_offset = 0;             // byte offset of `rest` in the line (line size if empty)
};

// Never throws for any input: the grammar accepts every byte sequence. An empty/blank line gives
// an empty keyword.
SplitLine SplitInstruction(std::string_view line);

enum class JsonKind {
  kNotJson,     // does not start with '[' or is not one JSON value: use the shell form
  kStrings,     // an array of strings: the exec form
  kNotStrings,  // valid JSON array holding something else: BuildKit rejects the instruction
};

struct JsonArgs {
  JsonKind kind = JsonKind::kNotJson;
  std::vector<std::string> values;  // decoded strings when kind == kStrings
};

// BuildKit's parseJSON: left-trims whitespace, requires a leading '[', and decodes JSON string
// escapes (\u0000 included). Never throws.
JsonArgs ParseJsonArray(std::string_view text);

}  // namespace cairn::frontend

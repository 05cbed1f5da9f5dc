// Instruction flags (`--from=build`, `--link`), validated as BuildKit's instructions/bflag.go does.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cairn::frontend {

enum class FlagKind { kString, kBool, kList };

struct FlagSpec {
  std::string name;  // without "--"
  FlagKind kind = FlagKind::kString;
};

// Parsed flag values. Throws cairn::Error with BuildKit's wording: "unknown flag: --x",
// "duplicate flag specified: --x", "missing a value on flag: --x", "expecting boolean value for
// flag link, not: maybe".
class Flags {
 public:
  Flags(const std::vector<std::string>& words, const std::vector<FlagSpec>& specs);

  std::optional<std::string> String(const std::string& name) const;
  bool Bool(const std::string& name) const;                   // false when absent
  std::optional<bool> OptionalBool(const std::string& name) const;
  std::vector<std::string> List(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace cairn::frontend

#include "frontend/flags.h"

#include "base/error.h"
#include "frontend/suggest.h"
#include "frontend/text.h"

namespace cairn::frontend {

Flags::Flags(const std::vector<std::string>& words, const std::vector<FlagSpec>& specs) {
  for (const std::string& word : words) {
    if (!StartsWith(word, "--")) throw Error("invalid flag \"" + word + "\": flags start with --");
    std::string body = word.substr(2);
    size_t eq = body.find('=');
    std::string name = body.substr(0, eq);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const FlagSpec& s : specs) names.push_back(s.name);
      std::string hint = Suggest(name, names);
      throw Error("unknown flag: --" + name + (hint.empty() ? "" : " (did you mean --" + hint + "?)"));
    }
    if (spec->kind != FlagKind::kList && values_.count(name)) {
      throw Error("duplicate flag specified: --" + name);
    }
    std::string value;
    if (eq == std::string::npos) {
      if (spec->kind != FlagKind::kBool) throw Error("missing a value on flag: --" + name);
      value = "true";
    } else {
      value = body.substr(eq + 1);
      if (spec->kind == FlagKind::kBool) {
        std::string lower = ToLower(value);
        if (lower != "true" && lower != "false") {
          throw Error("expecting boolean value for flag " + name + ", not: " + value);
        }
        value = lower;
      }
    }
    values_[name].push_back(value);
  }
}

std::optional<std::string> Flags::String(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

bool Flags::Bool(const std::string& name) const { return OptionalBool(name).value_or(false); }

std::optional<bool> Flags::OptionalBool(const std::string& name) const {
  auto v = String(name);
  if (!v) return std::nullopt;
  return *v == "true";
}

std::vector<std::string> Flags::List(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace cairn::frontend

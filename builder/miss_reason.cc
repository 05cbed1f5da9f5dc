#include "builder/miss_reason.h"

#include <vector>

namespace cairn::builder {

using nlohmann::json;

namespace {

constexpr size_t kMaxNamed = 3;      // changes named in one line; the rest are counted
constexpr size_t kMaxValue = 60;     // characters of a value shown before "..."

std::string Quote(const std::string& v) {
  std::string s = v.size() > kMaxValue ? v.substr(0, kMaxValue) + "..." : v;
  return "\"" + s + "\"";
}

std::string Short(const std::string& digest) {
  return digest.rfind("sha256:", 0) == 0 && digest.size() >= 19 ? digest.substr(0, 19) : digest;
}

// "was X, now Y" lines for every name whose value differs between two maps.
void DiffMaps(const std::string& what, const std::map<std::string, std::string>& before,
              const std::map<std::string, std::string>& now, bool show_values, std::vector<std::string>& out) {
  auto b = before.begin(), n = now.begin();
  while (b != before.end() || n != now.end()) {
    if (n == now.end() || (b != before.end() && b->first < n->first)) {
      out.push_back(what + " " + b->first + " removed");
      ++b;
    } else if (b == before.end() || n->first < b->first) {
      out.push_back(what + " " + n->first + " added");
      ++n;
    } else {
      if (b->second != n->second)
        out.push_back(what + " " + n->first + " changed" +
                      (show_values ? ": was " + Quote(b->second) + ", now " + Quote(n->second) : ""));
      ++b;
      ++n;
    }
  }
}

void DiffField(const std::string& what, const std::string& before, const std::string& now,
               std::vector<std::string>& out) {
  if (before != now) out.push_back(what + " changed: was " + Quote(before) + ", now " + Quote(now));
}

std::string Join(const std::vector<std::string>& changes) {
  std::string line;
  for (size_t i = 0; i < changes.size() && i < kMaxNamed; i++) line += (i ? "; " : "") + changes[i];
  if (changes.size() > kMaxNamed) line += "; and " + std::to_string(changes.size() - kMaxNamed) + " more";
  return line;
}

// Every input that differs, most telling first: what the user wrote, then what they passed.
std::vector<std::string> Changes(const StepInputs& before, const StepInputs& now) {
  std::vector<std::string> out;
  DiffField("instruction", before.instruction, now.instruction, out);
  // Another kind of instruction (RUN then, COPY now) reads other inputs: comparing them says nothing.
  auto keyword = [](const std::string& s) { return s.substr(0, s.find(' ')); };
  if (keyword(before.instruction) != keyword(now.instruction)) return out;
  DiffMaps("build arg", before.args, now.args, /*show_values=*/true, out);
  DiffMaps("context file", before.files, now.files, /*show_values=*/false, out);
  DiffMaps("environment variable", before.env, now.env, /*show_values=*/true, out);
  DiffField("WORKDIR", before.workdir, now.workdir, out);
  DiffField("USER", before.user, now.user, out);
  DiffField("SHELL", before.shell, now.shell, out);
  if (before.layer_format != now.layer_format)
    out.push_back("layer format (source date epoch or compression) changed: was " + Quote(before.layer_format) +
                  ", now " + Quote(now.layer_format));
  // Only when nothing above says why: the sources as a whole (COPY --from, a bind mount) or
  // the expanded action (a heredoc body, a variable inside the instruction).
  if (out.empty() && before.sources != now.sources)
    out.push_back(now.files.empty() && before.files.empty()
                      ? "its sources (another stage, an image or a bind mount) changed"
                      : "its sources changed (file type or layout)");
  if (out.empty() && before.action != now.action)
    out.push_back("the expanded instruction changed (a variable or heredoc in it)");
  return out;
}

}  // namespace

std::string ExplainMiss(const MissFacts& f) {
  if (f.before) {
    if (f.before->key == f.now.key) return "its cache record or layer is gone from the store (pruned?)";
    std::vector<std::string> changes = Changes(*f.before, f.now);
    if (!changes.empty()) return Join(changes);
    return "its cache key changed for a reason not recorded (an older cairn built it)";
  }
  if (f.first_step && f.base_before && *f.base_before != f.base_now)
    return "base " + f.base_name + " changed: was " + Short(*f.base_before) + ", now " + Short(f.base_now);
  return "no previous build of this step";
}

json StepInputsToJson(const StepInputs& s) {
  return {{"key", s.key},       {"instruction", s.instruction}, {"action", s.action}, {"args", s.args},
          {"env", s.env},       {"workdir", s.workdir},         {"user", s.user},     {"shell", s.shell},
          {"files", s.files},   {"sources", s.sources},         {"layer_format", s.layer_format}};
}

std::optional<StepInputs> StepInputsFromJson(const json& j) {
  try {
    if (!j.is_object()) return std::nullopt;
    StepInputs s;
    s.key = j.at("key").get<std::string>();
    s.instruction = j.at("instruction").get<std::string>();
    s.action = j.at("action").get<std::string>();
    s.args = j.at("args").get<std::map<std::string, std::string>>();
    s.env = j.at("env").get<std::map<std::string, std::string>>();
    s.workdir = j.at("workdir").get<std::string>();
    s.user = j.at("user").get<std::string>();
    s.shell = j.at("shell").get<std::string>();
    s.files = j.at("files").get<std::map<std::string, std::string>>();
    s.sources = j.at("sources").get<std::string>();
    s.layer_format = j.at("layer_format").get<std::string>();
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace cairn::builder

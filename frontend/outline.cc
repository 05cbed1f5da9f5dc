#include "frontend/outline.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "base/csv_fields.h"
#include "base/error.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

// The text after `name` in the comment right above `line` ("" when there is none or it does not
// start with the name).
std::string Description(const Ast& ast, int line, const std::string& name) {
  if (line < 2 || static_cast<size_t>(line - 1) > ast.lines.size()) return "";
  std::string above(TrimSpace(ast.lines[static_cast<size_t>(line - 2)]));
  if (!StartsWith(above, "#")) return "";
  std::string text(TrimSpace(std::string_view(above).substr(1)));
  size_t space = text.find_first_of(" \t");
  if (space == std::string::npos || !EqualFold(text.substr(0, space), name)) return "";
  return std::string(TrimSpace(std::string_view(text).substr(space)));
}

std::string FlagValue(const Node& n, std::string_view name) {
  std::string prefix = "--" + std::string(name) + "=";
  for (const std::string& f : n.flags)
    if (StartsWith(f, prefix)) return f.substr(prefix.size());
  return "";
}

struct StageNodes {
  StageInfo info;
  std::string base;
  std::vector<const Node*> nodes;
};

std::vector<StageNodes> Stages(const Ast& ast, std::vector<const Node*>* meta) {
  std::vector<StageNodes> stages;
  for (const Node& n : ast.nodes) {
    if (EqualFold(n.keyword, "from")) {
      StageNodes s;
      s.info.name = n.args.size() == 3 ? ToLower(n.args[2]) : "";
      s.info.line = n.start_line;
      s.info.description = s.info.name.empty() ? "" : Description(ast, n.start_line, s.info.name);
      s.base = n.args.empty() ? "" : ToLower(n.args[0]);
      s.nodes.push_back(&n);
      stages.push_back(s);
    } else if (stages.empty()) {
      if (meta) meta->push_back(&n);
    } else {
      stages.back().nodes.push_back(&n);
    }
  }
  if (!stages.empty()) stages.back().info.is_default = true;
  return stages;
}

// The secret ids of RUN --mount=type=secret,id=X[,required=true].
void Secrets(const Node& n, std::vector<OutlineSecret>& out) {
  if (!EqualFold(n.keyword, "run")) return;
  for (const std::string& f : n.flags) {
    if (!StartsWith(f, "--mount=")) continue;
    std::map<std::string, std::string> kv;
    std::vector<std::string> fields;
    try {
      fields = SplitCsvFields(f.substr(8));
    } catch (const Error&) {
      continue;  // a malformed --mount is the build's error to report, not the outline's
    }
    for (const std::string& part : fields) {
      KeyValueField field = CutKeyValue(TrimSpace(part));
      kv[ToLower(field.key)] = field.value.value_or("true");
    }
    if (kv["type"] != "secret") continue;
    std::string id = kv.count("id") ? kv["id"] : kv.count("target") ? kv["target"].substr(kv["target"].rfind('/') + 1) : "";
    out.push_back({id, kv["required"] == "true"});
  }
}

}  // namespace

std::vector<StageInfo> Targets(const Ast& ast) {
  std::vector<StageInfo> out;
  for (auto& s : Stages(ast, nullptr)) out.push_back(s.info);
  return out;
}

Outline MakeOutline(const Ast& ast, const std::string& target, const std::vector<std::pair<std::string, std::string>>& build_args) {
  std::vector<const Node*> meta;
  std::vector<StageNodes> stages = Stages(ast, &meta);
  if (stages.empty()) throw Error(ast.file + ": no FROM instruction: nothing to outline");
  size_t want = stages.size() - 1;
  if (!target.empty()) {
    want = stages.size();
    for (size_t i = 0; i < stages.size(); ++i)
      if (stages[i].info.name == ToLower(target)) want = i;
    if (want == stages.size()) throw Error("--target " + target + ": no stage of " + ast.file + " has that name");
  }
  // The stages the target needs: FROM <stage> and COPY --from=<stage>, followed back.
  std::set<size_t> needed;
  std::vector<size_t> todo = {want};
  auto by_name = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < stages.size(); ++i)
      if (stages[i].info.name == ToLower(name) || std::to_string(i) == name) return i;
    return std::nullopt;
  };
  while (!todo.empty()) {
    size_t i = todo.back();
    todo.pop_back();
    if (!needed.insert(i).second) continue;
    if (auto b = by_name(stages[i].base); b && *b < i) todo.push_back(*b);
    for (const Node* n : stages[i].nodes)
      if (auto from = FlagValue(*n, "from"); !from.empty())
        if (auto b = by_name(from)) todo.push_back(*b);
  }
  std::map<std::string, std::string> overrides(build_args.begin(), build_args.end());
  Outline out;
  out.target = stages[want].info;
  std::set<std::string> seen;
  auto add_arg = [&](const Node& n) {
    for (const std::string& a : n.args) {
      size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      if (!seen.insert(name).second) continue;
      std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
      if (overrides.count(name)) value = overrides[name];
      out.args.push_back({name, value, n.args.size() == 1 ? Description(ast, n.start_line, name) : "", n.start_line});
    }
  };
  for (const Node* n : meta)
    if (EqualFold(n->keyword, "arg")) add_arg(*n);
  for (size_t i : needed)
    for (const Node* n : stages[i].nodes) {
      if (EqualFold(n->keyword, "arg")) add_arg(*n);
      Secrets(*n, out.secrets);
    }
  return out;
}

}  // namespace cairn::frontend

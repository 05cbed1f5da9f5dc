// BuildKit's Node.Dump, for the golden parser tests.
#include "frontend/go_quote.h"
#include "frontend/parser.h"
#include "frontend/text.h"

namespace cairn::frontend {

std::string DumpNode(const Node& node) {
  std::string s = ToLower(node.keyword);
  if (!node.flags.empty()) {
    s += " [";
    for (size_t i = 0; i < node.flags.size(); ++i) {
      if (i > 0) s += ' ';
      s += GoQuote(node.flags[i]);
    }
    s += ']';
  }
  for (const std::string& arg : node.args) s += " " + GoQuote(arg);
  for (const Node& sub : node.sub) s += " (" + DumpNode(sub) + ")";
  return std::string(TrimSpace(s));
}

std::string Dump(const Ast& ast) {
  std::string out;
  for (const Node& node : ast.nodes) out += "(" + DumpNode(node) + ")\n";
  return out;
}

}  // namespace cairn::frontend

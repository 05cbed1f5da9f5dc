#include "base/csv_fields.h"

#include "base/error.h"

namespace cairn {

std::vector<std::string> SplitCsvFields(std::string_view text) {
  std::vector<std::string> fields;
  if (text.empty()) return fields;
  size_t at = 0;
  for (;;) {
    std::string field;
    if (at < text.size() && text[at] == '"') {
      // Quoted: up to the closing quote; "" is a quote; then a comma or the end must follow.
      for (++at;; ++at) {
        if (at >= text.size()) throw Error("\"" + std::string(text) + "\": a quote is not closed");
        if (text[at] != '"') {
          field += text[at];
        } else if (at + 1 < text.size() && text[at + 1] == '"') {
          field += '"';
          ++at;
        } else {
          ++at;
          break;
        }
      }
      if (at < text.size() && text[at] != ',')
        throw Error("\"" + std::string(text) + "\": extraneous or missing \" in quoted field");
    } else {
      size_t comma = std::min(text.find(',', at), text.size());
      field = std::string(text.substr(at, comma - at));
      if (field.find('"') != std::string::npos)
        throw Error("\"" + std::string(text) + "\": bare \" in a field that does not start with one (quote the whole field)");
      at = comma;
    }
    fields.push_back(std::move(field));
    if (at >= text.size()) return fields;
    ++at;  // the comma
  }
}

std::map<std::string, std::string> KeyValueFields(std::string_view text, const std::string& flag) {
  std::string where = flag + " " + std::string(text);
  std::vector<std::string> fields;
  try {
    fields = SplitCsvFields(text);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  std::map<std::string, std::string> kv;
  for (const std::string& field : fields) {
    KeyValueField f = CutKeyValue(field);
    if (f.key.empty() || !f.value) throw Error(where + ": \"" + field + "\" is not KEY=VALUE");
    kv[f.key] = *f.value;
  }
  return kv;
}

KeyValueField CutKeyValue(std::string_view field) {
  size_t eq = field.find('=');
  if (eq == std::string_view::npos) return {std::string(field), std::nullopt};
  return {std::string(field.substr(0, eq)), std::string(field.substr(eq + 1))};
}

}  // namespace cairn

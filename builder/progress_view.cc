#include "builder/progress_view.h"

#include <algorithm>
#include <cstdio>

namespace cairn::builder {
namespace {

using State = ViewEntry::State;

// SGR colours, as BuildKit's progressui uses them: finished blue, failed red, warnings yellow.
constexpr const char* kBlue = "34";
constexpr const char* kRed = "31";
constexpr const char* kYellow = "33";
constexpr const char* kDim = "2";

size_t Columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count code points, not continuation bytes
  return n;
}

bool Finished(const ViewEntry& e) { return e.state != State::kRunning; }

// " => [2/4] RUN make ........ 1.3s": the name cut so the time stays at the right edge.
ViewLine StepLine(const ViewEntry& e, double now, const ViewStyle& style) {
  std::string prefix = " => ";
  if (e.state == State::kCached) prefix += "CACHED ";
  if (e.state == State::kFailed) prefix += "ERROR ";
  std::string time = FormatSeconds((Finished(e) ? e.ended : now) - e.started);
  size_t room = static_cast<size_t>(std::max(style.width - 1, 8));
  std::string left = prefix + e.name;
  size_t want_left = room > time.size() + 1 ? room - time.size() - 1 : 0;
  std::string text;
  if (want_left < 8) {
    text = CutToColumns(left, room);
  } else {
    text = CutToColumns(left, want_left);
    text += std::string(want_left - Columns(text) + 1, ' ') + time;
  }
  const char* sgr = e.state == State::kDone || e.state == State::kCached ? kBlue
                    : e.state == State::kFailed                         ? kRed
                                                                        : "";
  return {text, style.color ? sgr : ""};
}

// The rows of one entry.
std::vector<ViewLine> EntryLines(const ViewEntry& e, double now, const ViewStyle& style) {
  size_t room = static_cast<size_t>(std::max(style.width - 1, 8));
  if (e.state == State::kNote) {
    bool warning = e.name.rfind("warning", 0) == 0;
    return {{CutToColumns(e.name, room), style.color && warning ? kYellow : ""}};
  }
  std::vector<ViewLine> rows = {StepLine(e, now, style)};
  bool open = e.state == State::kRunning || e.state == State::kFailed;  // a finished step is one line
  if (open && !e.miss_reason.empty()) rows.push_back({CutToColumns(" => => cache miss: " + e.miss_reason, room), style.color ? kDim : ""});
  size_t shown = e.state == State::kRunning ? std::min(e.output.size(), kLiveTailLines)
                 : e.state == State::kFailed ? e.output.size()
                                             : 0;
  if (e.state == State::kFailed && e.dropped_lines > 0)
    rows.push_back({" => => # (" + std::to_string(e.dropped_lines) + " earlier lines not kept)", ""});
  for (size_t i = e.output.size() - shown; i < e.output.size(); ++i)
    rows.push_back({CutToColumns(" => => # " + e.output[i], room), ""});
  return rows;
}

ViewLine Header(const ViewModel& model, double now, const ViewStyle& style) {
  size_t steps = 0, finished = 0;
  bool failed = false;
  for (auto& e : model.entries) {
    if (e.state == State::kNote) continue;
    ++steps;
    finished += Finished(e);
    failed = failed || e.state == State::kFailed;
  }
  std::string text = "[+] Building " + FormatSeconds(now - model.started) + " (" + std::to_string(finished) + "/" +
                     std::to_string(steps) + ")";
  if (style.final) text += failed ? " FAILED" : " FINISHED";
  size_t room = static_cast<size_t>(std::max(style.width - 1, 8));
  return {CutToColumns(text, room), style.color && failed ? kRed : ""};
}

}  // namespace

std::vector<ViewLine> RenderView(const ViewModel& model, double now, const ViewStyle& style) {
  std::vector<std::vector<ViewLine>> blocks;
  for (auto& e : model.entries) blocks.push_back(EntryLines(e, now, style));
  std::vector<ViewLine> out = {Header(model, now, style)};
  if (!style.final && !model.transfer.empty())
    out.push_back({CutToColumns(" => " + model.transfer, static_cast<size_t>(std::max(style.width - 1, 8))), ""});
  if (!style.final) {
    // Too tall for the terminal: finished entries leave first (oldest first), then the oldest rows.
    size_t limit = static_cast<size_t>(std::max(style.height - 1, 2)) - out.size();
    size_t rows = 0;
    for (auto& b : blocks) rows += b.size();
    for (size_t i = 0; i < blocks.size() && rows > limit; ++i) {
      if (!Finished(model.entries[i])) continue;
      rows -= blocks[i].size();
      blocks[i].clear();
    }
    std::vector<ViewLine> body;
    for (auto& b : blocks) body.insert(body.end(), b.begin(), b.end());
    if (body.size() > limit) body.erase(body.begin(), body.end() - static_cast<std::ptrdiff_t>(limit));
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }
  for (auto& b : blocks) out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::string FormatSeconds(double seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else {
    long s = static_cast<long>(seconds);
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  }
  return buf;
}

std::string FormatBytes(int64_t bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(units)) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lldB", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f%s", v, units[u]);
  return buf;
}

std::string CleanOutputLine(const std::string& line) {
  std::string s = line;
  while (!s.empty() && s.back() == '\r') s.pop_back();
  if (auto cr = s.rfind('\r'); cr != std::string::npos) s.erase(0, cr + 1);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {  // ESC [ ... final byte: a CSI sequence (colours, cursor moves)
      if (i + 1 < s.size() && s[i + 1] == '[') {
        i += 2;
        while (i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e)) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\t') out += "    ";
    else if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
  }
  return out;
}

std::string CutToColumns(const std::string& text, size_t columns) {
  size_t n = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (n == columns) break;
    ++n;
  }
  return text.substr(0, i);
}

}  // namespace cairn::builder

// The live view's screen as data: what each step is doing, and the pure function that turns that
// into the lines a terminal shows. builder/progress_tty.h draws them; tests read them directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::builder {

// One row of the view: a step (a vertex) or a build-wide note, in the order they arrived.
struct ViewEntry {
  enum class State { kRunning, kDone, kCached, kFailed, kNote };
  State state = State::kRunning;
  int id = 0;
  std::string name;       // "[2/4] RUN make" or the note's text
  double started = 0;     // seconds on the view's clock
  double ended = 0;       // valid once not running
  std::vector<std::string> output;  // every line the step printed (capped, see kMaxKeptLines)
  int64_t dropped_lines = 0;        // lines dropped from the front to keep the cap
  std::string miss_reason;          // "cache miss: ..." explanation, if any
};

struct ViewModel {
  std::vector<ViewEntry> entries;
  double started = 0;  // when the build began
  int64_t layers_written = 0, layer_bytes = 0, bytes_pushed = 0;
  std::string transfer;  // the transfers in flight ("pull: 1/3 transfers, ..."), under the header while live
};

// How the view is drawn. Rules, fixed here so every terminal sees the same layout:
//  - a running step shows its last kLiveTailLines output lines under it (BuildKit shows 6);
//  - a finished step is one line; a failed step keeps all its kept output (the failure's
//    evidence stays on the screen), up to kMaxKeptLines;
//  - every line is cut to the terminal's width minus one column, so no line wraps and the
//    redraw can count rows exactly;
//  - while live, only the last rows that fit the terminal's height are drawn (the header stays);
//    the final frame draws everything.
constexpr size_t kLiveTailLines = 6;
constexpr size_t kMaxKeptLines = 10000;

struct ViewStyle {
  int width = 80;
  int height = 24;
  bool color = true;   // false under NO_COLOR
  bool final = false;  // the last frame: all entries, no height limit, then the summary
};

// A rendered line: its visible text (no escapes) and the SGR colour that wraps it ("" = none).
struct ViewLine {
  std::string text;
  std::string sgr;
};

// The frame at `now`. Each line's text is at most width-1 columns.
std::vector<ViewLine> RenderView(const ViewModel& model, double now, const ViewStyle& style);

// "1.3s", "12.0s", "2m05s": BuildKit's durations.
std::string FormatSeconds(double seconds);
// "12.3MB", "512B": docker's sizes (powers of 1000).
std::string FormatBytes(int64_t bytes);
// Output from a container made fit for one terminal line: the text after the last \r (a progress
// bar redrawing itself), escapes and other control characters removed, tabs as spaces.
std::string CleanOutputLine(const std::string& line);
// The first `columns` columns of UTF-8 text (one column per code point).
std::string CutToColumns(const std::string& text, size_t columns);

}  // namespace cairn::builder

#include "builder/progress_tty.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace cairn::builder {
namespace {

double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Writes all of it; a terminal that went away (EIO, EPIPE) just stops showing progress.
void WriteAll(int fd, const std::string& s) {
  size_t at = 0;
  while (at < s.size()) {
    ssize_t n = ::write(fd, s.data() + at, s.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

// Redraw interval: often enough for a timer with tenths of a second, rarely enough to cost
// nothing next to a build (BuildKit redraws at a similar rate).
constexpr auto kTick = std::chrono::milliseconds(100);

}  // namespace

bool WantsLiveView(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) && !(term && std::strcmp(term, "dumb") == 0);
}

TtyProgress::TtyProgress(int fd, bool color) : fd_(fd), color_(color) {
  model_.started = Now();
  ticker_ = std::thread([this] { Tick(); });
}

TtyProgress::~TtyProgress() {
  Stop();
  std::lock_guard lock(mu_);
  if (!finished_) Draw(/*final=*/true);
}

void TtyProgress::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void TtyProgress::Tick() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Draw(/*final=*/false);
    wake_.wait_for(lock, kTick, [this] { return stopping_; });
  }
}

ViewEntry* TtyProgress::Find(int id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &model_.entries[it->second];
}

void TtyProgress::Started(int id, std::string_view name) {
  std::lock_guard lock(mu_);
  index_[id] = model_.entries.size();
  ViewEntry e;
  e.id = id;
  e.name = std::string(name);
  e.started = Now();
  model_.entries.push_back(std::move(e));
}

void TtyProgress::Output(int id, std::string_view line) {
  std::lock_guard lock(mu_);
  ViewEntry* e = Find(id);
  if (!e) return;
  e->output.push_back(CleanOutputLine(std::string(line)));
  if (e->output.size() > kMaxKeptLines) {
    e->output.erase(e->output.begin());
    ++e->dropped_lines;
  }
}

void TtyProgress::End(int id, ViewEntry::State state) {
  std::lock_guard lock(mu_);
  ViewEntry* e = Find(id);
  if (!e || e->state != ViewEntry::State::kRunning) return;
  e->state = state;
  e->ended = Now();
}

void TtyProgress::Cached(int id) { End(id, ViewEntry::State::kCached); }
void TtyProgress::Done(int id, double) { End(id, ViewEntry::State::kDone); }
// The message is the build's error, which cli/main.cc prints once after the view.
void TtyProgress::Failed(int id, std::string_view) { End(id, ViewEntry::State::kFailed); }

void TtyProgress::Note(std::string_view message) {
  std::lock_guard lock(mu_);
  ViewEntry e;
  e.state = ViewEntry::State::kNote;
  e.name = CleanOutputLine(std::string(message));
  e.started = e.ended = Now();
  model_.entries.push_back(std::move(e));
}

void TtyProgress::CacheMiss(int id, std::string_view reason) {
  std::lock_guard lock(mu_);
  if (ViewEntry* e = Find(id)) e->miss_reason = CleanOutputLine(std::string(reason));
}

void TtyProgress::LayerWritten(int, int64_t bytes) {
  std::lock_guard lock(mu_);
  ++model_.layers_written;
  model_.layer_bytes += bytes;
}

void TtyProgress::BytesPushed(int64_t bytes) {
  std::lock_guard lock(mu_);
  model_.bytes_pushed += bytes;
}

void TtyProgress::Transfer(std::string_view line, bool final) {
  if (final) {
    {
      std::lock_guard lock(mu_);
      model_.transfer.clear();
    }
    Note(line);
    return;
  }
  std::lock_guard lock(mu_);
  model_.transfer = CleanOutputLine(std::string(line));
}

void TtyProgress::Finish() {
  Stop();
  std::lock_guard lock(mu_);
  if (finished_) return;
  Draw(/*final=*/true);
  finished_ = true;
  size_t run = 0, cached = 0;
  for (auto& e : model_.entries) {
    run += e.state == ViewEntry::State::kDone;
    cached += e.state == ViewEntry::State::kCached;
  }
  std::string summary = "Built in " + FormatSeconds(Now() - model_.started) + ": " + std::to_string(run + cached) +
                        " steps, " + std::to_string(run) + " run, " + std::to_string(cached) + " cached; " +
                        std::to_string(model_.layers_written) + (model_.layers_written == 1 ? " layer" : " layers") +
                        " written (" + FormatBytes(model_.layer_bytes) + ")";
  if (model_.bytes_pushed > 0) summary += "; " + FormatBytes(model_.bytes_pushed) + " pushed";
  WriteAll(fd_, summary + "\n");
}

void TtyProgress::Draw(bool final) {
  ViewStyle style;
  struct winsize ws {};
  if (::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    style.width = ws.ws_col;
    style.height = ws.ws_row > 0 ? ws.ws_row : 24;
  }
  style.color = color_;
  style.final = final;
  std::vector<ViewLine> lines = RenderView(model_, Now(), style);

  // Back to the first row of the last frame. After a resize the terminal may have reflowed that
  // frame in its own way (tmux and VTE rewrap, xterm cuts), so no row count can be trusted: the
  // new frame is drawn below the old one instead, which stays in the scrollback as it was.
  std::string frame;
  size_t rows = 0;
  if (style.width == last_width_) rows = last_frame_columns_.size();
  last_width_ = style.width;
  if (rows > 0) frame += "\r\x1b[" + std::to_string(rows) + "A";
  last_frame_columns_.clear();
  // Each row is overwritten and cleared to its end; only below the frame is the rest of the
  // screen cleared. (An erase-below at the top-left corner is what some terminals, tmux among
  // them, treat as "clear screen" and keep in the scrollback: every frame would pile up there.)
  for (auto& l : lines) {
    if (l.sgr.empty()) frame += l.text;
    else frame += "\x1b[" + l.sgr + "m" + l.text + "\x1b[0m";
    frame += "\x1b[K\n";
    size_t cols = 0;
    for (unsigned char c : l.text) cols += (c & 0xC0) != 0x80;
    last_frame_columns_.push_back(cols);
  }
  frame += "\x1b[J";  // rows a taller last frame left below this one
  if (final) last_frame_columns_.clear();  // the final frame stays: nothing draws over it
  WriteAll(fd_, frame);
}

}  // namespace cairn::builder

// `--progress tty` (and `auto` on a terminal): the live view, redrawn in place like BuildKit's.
//
// One line per step with its state and a running timer, the last few output lines of each running
// step under it, finished steps collapsed to one line (a failed one keeps all its output), a
// header with the elapsed time, and on Finish() a summary. The layout rules are in
// builder/progress_view.h. The terminal's size is read before every frame, so a resize takes
// effect on the next one (100 ms), drawn below the frame the terminal reflowed. Destroying the sink (also while unwinding from Ctrl-C or a
// failure) stops the redraws and leaves the whole final frame on the screen.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "builder/progress.h"
#include "builder/progress_view.h"

namespace cairn::builder {

class TtyProgress : public Progress {
 public:
  // fd: the terminal (stderr). color: false when NO_COLOR is set.
  TtyProgress(int fd, bool color);
  ~TtyProgress() override;
  TtyProgress(const TtyProgress&) = delete;
  TtyProgress& operator=(const TtyProgress&) = delete;

  void Started(int id, std::string_view name) override;
  void Output(int id, std::string_view line) override;
  void Cached(int id) override;
  void Done(int id, double seconds) override;
  void Failed(int id, std::string_view message) override;
  void Note(std::string_view message) override;
  void CacheMiss(int id, std::string_view reason) override;
  void LayerWritten(int id, int64_t bytes) override;
  void BytesPushed(int64_t bytes) override;
  void Transfer(std::string_view line, bool final) override;  // under the header while live
  bool Live() const override { return true; }
  void Finish() override;  // the final frame, then "Built in 4.2s: ..."

 private:
  ViewEntry* Find(int id);  // mu_ held
  void End(int id, ViewEntry::State state);
  void Tick();
  void Draw(bool final);  // mu_ held
  void Stop();

  int fd_;
  bool color_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false, finished_ = false;
  ViewModel model_;
  std::map<int, size_t> index_;            // step id -> entry
  std::vector<size_t> last_frame_columns_;  // visible width of each row drawn last
  int last_width_ = 0;                      // the terminal's width when it was drawn
  std::thread ticker_;
};

// Whether `auto` should pick the live view for this fd: a terminal whose TERM is not "dumb".
bool WantsLiveView(int fd);

}  // namespace cairn::builder

// Progress output of a build: where step events go. The builder reports; a sink renders.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace cairn::builder {

// Receives build events. Implementations must be safe to call from several threads.
class Progress {
 public:
  virtual ~Progress() = default;
  // A vertex: one step (or a build-wide action such as "load build definition").
  virtual void Started(int id, std::string_view name) = 0;
  virtual void Output(int id, std::string_view line) = 0;  // one line, no trailing newline
  virtual void Cached(int id) = 0;
  virtual void Done(int id, double seconds) = 0;
  virtual void Failed(int id, std::string_view message) = 0;
  virtual void Note(std::string_view message) = 0;  // build-wide: warnings, which epoch was used
  // Why a step missed the step cache (only the first miss of a stage is explained). A sink that
  // does not show explanations may ignore it.
  virtual void CacheMiss(int /*id*/, std::string_view /*reason*/) {}
  // A layer the step wrote (not a cache hit), its compressed size: for the live view's summary.
  virtual void LayerWritten(int /*id*/, int64_t /*bytes*/) {}
  // Bytes sent to a registry (push), for the summary.
  virtual void BytesPushed(int64_t /*bytes*/) {}
  // Bytes of pulls, pushes and downloads in flight, as one status line (cli/transfer_meter.h),
  // a few times a second on a live view, every few seconds otherwise; final: the closing total.
  // By default the line is a note.
  virtual void Transfer(std::string_view line, bool /*final*/) { Note(line); }
  // One transfer's own bytes (base/transfer.h), for views that show each one rather than the
  // meter's summary line (rawjson's "statuses"). Wants() says whether this view takes them.
  virtual bool WantsTransferStatuses() const { return false; }
  virtual void TransferStatus(const std::string& /*key*/, int64_t /*done*/, int64_t /*total*/, bool /*finished*/) {}
  // Whether this sink redraws a terminal (the transfer line may then come often).
  virtual bool Live() const { return false; }
  // The build and everything after it (naming, export, push) succeeded: a sink with a summary
  // prints it now. Not called when the build fails.
  virtual void Finish() {}
};

// `--progress quiet` (`-q`): nothing; the build prints only the image ID on stdout, and a failure
// is still the located error on stderr (cli/main.cc).
class QuietProgress : public Progress {
 public:
  void Started(int, std::string_view) override {}
  void Output(int, std::string_view) override {}
  void Cached(int) override {}
  void Done(int, double) override {}
  void Failed(int, std::string_view) override {}
  void Note(std::string_view) override {}
};

// `--progress plain`, the form BuildKit prints for CI logs:
//   #3 [2/4] RUN make
//   #3 0.412 compiling...
//   #3 DONE 0.4s
class PlainProgress : public Progress {
 public:
  explicit PlainProgress(std::FILE* out);
  void Started(int id, std::string_view name) override;
  void Output(int id, std::string_view line) override;
  void Cached(int id) override;
  void Done(int id, double seconds) override;
  void Failed(int id, std::string_view message) override;
  void Note(std::string_view message) override;
  void CacheMiss(int id, std::string_view reason) override;  // "#3 cache miss: <reason>"

 private:
  void Print(const std::string& line);
  double Elapsed(int id) const;

  std::FILE* out_;
  std::mutex mu_;
  std::map<int, double> started_at_;
};

// `--progress json`: one JSON object a line ({"id":3,"event":"started","name":"..."}).
class JsonProgress : public Progress {
 public:
  explicit JsonProgress(std::FILE* out);
  void Started(int id, std::string_view name) override;
  void Output(int id, std::string_view line) override;
  void Cached(int id) override;
  void Done(int id, double seconds) override;
  void Failed(int id, std::string_view message) override;
  void Note(std::string_view message) override;
  void CacheMiss(int id, std::string_view reason) override;  // {"id":3,"event":"cache-miss","reason":...}

 private:
  void Emit(const std::string& json_line);
  std::FILE* out_;
  std::mutex mu_;
};

// auto (the live view when `out` is a terminal, else plain) | tty (the live view,
// builder/progress_tty.h) | plain | json | rawjson (BuildKit's SolveStatus stream,
// builder/progress_rawjson.h) | quiet. NO_COLOR (set and not empty) turns colours off.
// Throws Error naming the flag for any other mode.
std::unique_ptr<Progress> MakeProgress(std::string_view mode, std::FILE* out);

}  // namespace cairn::builder

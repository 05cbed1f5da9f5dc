// Progress output of a build: where step events go. The builder reports; a sink renders.
#pragma once

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

// plain | json | tty | auto (tty and auto fall back to plain for now: one line per event).
std::unique_ptr<Progress> MakeProgress(std::string_view mode, std::FILE* out);

}  // namespace cairn::builder

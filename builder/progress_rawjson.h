// `--progress rawjson`: BuildKit's progress stream as buildx prints it, one SolveStatus JSON
// object a line, so tools that read `docker buildx build --progress=rawjson` read cairn's:
//   {"vertexes":[{"digest":"sha256:..","name":"[2/4] RUN make","started":"2026-..Z"}]}
//   {"logs":[{"vertex":"sha256:..","stream":1,"data":"<base64 of the line and \n>","timestamp":".."}]}
//   {"vertexes":[{"digest":"sha256:..","name":"..","started":"..","completed":"..","cached":true}]}
//   {"warnings":[{"vertex":"sha256:..","level":1,"short":"<base64>"}]}
//   {"statuses":[{"id":"pull sha256:..","vertex":"sha256:..","name":"pull sha256:..","current":N,
//                 "total":N,"timestamp":"..","started":"..","completed":".."}]}
// Transfers (pulls, pushes, cache import/export, ADD <url>) are statuses of the internal vertex,
// at most every 100 ms each, plus their first and last.
// A step's digest is sha256 of "cairn-vertex:<build-local id>:<name>" (BuildKit's are of its LLB
// ops, which cairn has none of); it is the same for the same step within one build.
// Build-wide notes (epoch, naming, export) are logs of one vertex "[internal] cairn"; notes
// that start with "warning" and build check findings ("Dockerfile:3: Rule: ...") are warnings.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "builder/progress.h"

namespace cairn::builder {

class RawJsonProgress : public Progress {
 public:
  explicit RawJsonProgress(std::FILE* out);
  void Started(int id, std::string_view name) override;
  void Output(int id, std::string_view line) override;
  void Cached(int id) override;
  void Done(int id, double seconds) override;
  void Failed(int id, std::string_view message) override;
  void Note(std::string_view message) override;
  void CacheMiss(int id, std::string_view reason) override;  // a log line "cache miss: ..." (stream 2)
  bool WantsTransferStatuses() const override { return true; }
  void TransferStatus(const std::string& key, int64_t done, int64_t total, bool finished) override;

 private:
  struct Vertex {
    std::string digest, name, started;
  };
  void Complete(int id, bool cached, std::string_view error);
  void Log(const Vertex& v, int stream, std::string_view text);  // mu_ held
  const Vertex& Internal();                                        // mu_ held
  void Emit(const std::string& line);                              // mu_ held

  std::FILE* out_;
  std::mutex mu_;
  std::map<int, Vertex> vertexes_;  // id 0: the internal vertex of notes
  struct Status {
    std::string started;
    std::chrono::steady_clock::time_point last_emitted;
  };
  std::map<std::string, Status> statuses_;
};

// RFC 3339 with nanoseconds, UTC ("2026-12-02T15:04:05.123456789Z"), as Go marshals time.Time.
std::string Rfc3339NanoNow();
// Standard base64 with padding, as Go marshals []byte (base/base64.h).
std::string Base64(std::string_view bytes);

}  // namespace cairn::builder

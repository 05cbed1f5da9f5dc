#include "builder/progress_rawjson.h"

#include <chrono>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/digest.h"

namespace cairn::builder {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A build check finding as frontend/lint.h formats it: "Dockerfile:12: JSONArgsRecommended: ...".
bool IsCheckFinding(std::string_view note) {
  static const std::regex finding(R"(^[^:\s]+:[0-9]+: [A-Za-z]+: )");
  return std::regex_search(note.begin(), note.end(), finding);
}

}  // namespace

std::string Rfc3339NanoNow() {
  using namespace std::chrono;
  auto now = system_clock::now().time_since_epoch();
  auto secs = duration_cast<seconds>(now);
  long nanos = static_cast<long>(duration_cast<nanoseconds>(now - secs).count());
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", nanos);
  return buf;
}

std::string Base64(std::string_view bytes) { return Base64Encode(std::string(bytes)); }

RawJsonProgress::RawJsonProgress(std::FILE* out) : out_(out) {}

void RawJsonProgress::Emit(const std::string& line) {
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void RawJsonProgress::Started(int id, std::string_view name) {
  std::lock_guard lock(mu_);
  Vertex v{DigestOf("cairn-vertex:" + std::to_string(id) + ":" + std::string(name)), std::string(name), Rfc3339NanoNow()};
  vertexes_[id] = v;
  Emit(Dump({{"vertexes", json::array({{{"digest", v.digest}, {"name", v.name}, {"started", v.started}}})}}));
}

void RawJsonProgress::Log(const Vertex& v, int stream, std::string_view text) {
  Emit(Dump({{"logs", json::array({{{"vertex", v.digest},
                                     {"stream", stream},
                                     {"data", Base64(std::string(text) + "\n")},
                                     {"timestamp", Rfc3339NanoNow()}}})}}));
}

void RawJsonProgress::Output(int id, std::string_view line) {
  std::lock_guard lock(mu_);
  auto it = vertexes_.find(id);
  if (it != vertexes_.end()) Log(it->second, 1, line);
}

void RawJsonProgress::Complete(int id, bool cached, std::string_view error) {
  std::lock_guard lock(mu_);
  auto it = vertexes_.find(id);
  if (it == vertexes_.end()) return;
  const Vertex& v = it->second;
  json vertex = {{"digest", v.digest}, {"name", v.name}, {"started", v.started}, {"completed", Rfc3339NanoNow()}};
  if (cached) vertex["cached"] = true;
  if (!error.empty()) vertex["error"] = error;
  Emit(Dump({{"vertexes", json::array({vertex})}}));
}

void RawJsonProgress::Cached(int id) { Complete(id, true, ""); }
void RawJsonProgress::Done(int id, double) { Complete(id, false, ""); }
void RawJsonProgress::Failed(int id, std::string_view message) { Complete(id, false, message); }

const RawJsonProgress::Vertex& RawJsonProgress::Internal() {
  auto it = vertexes_.find(0);
  if (it != vertexes_.end()) return it->second;
  Vertex v{DigestOf("cairn-vertex:0:[internal] cairn"), "[internal] cairn", Rfc3339NanoNow()};
  Emit(Dump({{"vertexes", json::array({{{"digest", v.digest}, {"name", v.name}, {"started", v.started}}})}}));
  return vertexes_[0] = v;
}

void RawJsonProgress::Note(std::string_view message) {
  std::lock_guard lock(mu_);
  const Vertex& internal = Internal();
  if (message.rfind("warning", 0) == 0 || IsCheckFinding(message)) {
    Emit(Dump({{"warnings", json::array({{{"vertex", internal.digest}, {"level", 1}, {"short", Base64(message)}}})}}));
    return;
  }
  Log(internal, 1, message);
}

void RawJsonProgress::TransferStatus(const std::string& key, int64_t done, int64_t total, bool finished) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, first] = statuses_.try_emplace(key, Status{Rfc3339NanoNow(), now});
  if (!first && !finished && now - it->second.last_emitted < std::chrono::milliseconds(100)) return;
  it->second.last_emitted = now;
  std::string stamp = Rfc3339NanoNow();
  json status = {{"id", key}, {"vertex", Internal().digest}, {"name", key}, {"current", done},
                 {"timestamp", stamp}, {"started", it->second.started}};
  if (total > 0) status["total"] = total;
  if (finished) status["completed"] = stamp;
  Emit(Dump({{"statuses", json::array({status})}}));
}

void RawJsonProgress::CacheMiss(int id, std::string_view reason) {
  std::lock_guard lock(mu_);
  auto it = vertexes_.find(id);
  if (it != vertexes_.end()) Log(it->second, 2, "cache miss: " + std::string(reason));
}

}  // namespace cairn::builder

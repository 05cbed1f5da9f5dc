#include "builder/progress.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "builder/progress_rawjson.h"
#include "builder/progress_tty.h"

namespace cairn::builder {

static double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

PlainProgress::PlainProgress(std::FILE* out) : out_(out) {}

void PlainProgress::Print(const std::string& line) {
  std::fputs(line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

double PlainProgress::Elapsed(int id) const {
  auto it = started_at_.find(id);
  return it == started_at_.end() ? 0 : Now() - it->second;
}

void PlainProgress::Started(int id, std::string_view name) {
  std::lock_guard lock(mu_);
  started_at_[id] = Now();
  Print("#" + std::to_string(id) + " " + std::string(name));
}

void PlainProgress::Output(int id, std::string_view line) {
  std::lock_guard lock(mu_);
  char t[32];
  std::snprintf(t, sizeof t, "%.3f", Elapsed(id));
  Print("#" + std::to_string(id) + " " + t + " " + std::string(line));
}

void PlainProgress::Cached(int id) {
  std::lock_guard lock(mu_);
  Print("#" + std::to_string(id) + " CACHED");
}

void PlainProgress::Done(int id, double seconds) {
  std::lock_guard lock(mu_);
  char t[32];
  std::snprintf(t, sizeof t, "%.1fs", seconds);
  Print("#" + std::to_string(id) + " DONE " + t);
}

void PlainProgress::Failed(int id, std::string_view message) {
  std::lock_guard lock(mu_);
  Print("#" + std::to_string(id) + " ERROR: " + std::string(message));
}

void PlainProgress::Note(std::string_view message) {
  std::lock_guard lock(mu_);
  Print(std::string(message));
}

void PlainProgress::CacheMiss(int id, std::string_view reason) {
  std::lock_guard lock(mu_);
  Print("#" + std::to_string(id) + " cache miss: " + std::string(reason));
}

JsonProgress::JsonProgress(std::FILE* out) : out_(out) {}

void JsonProgress::Emit(const std::string& json_line) {
  std::lock_guard lock(mu_);
  std::fputs(json_line.c_str(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void JsonProgress::Started(int id, std::string_view name) {
  Emit(nlohmann::json{{"id", id}, {"event", "started"}, {"name", name}}.dump());
}
void JsonProgress::Output(int id, std::string_view line) {
  Emit(nlohmann::json{{"id", id}, {"event", "output"}, {"line", line}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
void JsonProgress::Cached(int id) { Emit(nlohmann::json{{"id", id}, {"event", "cached"}}.dump()); }
void JsonProgress::Done(int id, double seconds) {
  Emit(nlohmann::json{{"id", id}, {"event", "done"}, {"seconds", seconds}}.dump());
}
void JsonProgress::Failed(int id, std::string_view message) {
  Emit(nlohmann::json{{"id", id}, {"event", "error"}, {"message", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
void JsonProgress::Note(std::string_view message) {
  Emit(nlohmann::json{{"event", "note"}, {"message", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void JsonProgress::CacheMiss(int id, std::string_view reason) {
  Emit(nlohmann::json{{"id", id}, {"event", "cache-miss"}, {"reason", reason}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::unique_ptr<Progress> MakeProgress(std::string_view mode, std::FILE* out) {
  // https://no-color.org: present and not empty means no colour.
  const char* no_color = std::getenv("NO_COLOR");
  bool color = !(no_color && *no_color);
  if (mode == "auto" || mode.empty()) mode = WantsLiveView(fileno(out)) ? "tty" : "plain";
  if (mode == "tty") {
    std::fflush(out);  // the view writes to the fd directly
    return std::make_unique<TtyProgress>(fileno(out), color);
  }
  if (mode == "plain") return std::make_unique<PlainProgress>(out);
  if (mode == "json") return std::make_unique<JsonProgress>(out);
  if (mode == "rawjson") return std::make_unique<RawJsonProgress>(out);
  if (mode == "quiet") return std::make_unique<QuietProgress>();
  throw Error("--progress " + std::string(mode) + ": unknown mode (use auto, tty, plain, json, rawjson or quiet)");
}

}  // namespace cairn::builder

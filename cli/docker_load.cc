#include "cli/docker_load.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::cli {

namespace {

size_t ReadArchive(char* buf, size_t size, size_t n, void* fd) {
  ssize_t got = ::read(*static_cast<int*>(fd), buf, size * n);
  return got < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(got);
}

size_t KeepBody(char* data, size_t size, size_t n, void* body) {
  static_cast<std::string*>(body)->append(data, size * n);
  return size * n;
}

// The daemon answers 200 with a stream of JSON messages; a failed load is one with "error".
std::string LoadedLines(const std::string& body, const std::string& where) {
  std::string loaded;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.contains("error")) throw Error(where + ": the daemon refused the image: " + j["error"].get<std::string>());
    if (j.contains("stream") && j["stream"].is_string()) loaded += j["stream"].get<std::string>();
  }
  while (!loaded.empty() && loaded.back() == '\n') loaded.pop_back();
  return loaded;
}

}  // namespace

std::string DockerSocket(const char* docker_host) {
  std::string host = docker_host ? docker_host : "";
  if (host.empty()) return "/var/run/docker.sock";
  if (host.rfind("unix://", 0) == 0 && host.size() > 7) return host.substr(7);
  throw Error("--load: DOCKER_HOST=" + host + ": cairn loads through the daemon's unix socket only "
              "(unix:///path); save the image instead (-o type=docker,dest=FILE) and docker load it");
}

std::string LoadIntoDocker(const std::string& socket, const std::string& archive_path) {
  std::string where = "--load: POST /images/load on " + socket;
  UniqueFd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", archive_path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw SysError("stat", archive_path);
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error(where + ": libcurl could not start");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-tar");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> free_headers(headers, curl_slist_free_all);
  int raw_fd = fd.get();
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, "http://localhost/images/load");
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, ReadArchive);
  curl_easy_setopt(curl.get(), CURLOPT_READDATA, &raw_fd);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(st.st_size));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, KeepBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK)
    throw Error(where + ": " + curl_easy_strerror(rc) + " (is dockerd running? DOCKER_HOST=unix:///path names its socket)");
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    std::string message = j.is_object() && j.contains("message") && j["message"].is_string() ? j["message"].get<std::string>() : body;
    throw Error(where + ": HTTP " + std::to_string(status) + ": " + message);
  }
  return LoadedLines(body, where);
}

}  // namespace cairn::cli

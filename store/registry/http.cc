// libcurl behind HttpRequest/HttpResponse.
#include "store/registry/http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <mutex>

#include "base/fs.h"

namespace cairn::store::registry {
namespace {

// An error body beyond this is cut: it is only ever shown to a person.
constexpr size_t kMaxKeptBody = 64u << 20;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread, reset before each request: its connection cache survives a reset,
// so consecutive requests to one registry reuse the connection (and the TLS session).
CURL* ThreadHandle() {
  struct Holder {
    CURL* h = nullptr;
    ~Holder() {
      if (h) curl_easy_cleanup(h);
    }
  };
  thread_local Holder holder;
  GlobalInit();
  if (!holder.h) holder.h = curl_easy_init();
  if (!holder.h) throw Error("libcurl: cannot create a handle (out of memory?)");
  curl_easy_reset(holder.h);
  return holder.h;
}

// The state the callbacks share with Perform.
struct Transfer {
  CURL* curl;
  const HttpRequest* request;
  HttpResponse* response;
  std::exception_ptr error;  // thrown by the sink; C code must not be unwound through
  // request body source
  int fd = -1;
  int64_t offset = 0;
  int64_t remaining = 0;
  size_t body_pos = 0;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  // A new status line starts a new response (a redirect, or 100 Continue): forget the old headers.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * count;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t v = line.find_first_not_of(" \t", colon + 1);
  t->response->headers[name] = v == std::string::npos ? "" : line.substr(v);
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  t->response->status = status;
  if (t->request->sink && status >= 200 && status < 300) {
    try {
      t->request->sink(*t->response, data, n);
    } catch (...) {
      t->error = std::current_exception();
      return 0;  // aborts the transfer
    }
    return n;
  }
  std::string& body = t->response->body;
  body.append(data, std::min(n, kMaxKeptBody - std::min(kMaxKeptBody, body.size())));
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t want = size * count;
  if (t->fd < 0) {
    const std::string& body = t->request->body;
    size_t n = std::min(want, body.size() - t->body_pos);
    std::copy_n(body.data() + t->body_pos, n, buffer);
    t->body_pos += n;
    return n;
  }
  want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(want), t->remaining));
  if (want == 0) return 0;
  ssize_t got = ::pread(t->fd, buffer, want, t->offset);
  if (got <= 0) return CURL_READFUNC_ABORT;
  t->offset += got;
  t->remaining -= got;
  if (t->request->on_upload) t->request->on_upload(t->offset - t->request->upload_offset);
  return static_cast<size_t>(got);
}

void SetBody(CURL* c, Transfer& t, const HttpRequest& r, UniqueFd& file) {
  bool has_file = !r.upload_path.empty();
  if (r.method == "POST" && !has_file) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, r.body.c_str());
    return;
  }
  if (r.method != "PUT" && r.method != "PATCH" && r.method != "POST") return;
  int64_t length = static_cast<int64_t>(r.body.size());
  if (has_file) {
    file.Reset(::open(r.upload_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) throw SysError("open", r.upload_path);
    t.fd = file.get();
    t.offset = r.upload_offset;
    length = r.upload_length;
  }
  t.remaining = length;
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(c, CURLOPT_READDATA, &t);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
}

curl_slist* HeaderList(const HttpRequest& r) {
  curl_slist* list = nullptr;
  for (auto& h : r.headers) list = curl_slist_append(list, h.c_str());
  // No "Expect: 100-continue" round trip before blob bodies: registries accept the body anyway.
  list = curl_slist_append(list, "Expect:");
  return list;
}

void SetCommon(CURL* c, const HttpRequest& r, Transfer& t) {
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "cairn");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  // Redirects only to http(s): a registry must not be able to point us at file:// or the like.
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled connection (under 1 byte/s for a minute) counts as dropped, so it is retried.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (!r.tls.ca_pem.empty()) {
    curl_blob roots{const_cast<char*>(r.tls.ca_pem.data()), r.tls.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &roots);
  }
  if (!r.tls.client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, r.tls.client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, r.tls.client_key.c_str());
  }
  if (r.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
}

}  // namespace

HttpResponse Perform(const HttpRequest& request) {
  CURL* c = ThreadHandle();
  HttpResponse response;
  Transfer t{c, &request, &response, nullptr};
  UniqueFd file;
  SetCommon(c, request, t);
  SetBody(c, t, request, file);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(HeaderList(request), curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (rc != CURLE_OK)
    throw TransportError(request.method + " " + request.url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  char* url = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
  response.url = url ? url : request.url;
  return response;
}

std::string ResolveUrl(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  size_t scheme = base.find("://");
  size_t path = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string origin = base.substr(0, path);
  if (!location.empty() && location.front() == '/') return origin + location;
  // A relative location replaces the last path segment of the base.
  std::string dir = path == std::string::npos ? origin + "/" : base.substr(0, base.rfind('/') + 1);
  return dir + location;
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace cairn::store::registry

// A small synchronous HTTP client over libcurl: one request, one response. No retries and no
// authentication here (session.h adds both); this file only moves bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace cairn::store::registry {

// The connection failed, timed out or was cut before a complete response arrived. Worth a retry.
class TransportError : public Error {
 public:
  using Error::Error;
};

struct HttpResponse;

// TLS material for one server beyond curl's defaults (tls.h finds it in certs.d).
struct TlsFiles {
  std::string ca_pem;       // PEM roots to trust instead of curl's default bundle; empty = the default
  std::string client_cert;  // PEM client certificate file and its key, for mutual TLS; empty = none
  std::string client_key;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: `body` bytes, or `upload_length` bytes of the file `upload_path` from
  // `upload_offset` (streamed, for blobs).
  std::string body;
  std::string upload_path;
  int64_t upload_offset = 0;
  int64_t upload_length = -1;
  // When set, a 2xx response body is streamed here instead of being kept in HttpResponse::body;
  // `head` carries the status and headers of the response the bytes belong to.
  std::function<void(const HttpResponse& head, const char*, size_t)> sink;
  // When set, called as the file body goes out with the bytes of it read so far (progress).
  std::function<void(int64_t sent)> on_upload;
  TlsFiles tls;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
  std::string body;                            // the body, unless it went to the request's sink
  std::string url;                             // the final URL, after redirects

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// Performs one request, following redirects. Any status is returned as a response; only a
// transport failure throws (TransportError, naming the method and URL, never a header value).
HttpResponse Perform(const HttpRequest& request);

// "https://host/v2/x" + "/v2/y?z" -> "https://host/v2/y?z"; absolute locations are kept.
std::string ResolveUrl(const std::string& base, const std::string& location);

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& s);

}  // namespace cairn::store::registry

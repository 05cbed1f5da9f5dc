#include "cli/http_download.h"

#include <fcntl.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/transfer.h"

#include <cstdlib>
#include "store/registry/http.h"

namespace cairn::cli {

void DownloadUrl(const std::string& url, const std::string& path) {
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) throw SysError("create", path);
  store::registry::HttpRequest request;
  request.url = url;
  int64_t done = 0;
  request.sink = [&](const store::registry::HttpResponse& head, const char* data, size_t size) {
    WriteAll(out.get(), data, size, path);
    done += static_cast<int64_t>(size);
    std::string length = head.Header("content-length");
    ReportTransfer({"download " + url, done, length.empty() ? 0 : std::atoll(length.c_str()), false});
  };
  store::registry::HttpResponse response = store::registry::Perform(request);
  ReportTransfer({"download " + url, done, done, /*finished=*/true});
  if (response.status < 200 || response.status >= 300)
    throw Error("GET " + url + ": HTTP " + std::to_string(response.status) + " (the server refused the download)");
}

}  // namespace cairn::cli

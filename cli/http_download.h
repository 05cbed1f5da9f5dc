// The CLI's downloader for ADD <http(s) url> (builder::UrlFetcher), over the registry client's
// libcurl wrapper: redirects followed, same timeouts and TLS defaults.
#pragma once

#include <string>

namespace cairn::cli {

// GETs url into a new file at path, streaming. Throws Error naming the URL and the HTTP status
// (any non-2xx), or the transport failure.
void DownloadUrl(const std::string& url, const std::string& path);

}  // namespace cairn::cli

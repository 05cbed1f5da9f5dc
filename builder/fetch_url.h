// ADD <http(s) url>: docker's rules for a remote source, on the builder's side. The download
// itself is the caller's (BuildOptions::fetch_url): the builder never talks to the network.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "builder/git_source.h"

namespace cairn::builder {

// Downloads url into the file at path (created, streamed: never held in memory). Throws Error
// naming the URL and, for an HTTP error, the status.
using UrlFetcher = std::function<void(const std::string& url, const std::string& path)>;

// An ADD source that is downloaded: http:// or https://.
bool IsUrlSource(const std::string& source);
// An ADD source that is not in the context: downloaded (IsUrlSource) or cloned (IsGitUrl).
bool IsRemoteSource(const std::string& source);

// The file name docker gives a download: the URL path's last segment (query and fragment
// dropped); empty when the path has none ("https://host/"): then dest must name the file.
std::string UrlFileName(const std::string& url);

// "sha256:<64 hex>" as --checksum takes it; throws Error naming the value otherwise.
void CheckChecksumForm(const std::string& checksum);

struct FetchedUrl {
  std::string url;
  std::string path;    // the downloaded file (in a scratch dir the caller removes)
  std::string digest;  // sha256 of its content, "sha256:..."; a git source: "git <commit>[:subdir]"
  std::optional<GitCheckout> git;  // a git source (IsGitUrl): its checkout, whose files path holds
  std::string scratch;             // the scratch dir to remove; empty = path's directory
};

// Downloads url to dir/download with fetch and digests it. With a checksum, a different digest is
// an Error naming the URL, the expected and the actual digest.
FetchedUrl FetchUrl(const UrlFetcher& fetch, const std::string& url, const std::string& dir,
                    const std::string& checksum);

}  // namespace cairn::builder

#include "builder/fetch_url.h"

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"

namespace cairn::builder {

bool IsUrlSource(const std::string& source) {
  return source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
}

bool IsRemoteSource(const std::string& source) { return IsUrlSource(source) || IsGitUrl(source); }

std::string UrlFileName(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  size_t host = path.find("://");
  size_t slash = path.find('/', host == std::string::npos ? 0 : host + 3);
  std::string name = slash == std::string::npos ? "" : path.substr(path.rfind('/') + 1);
  return name == "." || name == ".." ? "" : name;
}

void CheckChecksumForm(const std::string& checksum) {
  std::string hex = checksum.rfind("sha256:", 0) == 0 ? checksum.substr(7) : "";
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw Error("--checksum=" + checksum + ": want sha256:<64 lower-case hex digits>");
}

FetchedUrl FetchUrl(const UrlFetcher& fetch, const std::string& url, const std::string& dir,
                    const std::string& checksum) {
  if (!fetch) throw Error("ADD " + url + ": this build cannot download (no URL fetcher was given to the builder)");
  FetchedUrl out{url, JoinPath(dir, "download"), "", std::nullopt, ""};
  fetch(url, out.path);
  out.digest = DigestOfFile(out.path);
  if (!checksum.empty() && out.digest != checksum)
    throw Error("ADD " + url + ": checksum mismatch: expected " + checksum + ", got " + out.digest);
  return out;
}

}  // namespace cairn::builder

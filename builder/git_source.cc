#include "builder/git_source.h"

#include "base/error.h"

namespace cairn::builder {

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool IsHex(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos; }

}  // namespace

bool IsGitUrl(const std::string& text) {
  for (const char* prefix : {"git://", "ssh://", "git+ssh://", "git@"})
    if (StartsWith(text, prefix)) return true;
  if (!StartsWith(text, "http://") && !StartsWith(text, "https://")) return false;
  std::string path = text.substr(0, text.find_first_of("?#"));
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0;
}

std::string RedactUrl(const std::string& text) {
  size_t scheme = text.find("://");
  if (scheme == std::string::npos) return text;  // git@host:path: "git" is a user name, no secret
  size_t host = scheme + 3;
  size_t end = text.find_first_of("/?#", host);
  size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
  if (at == std::string::npos || at < host) return text;
  return text.substr(0, host) + text.substr(at + 1);
}

GitUrl ParseGitUrl(const std::string& text) {
  GitUrl u;
  size_t hash = text.find('#');
  u.remote = text.substr(0, hash);
  u.display = RedactUrl(text);
  if (hash != std::string::npos) {
    std::string fragment = text.substr(hash + 1);
    size_t colon = fragment.find(':');
    u.ref = fragment.substr(0, colon);
    if (colon != std::string::npos) u.subdir = fragment.substr(colon + 1);
  }
  if (u.remote.empty() || (!IsGitUrl(u.remote) && !StartsWith(u.remote, "file://")))
    throw Error(u.display + ": not a git repository URL");
  while (!u.subdir.empty() && u.subdir.back() == '/') u.subdir.pop_back();
  if (u.subdir == ".") u.subdir.clear();
  if (!u.subdir.empty()) {
    if (u.subdir.front() == '/')
      throw Error(u.display + ": the subdirectory " + u.subdir + " must be relative to the repository's root");
    for (size_t at = 0; at <= u.subdir.size();) {
      size_t slash = std::min(u.subdir.find('/', at), u.subdir.size());
      std::string part = u.subdir.substr(at, slash - at);
      if (part == ".." || part.empty())
        throw Error(u.display + ": the subdirectory " + u.subdir + " must name a directory inside the repository");
      at = slash + 1;
    }
  }
  return u;
}

void CheckGitChecksum(const GitCheckout& checkout, const std::string& checksum) {
  if (checksum.size() < 7 || checksum.size() > 40 || !IsHex(checksum))
    throw Error("--checksum=" + checksum + ": for a git source, want the commit (7 to 40 lower-case hex digits)");
  if (checkout.commit.compare(0, checksum.size(), checksum) != 0)
    throw Error("ADD " + checkout.display + ": checksum mismatch: expected commit " + checksum + ", got " +
                checkout.commit);
}

}  // namespace cairn::builder

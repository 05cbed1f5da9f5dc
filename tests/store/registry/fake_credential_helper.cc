#include "tests/store/registry/fake_credential_helper.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::store::registry::testing {
namespace {

// Files are named by the server URL with '/' and ':' made '_'. "credentials not found in native
// keychain" is the wording of docker-credential-helpers' errCredentialsNotFound.
constexpr const char* kScript = R"SH(#!/bin/sh
d='@DIR@/creds'
mkdir -p "$d"
case "$1" in
get|erase) IFS= read -r url || true ;;
store) cat > "$d/.in"; url=$(sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p' "$d/.in") ;;
*) echo "unknown action $1"; exit 2 ;;
esac
echo "$1 $url" >> '@DIR@/calls'
f="$d/$(printf %s "$url" | tr '/:' '__')"
case "$1" in
get) [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; cat "$f" ;;
store) mv "$d/.in" "$f" ;;
erase) [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "$f" ;;
esac
)SH";

}  // namespace

FakeCredentialHelper::FakeCredentialHelper(const std::string& dir, const std::string& name) : dir_(dir) {
  bin_ = JoinPath(dir, "bin");
  MakeDirs(bin_);
  std::string script = kScript;
  for (size_t at; (at = script.find("@DIR@")) != std::string::npos;) script.replace(at, 5, dir);
  WriteFileAtomic(JoinPath(bin_, "docker-credential-" + name), script, 0755);
  const char* path = std::getenv("PATH");
  old_path_ = path ? path : "/usr/bin:/bin";
  setenv("PATH", (bin_ + ":" + old_path_).c_str(), 1);
}

FakeCredentialHelper::~FakeCredentialHelper() { setenv("PATH", old_path_.c_str(), 1); }

std::string FakeCredentialHelper::File(const std::string& server_url) const {
  std::string name = server_url;
  for (char& c : name)
    if (c == '/' || c == ':') c = '_';
  return JoinPath(JoinPath(dir_, "creds"), name);
}

void FakeCredentialHelper::Put(const std::string& server_url, const std::string& username, const std::string& secret) {
  MakeDirs(JoinPath(dir_, "creds"));
  nlohmann::json reply = {{"ServerURL", server_url}, {"Username", username}, {"Secret", secret}};
  WriteFileAtomic(File(server_url), reply.dump());
}

std::string FakeCredentialHelper::Stored(const std::string& server_url) const {
  return PathExists(File(server_url)) ? ReadFile(File(server_url)) : "";
}

std::string FakeCredentialHelper::Calls() const {
  std::string calls = JoinPath(dir_, "calls");
  return PathExists(calls) ? ReadFile(calls) : "";
}

}  // namespace cairn::store::registry::testing

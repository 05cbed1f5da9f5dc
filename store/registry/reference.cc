// Image references, parsed and normalised by docker's rules (distribution/reference).
#include <regex>

#include "base/digest.h"
#include "base/error.h"
#include "store/registry/registry.h"

namespace cairn::store::registry {
namespace {

constexpr const char* kDockerHub = "docker.io";

[[noreturn]] void Invalid(const std::string& text, const std::string& why) {
  throw Error("invalid image reference \"" + text + "\": " + why);
}

// docker's rule: the first component names a registry when it has a '.' or a ':' or is
// "localhost"; otherwise the whole name is a Docker Hub repository.
bool LooksLikeHost(const std::string& component) {
  return component.find_first_of(".:") != std::string::npos || component == "localhost";
}

void CheckRepository(const std::string& text, const std::string& repo) {
  // One path component: lower-case alphanumerics joined by '.', '_', '__' or runs of '-'.
  static const std::regex component("[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*");
  if (repo.empty()) Invalid(text, "the repository name is empty");
  size_t start = 0;
  while (true) {
    size_t slash = repo.find('/', start);
    std::string part = repo.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!std::regex_match(part, component))
      Invalid(text, "repository component \"" + part +
                        "\" must be lower-case letters, digits and single '.', '_' or '-' separators");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (repo.size() > 255) Invalid(text, "the repository name is longer than 255 characters");
}

void CheckTag(const std::string& text, const std::string& tag) {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  if (!std::regex_match(tag, pattern))
    Invalid(text, "tag \"" + tag + "\" must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
}

void CheckHost(const std::string& text, const std::string& host) {
  static const std::regex pattern("[A-Za-z0-9.-]+(:[0-9]+)?|\\[[0-9A-Fa-f:]+\\](:[0-9]+)?");
  if (!std::regex_match(host, pattern)) Invalid(text, "registry \"" + host + "\" is not a host[:port]");
}

// Splits "name[:tag]" where a ':' before the last '/' belongs to a registry port.
std::pair<std::string, std::string> SplitTag(const std::string& name) {
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {name, ""};
  return {name.substr(0, colon), name.substr(colon + 1)};
}

}  // namespace

std::string ApiHost(const std::string& registry) {
  return registry == kDockerHub ? "registry-1.docker.io" : registry;
}

std::string Reference::String() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Reference ParseReference(const std::string& text) {
  if (text.empty()) Invalid(text, "it is empty");
  Reference ref;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest)) Invalid(text, "digest \"" + ref.digest + "\" is not sha256:<64 lower-case hex digits>");
  }
  auto [name, tag] = SplitTag(rest);
  if (rest.size() > name.size()) CheckTag(text, tag);
  ref.tag = tag;
  size_t slash = name.find('/');
  if (slash != std::string::npos && LooksLikeHost(name.substr(0, slash))) {
    ref.registry = name.substr(0, slash);
    ref.repository = name.substr(slash + 1);
    CheckHost(text, ref.registry);
  } else {
    ref.registry = kDockerHub;
    ref.repository = name;
  }
  // Docker Hub's other spellings are the same registry, and its official images live in library/.
  if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = kDockerHub;
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  CheckRepository(text, ref.repository);
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace cairn::store::registry

// Client::ListTags and Client::DeleteManifest: the two calls a shared step cache needs beyond
// pull and push (cli/cache_transfer.cc: every export has a tag of its own; readers list them).
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "store/registry/registry.h"
#include "store/registry/session.h"

namespace cairn::store::registry {
namespace {

// The next page of a tag list: the <url> of a `Link: <url>; rel="next"` header, or "".
std::string NextPage(const HttpResponse& resp) {
  std::string link = resp.Header("link");
  if (link.find("rel=\"next\"") == std::string::npos) return "";
  size_t open = link.find('<'), close = link.find('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return ResolveUrl(resp.url, link.substr(open + 1, close - open - 1));
}

}  // namespace

std::vector<std::string> Client::ListTags(const Reference& ref) {
  // The origin, never a mirror: a mirror's tag list may be stale, and a cache reader wants
  // every tag written so far.
  std::string endpoint = OriginEndpoint(config_, ref.registry);
  try {
    Session s(config_, ref.registry, endpoint, ref.repository);
    std::vector<std::string> tags;
    for (std::string url = s.RepoUrl("/tags/list"); !url.empty();) {
      HttpRequest req;
      req.url = url;
      HttpResponse resp = s.Send(req);
      if (resp.status == 404) return tags;  // no such repository yet: no tags
      if (resp.status != 200) throw Error("listing tags: " + Describe(resp));
      nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
      if (!j.is_object()) throw Error("listing tags: the answer is not JSON");
      if (j.contains("tags") && j["tags"].is_array())
        for (auto& t : j["tags"])
          if (t.is_string()) tags.push_back(t);
      if (resp.url.empty()) resp.url = url;
      url = NextPage(resp);
    }
    return tags;
  } catch (const std::exception& e) {
    throw Error("tags of " + ref.registry + "/" + ref.repository + " (" + endpoint + "): " + e.what());
  }
}

void Client::DeleteManifest(const Reference& ref, const std::string& digest) {
  std::string endpoint = OriginEndpoint(config_, ref.registry);
  try {
    Session s(config_, ref.registry, endpoint, ref.repository);
    s.AddScope("repository:" + ref.repository + ":pull,push,delete");
    HttpRequest req;
    req.method = "DELETE";
    req.url = s.RepoUrl("/manifests/" + digest);
    HttpResponse resp = s.Send(req);
    if (resp.status == 202 || resp.status == 200 || resp.status == 404) return;  // 404: already gone
    if (resp.status == 405)
      throw Error("the registry does not allow deleting manifests (" + Describe(resp) +
                  "); enable deletion (distribution: storage.delete.enabled) or drop max-records and "
                  "max-size from --cache-to");
    throw Error(Describe(resp));
  } catch (const std::exception& e) {
    throw Error("deleting manifest " + digest + " of " + ref.registry + "/" + ref.repository + " (" + endpoint +
                "): " + e.what());
  }
}

}  // namespace cairn::store::registry

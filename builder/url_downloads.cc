#include "builder/url_downloads.h"

#include "base/error.h"
#include "base/fs.h"

namespace cairn::builder {

bool HasUrlSource(const plan::CopyAction& copy) {
  for (auto& s : copy.sources)
    if (IsUrlSource(s)) return true;
  return false;
}

std::vector<std::string> LocalSources(const plan::CopyAction& copy) {
  std::vector<std::string> out;
  for (auto& s : copy.sources)
    if (!IsUrlSource(s)) out.push_back(s);
  return out;
}

void RemoveFetched(const std::vector<FetchedUrl>& fetched) {
  for (auto& f : fetched) {
    try {
      RemoveAll(f.path.substr(0, f.path.rfind('/')));
    } catch (...) {  // a leftover scratch dir is swept when the store is next opened
    }
  }
}

UrlDownloads::~UrlDownloads() {
  for (auto& [step, fetched] : kept_) RemoveFetched(fetched);
}

std::vector<FetchedUrl> UrlDownloads::FetchAll(const plan::Step& step, const plan::CopyAction& copy) {
  std::vector<FetchedUrl> out;
  try {
    if (!copy.is_add) throw Error("COPY does not download URLs; use ADD");
    if (!copy.checksum.empty()) CheckChecksumForm(copy.checksum);
    if (!copy.checksum.empty() && copy.sources.size() > 1) throw Error("--checksum needs a single source");
    for (auto& url : copy.sources) {
      if (!IsUrlSource(url)) continue;
      std::string dir = store_.NewScratchDir("fetch-");
      out.push_back({url, JoinPath(dir, "download"), ""});  // so that a failed download is removed too
      out.back() = FetchUrl(fetch_, url, dir, copy.checksum);
    }
  } catch (const std::exception& e) {
    RemoveFetched(out);
    throw Error(plan::Where(step.location) + e.what());
  }
  return out;
}

std::string UrlDownloads::SourcesDigest(const plan::Step& step, const plan::CopyAction& copy) {
  if (!copy.checksum.empty()) {
    CheckChecksumForm(copy.checksum);
    return "url " + copy.checksum;
  }
  std::vector<FetchedUrl> fetched = FetchAll(step, copy);
  std::string key = "url";
  for (auto& f : fetched) key += " " + f.digest;
  std::lock_guard lock(mu_);
  RemoveFetched(kept_[&step]);
  kept_[&step] = std::move(fetched);
  return key;
}

std::vector<FetchedUrl> UrlDownloads::Take(const plan::Step& step, const plan::CopyAction& copy) {
  {
    std::lock_guard lock(mu_);
    auto it = kept_.find(&step);
    if (it != kept_.end()) {
      std::vector<FetchedUrl> out = std::move(it->second);
      kept_.erase(it);
      return out;
    }
  }
  return FetchAll(step, copy);
}

}  // namespace cairn::builder

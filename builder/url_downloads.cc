#include "builder/url_downloads.h"

#include <algorithm>

#include "base/error.h"
#include "base/fs.h"
#include "builder/provenance.h"
#include "builder/step_error.h"

namespace cairn::builder {

bool HasUrlSource(const plan::CopyAction& copy) {
  for (auto& s : copy.sources)
    if (IsRemoteSource(s)) return true;
  return false;
}

std::vector<std::string> LocalSources(const plan::CopyAction& copy) {
  std::vector<std::string> out;
  for (auto& s : copy.sources)
    if (!IsRemoteSource(s)) out.push_back(s);
  return out;
}

void RemoveFetched(const std::vector<FetchedUrl>& fetched) {
  for (auto& f : fetched) {
    try {
      RemoveAll(f.scratch.empty() ? f.path.substr(0, f.path.rfind('/')) : f.scratch);
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
    bool git = std::any_of(copy.sources.begin(), copy.sources.end(), IsGitUrl);
    if (copy.keep_git_dir && !git) throw Error("--keep-git-dir keeps the .git directory of a git source, and no source is a git repository");
    if (git && copy.sources.size() > 1)
      throw Error("a git repository must be ADD's only source (its checkout is copied into the destination)");
    if (!copy.checksum.empty() && !git) CheckChecksumForm(copy.checksum);
    if (!copy.checksum.empty() && copy.sources.size() > 1) throw Error("--checksum needs a single source");
    for (auto& url : copy.sources) {
      if (IsGitUrl(url)) {
        if (!fetch_git_) throw Error("ADD " + RedactUrl(url) + ": this build cannot clone (no git fetcher was given to the builder)");
        GitUrl parsed = ParseGitUrl(url);
        parsed.keep_git_dir = copy.keep_git_dir;
        std::string dir = store_.NewScratchDir("git-");
        out.push_back({parsed.display, dir, "", std::nullopt, dir});  // so that a failed clone is removed too
        GitCheckout checkout = fetch_git_(parsed, dir);
        if (!copy.checksum.empty()) CheckGitChecksum(checkout, copy.checksum);
        out.back().path = checkout.dir;
        out.back().digest = "git " + checkout.commit + (parsed.subdir.empty() ? "" : ":" + parsed.subdir) +
                            (copy.keep_git_dir ? " with .git" : "");
        out.back().git = std::move(checkout);
        continue;
      }
      if (!IsUrlSource(url)) continue;
      std::string dir = store_.NewScratchDir("fetch-");
      out.push_back({url, JoinPath(dir, "download"), "", std::nullopt, ""});  // so that a failed download is removed too
      out.back() = FetchUrl(fetch_, url, dir, copy.checksum);
    }
  } catch (const std::exception& e) {
    RemoveFetched(out);
    throw StepError(step, e.what());
  }
  return out;
}

std::string UrlDownloads::SourcesDigest(const plan::Step& step, const plan::CopyAction& copy) {
  if (!copy.checksum.empty() && std::none_of(copy.sources.begin(), copy.sources.end(), IsGitUrl)) {
    CheckChecksumForm(copy.checksum);
    std::lock_guard lock(mu_);
    for (auto& source : copy.sources)
      if (IsUrlSource(source)) recorded_[RedactUserinfo(source)] = copy.checksum;
    return "url " + copy.checksum;
  }
  std::vector<FetchedUrl> fetched = FetchAll(step, copy);
  std::string key = "url";
  for (auto& f : fetched) key += " " + f.digest;
  std::lock_guard lock(mu_);
  for (auto& f : fetched) recorded_[RedactUserinfo(f.url)] = f.digest;
  RemoveFetched(kept_[&step]);
  kept_[&step] = std::move(fetched);
  return key;
}

std::map<std::string, std::string> UrlDownloads::Recorded() {
  std::lock_guard lock(mu_);
  return recorded_;
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

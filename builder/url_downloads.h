// ADD <url> downloads of one build. A URL without --checksum is keyed by its content, so it is
// downloaded while the step's cache key is computed; the download is kept for the step to use on
// a miss (one download, not two) and removed on a hit. Shared by parallel stages: thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "builder/fetch_url.h"
#include "plan/plan.h"
#include "store/store.h"

namespace cairn::builder {

// Whether any source of copy is a URL (http:// or https://) or a git repository (IsGitUrl).
bool HasUrlSource(const plan::CopyAction& copy);
// The sources that are not URLs: paths in the context (or in --from's tree).
std::vector<std::string> LocalSources(const plan::CopyAction& copy);
// Removes downloads and their scratch dirs; never throws (what is left is swept with tmp/).
void RemoveFetched(const std::vector<FetchedUrl>& fetched);

class UrlDownloads {
 public:
  // `store` (for scratch dirs) and `fetch` must outlive this.
  UrlDownloads(store::Store& store, const UrlFetcher& fetch, const GitFetcher& fetch_git)
      : store_(store), fetch_(fetch), fetch_git_(fetch_git) {}
  // Removes the downloads a cache hit made unnecessary.
  ~UrlDownloads();

  // The URL sources' part of the step's cache key. Rule (ADD <url>): keyed by --checksum when
  // given, so a hit downloads nothing; otherwise by the downloaded content's digest, so a changed
  // remote file misses. A git source is keyed by the commit its ref names now (and the subdir),
  // so it is cloned for the key, as BuildKit resolves it; --checksum then names that commit.
  // Throws Error naming the step's line.
  std::string SourcesDigest(const plan::Step& step, const plan::CopyAction& copy);

  // The downloads SourcesDigest made for step, or new ones; the caller removes them.
  std::vector<FetchedUrl> Take(const plan::Step& step, const plan::CopyAction& copy);

  // Every URL source SourcesDigest keyed, userinfo removed -> its --checksum or its content's
  // digest ("git <commit>[:subdir]" for a git source): the build's provenance.
  std::map<std::string, std::string> Recorded();

 private:
  // One download per URL source, each in its own scratch dir. Errors name the line.
  std::vector<FetchedUrl> FetchAll(const plan::Step& step, const plan::CopyAction& copy);

  store::Store& store_;
  const UrlFetcher& fetch_;
  const GitFetcher& fetch_git_;
  std::mutex mu_;
  std::map<const plan::Step*, std::vector<FetchedUrl>> kept_;
  std::map<std::string, std::string> recorded_;  // awaiting the step's execution
};

}  // namespace cairn::builder

#include "builder/epoch.h"

#include <git2.h>

#include "base/error.h"

namespace cairn::builder {

int64_t ParseSourceDateEpoch(const std::string& text, const std::string& from) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error(from + ": SOURCE_DATE_EPOCH must be whole seconds since 1970 (got \"" + text + "\")");
  return std::stoll(text);
}

std::optional<int64_t> GitHeadCommitTime(const std::string& dir) {
  git_libgit2_init();
  std::optional<int64_t> result;
  git_repository* repo = nullptr;
  git_object* head = nullptr;
  if (git_repository_open_ext(&repo, dir.c_str(), 0, nullptr) == 0 &&
      git_revparse_single(&head, repo, "HEAD^{commit}") == 0) {
    result = static_cast<int64_t>(git_commit_time(reinterpret_cast<git_commit*>(head)));
  }
  git_object_free(head);
  git_repository_free(repo);
  git_libgit2_shutdown();
  return result;
}

std::optional<SourceDateEpoch> ExplicitSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value) {
  if (flag) return SourceDateEpoch{ParseSourceDateEpoch(*flag, "--source-date-epoch"), "--source-date-epoch"};
  if (env_value && *env_value)
    return SourceDateEpoch{ParseSourceDateEpoch(env_value, "environment variable SOURCE_DATE_EPOCH"), "environment"};
  return std::nullopt;
}

Epochs ResolveEpochs(const std::optional<SourceDateEpoch>& explicit_epoch, const std::string& context_dir) {
  if (explicit_epoch) return {*explicit_epoch, *explicit_epoch};
  // Rule: without an explicit value the layers never take the commit time, which changes with
  // every commit and would make every step miss; only the image's timestamps show it.
  Epochs e{{0, "default (0)"}, {0, "default (0)"}};
  if (!context_dir.empty())
    if (auto t = GitHeadCommitTime(context_dir)) e.image = {*t, "git HEAD of " + context_dir};
  return e;
}

SourceDateEpoch ResolveSourceDateEpoch(const std::optional<std::string>& flag, const char* env_value,
                                       const std::string& context_dir) {
  if (auto e = ExplicitSourceDateEpoch(flag, env_value)) return *e;
  return ResolveEpochs(std::nullopt, context_dir).image;
}

}  // namespace cairn::builder

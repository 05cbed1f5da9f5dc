#include "builder/copy_step.h"

#include "base/error.h"
#include "builder/chmod_spec.h"
#include "builder/copy.h"
#include "builder/step_error.h"
#include "builder/url_downloads.h"
#include "builder/users.h"

namespace cairn::builder {

void CheckUrlSchemes(const plan::Step& step, const plan::CopyAction& copy) {
  for (auto& s : copy.sources)
    if (s.find("://") != std::string::npos && !IsRemoteSource(s))
      throw StepError(step, "ADD of this URL is not supported (http:// and https:// are downloaded, git repositories "
                            "cloned): " + RedactUrl(s));
}

void ExecuteCopyStep(const plan::Step& step, const plan::CopyAction& copy, const CopyStepInputs& in,
                     const std::vector<FetchedUrl>& fetched, runtime::Runtime& rt) {
  // COPY --link writes onto an empty tree (its layer must not depend on the parent); the
  // parent is mounted read-only only to resolve --chown names.
  runtime::OverlayDirs dst = in.target;
  if (copy.link) dst.lowerdirs.clear();
  std::vector<runtime::OverlayDirs> stacks = {dst};
  bool from_image = in.from_layers.has_value();
  if (from_image) stacks.push_back({*in.from_layers, "", ""});
  size_t users_root = 0;
  if (copy.link && !copy.chown.empty()) {
    stacks.push_back({in.target.lowerdirs, "", ""});
    users_root = stacks.size() - 1;
  }
  const frontend::IgnoreMatcher* ignore = from_image ? nullptr : in.ignore;
  std::optional<frontend::IgnoreMatcher> exclude;
  if (!copy.excludes.empty()) {
    std::string patterns;
    for (auto& p : copy.excludes) patterns += p + "\n";
    exclude = frontend::IgnoreMatcher::Parse(patterns);
  }
  std::optional<ChmodSpec> chmod;
  try {
    if (!copy.chmod.empty()) chmod = ChmodSpec::Parse(copy.chmod);
  } catch (const Error& e) {
    throw StepError(step, e.what());
  }
  try {
    rt.WithTrees(in.scratch, stacks, [&](const std::vector<std::string>& roots) {
      CopyRequest req;
      req.src_root = from_image ? roots[1] : in.context_dir;
      std::vector<std::string> local = LocalSources(copy);
      req.sources = local.empty() ? std::vector<std::string>{} : MatchSources(req.src_root, local, ignore, copy.parents);
      const GitCheckout* git = fetched.size() == 1 && fetched[0].git ? &*fetched[0].git : nullptr;
      for (auto& f : fetched)
        if (!f.git) req.fetched_files.emplace_back(UrlFileName(f.url), f.path);
      req.dst_root = roots[0];
      req.dest = copy.dest;
      req.dest_is_dir = copy.dest_is_dir;
      req.chmod = chmod;
      req.ignore = ignore;
      req.preserve_owner = from_image;
      if (!from_image) req.fixed_mtime = in.source_date_epoch;
      if (!from_image) req.git_modes = in.git_modes;
      if (git) {  // ADD <git url>: the checkout's files into dest, as a context directory's are
        req.src_root = git->dir;
        req.sources = MatchSources(git->dir, {"."}, nullptr);
        req.dest_is_dir = true;
        req.git_modes = git->modes.get();
        req.ignore = nullptr;
      }
      req.exclude = exclude ? &*exclude : nullptr;
      req.parents = copy.parents;
      req.extract_archives = copy.is_add && copy.unpack.value_or(true) && !git;
      for (auto& f : copy.inline_sources) req.inline_files.emplace_back(f.name, f.content);
      if (!copy.chown.empty()) {
        UserIds ids = ResolveUser(copy.chown, ReaderInRoot(roots[users_root]));
        req.uid = ids.uid;
        req.gid = ids.gid;
      }
      ExecuteCopy(req);
    });
  } catch (const std::exception& e) {
    throw StepError(step, e.what());
  }
}

void ExecuteMkdirStep(const plan::Step& step, const plan::MkdirAction& mk, const runtime::OverlayDirs& target,
                      const std::string& scratch, runtime::Runtime& rt) {
  try {
    rt.WithTrees(scratch, {target}, [&](const std::vector<std::string>& roots) {
      UserIds ids = ResolveUser(step.config.user, ReaderInRoot(roots[0]));
      MakeDirInRoot(roots[0], mk.path, ids.uid, ids.gid);
    });
  } catch (const std::exception& e) {
    throw StepError(step, e.what());
  }
}

}  // namespace cairn::builder

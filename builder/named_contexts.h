// --build-context NAME=VALUE, as buildx has it: another source a Dockerfile names like a stage
// or an image (FROM NAME, COPY --from=NAME, RUN --mount=from=NAME), which wins over a stage or an
// image of that name. VALUE is
//   DIR                   a local directory: its files, owned 0:0 (as buildx sends them) and
//                         timed at the layer epoch, as one layer of an image with an empty config;
//   docker-image://REF    an image: the store's, else pulled, like any FROM;
//   oci-layout://DIR[:T]  an image in an OCI layout on disk (`skopeo copy ... oci:DIR:T`),
//                         copied into the store and named by its manifest digest;
//   a git URL             (builder/git_source.h) cloned when the build starts; its checkout is
//                         read as a directory, with git's modes.
// Every kind becomes an image the builder reads as any other, so a named context is part of a
// step's cache key through its content (the image's digest), as any source.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>
#include <string>
#include <utility>

#include "builder/git_source.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::builder {

struct NamedContext {
  enum class Kind { kDir, kImage, kOciLayout, kGit };
  Kind kind = Kind::kDir;
  std::string value;  // the directory (absolute), the image reference, the layout's directory, the git URL
  std::string tag;    // oci-layout: the :TAG, or empty
  std::string flag;   // "--build-context NAME=VALUE", for messages (a URL's userinfo removed)
  std::shared_ptr<const GitModes> git_modes;  // kGit once cloned: the checkout's modes
};

// "NAME=VALUE" -> (lower-cased NAME, context). Throws Error naming the flag: no NAME, an unknown
// scheme, a directory (or layout) that does not exist.
std::pair<std::string, NamedContext> ParseBuildContextFlag(const std::string& text);

class NamedContexts {
 public:
  // fetch_git clones the git contexts (unset: a git context is an Error naming its flag).
  NamedContexts(store::Store& store, std::map<std::string, NamedContext> contexts, GitFetcher fetch_git = nullptr)
      : store_(store), contexts_(std::move(contexts)), fetch_git_(std::move(fetch_git)) {}
  // Removes the checkouts of git contexts; never throws.
  ~NamedContexts();
  NamedContexts(const NamedContexts&) = delete;
  NamedContexts& operator=(const NamedContexts&) = delete;

  // NAME -> the image reference the frontend puts in the plan for it. Imports OCI layouts now
  // (their reference is the manifest digest) and clones git contexts; a directory (or checkout) gets a reference IsDir() knows, made
  // into an image by DirImage() once the layer epoch is known.
  std::map<std::string, std::string> References();

  // Whether ref is the reference References() gave a directory.
  static bool IsDir(const std::string& ref);
  // The manifest digest of the directory's image, made on first use (thread-safe).
  std::string DirImage(const std::string& ref, int64_t layer_epoch, const store::Compression& compression);

 private:
  store::Store& store_;
  std::map<std::string, NamedContext> contexts_;
  GitFetcher fetch_git_;
  std::vector<std::string> scratch_;          // checkouts of git contexts, removed with this
  std::map<std::string, std::string> made_;  // ref -> manifest digest
  std::mutex mu_;
};

}  // namespace cairn::builder

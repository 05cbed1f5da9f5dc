// --build-context NAME=VALUE, as buildx has it: another source a Dockerfile names like a stage
// or an image (FROM NAME, COPY --from=NAME, RUN --mount=from=NAME), which wins over a stage or an
// image of that name. VALUE is
//   DIR                   a local directory: its files, owned 0:0 (as buildx sends them) and
//                         timed at the layer epoch, as one layer of an image with an empty config;
//   docker-image://REF    an image: the store's, else pulled, like any FROM;
//   oci-layout://DIR[:T]  an image in an OCI layout on disk (`skopeo copy ... oci:DIR:T`),
//                         copied into the store and named by its manifest digest.
// Every kind becomes an image the builder reads as any other, so a named context is part of a
// step's cache key through its content (the image's digest), as any source.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "store/compressor.h"
#include "store/store.h"

namespace cairn::builder {

struct NamedContext {
  enum class Kind { kDir, kImage, kOciLayout };
  Kind kind = Kind::kDir;
  std::string value;  // the directory (absolute), the image reference, or the layout's directory
  std::string tag;    // oci-layout: the :TAG, or empty
  std::string flag;   // "--build-context NAME=VALUE", for messages
};

// "NAME=VALUE" -> (lower-cased NAME, context). Throws Error naming the flag: no NAME, an unknown
// scheme, a directory (or layout) that does not exist.
std::pair<std::string, NamedContext> ParseBuildContextFlag(const std::string& text);

class NamedContexts {
 public:
  NamedContexts(store::Store& store, std::map<std::string, NamedContext> contexts)
      : store_(store), contexts_(std::move(contexts)) {}

  // NAME -> the image reference the frontend puts in the plan for it. Imports OCI layouts now
  // (their reference is the manifest digest); a directory gets a reference IsDir() knows, made
  // into an image by DirImage() once the layer epoch is known.
  std::map<std::string, std::string> References();

  // Whether ref is the reference References() gave a directory.
  static bool IsDir(const std::string& ref);
  // The manifest digest of the directory's image, made on first use (thread-safe).
  std::string DirImage(const std::string& ref, int64_t layer_epoch, const store::Compression& compression);

 private:
  store::Store& store_;
  std::map<std::string, NamedContext> contexts_;
  std::map<std::string, std::string> made_;  // ref -> manifest digest
  std::mutex mu_;
};

}  // namespace cairn::builder

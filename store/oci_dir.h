// An OCI image layout on disk other than the store itself: a local cache directory
// (--cache-to type=local,dest=DIR) or the private copy of a store that `cairn verify` builds in.
// Its layout is the store's (store/store.h): blobs/sha256/<hex>, oci-layout, and index.json naming
// manifests by their org.opencontainers.image.ref.name annotation. Only store/ spells that layout;
// callers name blobs by digest. Every method throws cairn::Error naming the path.
#pragma once

#include <string>

#include "base/fs.h"
#include "store/store.h"

namespace cairn::store {

class OciDir {
 public:
  explicit OciDir(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  std::string IndexPath() const;
  std::string BlobPath(const std::string& digest) const;

  // The whole blob, checked against its digest (a mismatch is "PATH does not hash to D (corrupt)").
  std::string ReadBlob(const std::string& digest) const;
  // Copies one blob of `from` in unless it is there (temp file, fsync, rename). Returns whether
  // it copied; layers are streamed, never held in memory.
  bool CopyBlobFrom(const Store& from, const std::string& digest);
  // Streams one blob into `to`; the store's writer checks the digest, so a corrupt copy throws.
  void CopyBlobTo(Store& to, const Descriptor& blob) const;
  // Hard-links every blob of `from` in (no bytes copied) and copies its oci-layout and
  // index.json: the same images under another root, without the step cache.
  void LinkImagesOf(const Store& from);

  // Writes oci-layout, then index.json naming `manifest` as `ref_name`. index.json is written
  // last and atomically: a reader sees the old layout or the new one.
  void WriteIndex(const Descriptor& manifest, const std::string& ref_name);
  // The bytes of the manifest index.json names `ref_name`, checked against its digest. Throws
  // when index.json is not an OCI index or names no such manifest.
  std::string ReadManifestNamed(const std::string& ref_name) const;
  // Copies one image of this layout into `to` (its config, layers and manifest, each checked
  // against its digest) and returns the manifest's descriptor: `ref_name` names it by its
  // org.opencontainers.image.ref.name (as `skopeo copy ... oci:DIR:TAG` writes it); empty: the
  // layout must hold exactly one manifest. An image index (several platforms) is refused.
  Descriptor ImportImage(Store& to, const std::string& ref_name) const;

  // Holds DIR/lock exclusively (created when missing; DIR must exist), so that read-merge-write
  // cycles of several processes on one directory do not interleave. Readers need no lock:
  // index.json is replaced atomically. A killed process's lock dies with it.
  class Lock {
   public:
    explicit Lock(const std::string& dir);

   private:
    UniqueFd fd_;
  };

 private:
  std::string dir_;
};

}  // namespace cairn::store

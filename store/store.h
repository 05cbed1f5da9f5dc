// The store: one directory that is a valid OCI image layout, plus cairn's own working areas.
//
//   oci-layout, index.json   tags as org.opencontainers.image.ref.name annotations (atomic replace)
//   blobs/sha256/<hex>       layers, configs, manifests; temp -> fsync -> rename, digest checked
//   layers/<diffid-hex>/     unpacked layer trees (read-only overlay lowerdirs), shared
//   l/<short>                short symlinks to layers/ so overlay option strings stay under a page
//   cache/                   step cache records
//   tmp/                     per-process scratch; what a dead process left is swept on open
//
// Every method throws cairn::Error naming the path or reference on failure.
#pragma once

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/byte_sink.h"

namespace cairn::store {

namespace media {
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media

// An OCI content descriptor.
struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
};
nlohmann::json ToJson(const Descriptor& d);
Descriptor DescriptorFromJson(const nlohmann::json& j);  // throws Error on a malformed descriptor

class Store;

// Streams one blob into the store. Bytes go to a temp file under tmp/ and are hashed as they
// arrive; Commit() makes the blob visible. Destroying an uncommitted writer discards the bytes.
class BlobWriter : public ByteSink {
 public:
  // fsyncs, checks the digest against `expected_digest` (when not empty; a mismatch throws and
  // discards), renames into blobs/sha256/<hex>. Committing a blob that already exists is a no-op
  // that still returns its descriptor.
  virtual Descriptor Commit(const std::string& media_type, const std::string& expected_digest = "") = 0;
  virtual int64_t BytesWritten() const = 0;
};

class Store {
 public:
  // Opens the store at root, creating the layout if missing, and sweeps tmp/ entries left by
  // processes that no longer run.
  explicit Store(std::string root);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& root() const { return root_; }

  // --- blobs ---
  bool HasBlob(const std::string& digest) const;
  std::string BlobPath(const std::string& digest) const;
  // Whole blob (for manifests and configs); its digest is verified on read.
  std::string ReadBlob(const std::string& digest) const;
  Descriptor PutBlob(std::string_view bytes, const std::string& media_type);
  std::unique_ptr<BlobWriter> NewBlobWriter();
  // Every file in blobs/sha256/, sorted by name, with the digest its name claims ("sha256:" +
  // name). A stray file whose name is no digest is listed too (IsValidDigest says which), so
  // check can report it and prune can delete it.
  struct BlobFile {
    std::string digest;
    std::string path;
  };
  std::vector<BlobFile> ListBlobFiles() const;
  // Deletes one blob file (only under an ExclusiveLock); returns the bytes freed, 0 when it was
  // not there.
  int64_t RemoveBlob(const BlobFile& blob);

  // --- tags (index.json) ---
  // Names are normalised by NormalizeName ("hello" -> "hello:latest").
  std::optional<Descriptor> ResolveTag(const std::string& name) const;
  void SetTag(const std::string& name, const Descriptor& manifest);
  bool RemoveTag(const std::string& name);
  // (normalised name, manifest descriptor), sorted by name.
  std::vector<std::pair<std::string, Descriptor>> ListTags() const;

  // --- unpacked layers ---
  // Directory holding the layer with this diffID, unpacked from `layer` (a blob in this store)
  // on first use, whiteouts in overlay form. Safe against hostile archives.
  std::string UnpackedLayer(const Descriptor& layer, const std::string& diff_id);
  bool HasUnpackedLayer(const std::string& diff_id) const;
  // `tree` (a directory on the store's file system, e.g. in a scratch dir) is exactly what
  // unpacking the layer with this diffID gives (store/layer.h, SnapshotOptions::adopt): it is
  // moved into place, with its tree sum, instead of being extracted again. When the store has
  // that layer already, tree is left where it is.
  void AdoptUnpackedLayer(const std::string& tree, const std::string& diff_id);
  // A short path (root/l/<26 chars>) that resolves to UnpackedLayer's directory.
  std::string ShortLayerPath(const std::string& diff_id);

  // --- scratch ---
  // A fresh directory under tmp/, owned by this process (swept once it is dead).
  std::string NewScratchDir(std::string_view prefix);

  // --- the collector's lock (<root>/gc.lock) ---
  // Every open Store holds gc.lock shared for its whole life, so nothing deletes blobs or layers
  // a running cairn may be about to reference (a build writes blobs long before it tags them).
  // Deleting code (prune, rmi, check --repair) converts this lock to exclusive for the life of an
  // ExclusiveLock: LockExclusive() waits until every other cairn process on this store has
  // exited; TryLockExclusive() does not wait (nullopt: another process uses the store). The lock
  // goes back to shared when the ExclusiveLock is destroyed. A killed process's lock dies with it.
  class ExclusiveLock {
   public:
    ExclusiveLock(ExclusiveLock&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
    ExclusiveLock& operator=(ExclusiveLock&&) = delete;
    // Throws Error when going back to shared fails, unless an exception is already leaving.
    ~ExclusiveLock() noexcept(false);

   private:
    friend class Store;
    explicit ExclusiveLock(Store* store) : store_(store) {}
    Store* store_;
    int exceptions_at_start_ = std::uncaught_exceptions();
  };
  [[nodiscard]] ExclusiveLock LockExclusive();
  [[nodiscard]] std::optional<ExclusiveLock> TryLockExclusive();

 private:
  void UnlockExclusive();
  // tree (with its sum written through scratch) -> dir in layers/.
  void PlaceUnpackedTree(const std::string& tree, const std::string& scratch, const std::string& dir);

  std::string root_;
  int gc_lock_fd_ = -1;
};

// "hello" -> "hello:latest"; "a/b:1" stays; "x@sha256:..." stays.
std::string NormalizeName(const std::string& name);

}  // namespace cairn::store

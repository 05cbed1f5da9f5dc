// The store's layout, blobs, unpacked layers and scratch space. Tags live in tags.cc.
#include "store/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "store/blob_writer.h"
#include "store/layer.h"
#include "store/scratch.h"
#include "store/tree_sum.h"

namespace cairn::store {

namespace {

std::string EmptyIndexJson() {
  return nlohmann::json{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", nlohmann::json::array()}}
      .dump();
}

// Creates path with data unless it exists, never replacing it: the temp file is published with
// link(), which fails if another process got there first (and may already have added tags).
void WriteIfMissing(const std::string& path, const std::string& data) {
  if (PathExists(path)) return;
  std::string tmp = path + ".new-" + std::to_string(::getpid());
  WriteFileAtomic(tmp, data);
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) throw SysError("create", path, err);
}

}  // namespace

Store::Store(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  try {
    for (const char* d : {"blobs/sha256", "layers", "l", "cache", "tmp"}) MakeDirs(JoinPath(root_, d));
    WriteIfMissing(JoinPath(root_, "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
    WriteIfMissing(JoinPath(root_, "index.json"), EmptyIndexJson());
  } catch (const std::exception& e) {
    throw Wrap("opening store " + root_ + " (pass --root DIR or set CAIRN_ROOT to a writable directory)", e);
  }
  std::string lock = JoinPath(root_, "gc.lock");
  gc_lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (gc_lock_fd_ < 0) throw SysError("open", lock);
  while (::flock(gc_lock_fd_, LOCK_SH) != 0)
    if (errno != EINTR) throw SysError("flock", lock);
  SweepDeadScratch(JoinPath(root_, "tmp"));
  SpreadScratchDirs(JoinPath(root_, "tmp"));
}

Store::~Store() {
  if (gc_lock_fd_ >= 0) ::close(gc_lock_fd_);
}

Store::ExclusiveLock Store::LockExclusive() {
  while (::flock(gc_lock_fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw SysError("flock", JoinPath(root_, "gc.lock"));
  return ExclusiveLock(this);
}

std::optional<Store::ExclusiveLock> Store::TryLockExclusive() {
  while (::flock(gc_lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      // A failed conversion may have dropped the shared lock (flock converts non-atomically).
      UnlockExclusive();
      return std::nullopt;
    }
    if (errno != EINTR) throw SysError("flock", JoinPath(root_, "gc.lock"));
  }
  return ExclusiveLock(this);
}

Store::ExclusiveLock::~ExclusiveLock() noexcept(false) {
  if (!store_) return;
  if (std::uncaught_exceptions() <= exceptions_at_start_) {
    store_->UnlockExclusive();
    return;
  }
  try {
    store_->UnlockExclusive();
  } catch (...) {  // the failure already on its way is the one to report
  }
}

void Store::UnlockExclusive() {
  while (::flock(gc_lock_fd_, LOCK_SH) != 0)
    if (errno != EINTR) throw SysError("flock", JoinPath(root_, "gc.lock"));
}

// --- blobs ---

bool Store::HasBlob(const std::string& digest) const {
  return IsValidDigest(digest) && PathExists(BlobPath(digest));
}

std::string Store::BlobPath(const std::string& digest) const {
  return JoinPath(root_, "blobs/sha256/" + DigestHex(digest));
}

std::vector<Store::BlobFile> Store::ListBlobFiles() const {
  std::string dir = JoinPath(root_, "blobs/sha256");
  std::vector<BlobFile> out;
  if (!IsDirectory(dir)) return out;
  for (auto& name : ListDir(dir)) out.push_back({"sha256:" + name, JoinPath(dir, name)});
  return out;
}

int64_t Store::RemoveBlob(const BlobFile& blob) {
  struct stat st;
  int64_t bytes = ::lstat(blob.path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  if (::unlink(blob.path.c_str()) != 0 && errno != ENOENT) throw SysError("remove", blob.path);
  return bytes;
}

std::string Store::ReadBlob(const std::string& digest) const {
  std::string path = BlobPath(digest);
  if (!PathExists(path)) throw Error("blob " + digest + " is missing from store " + root_ + " (run `cairn check`)");
  std::string bytes = ReadFile(path);
  std::string actual = DigestOf(bytes);
  if (actual != digest)
    throw Error("blob " + path + " is corrupt: its content hashes to " + actual + " (run `cairn check`)");
  return bytes;
}

Descriptor Store::PutBlob(std::string_view bytes, const std::string& media_type) {
  std::string digest = DigestOf(bytes);
  if (HasBlob(digest)) return Descriptor{media_type, digest, static_cast<int64_t>(bytes.size()), {}};
  auto w = NewBlobWriter();
  w->Write(bytes.data(), bytes.size());
  return w->Commit(media_type, digest);
}

std::unique_ptr<BlobWriter> Store::NewBlobWriter() {
  return NewFileBlobWriter(JoinPath(root_, "tmp"), JoinPath(root_, "blobs/sha256"));
}

// --- unpacked layers ---

std::string Store::UnpackedLayer(const Descriptor& layer, const std::string& diff_id) {
  std::string dir = JoinPath(root_, "layers/" + DigestHex(diff_id));
  if (IsDirectory(dir)) return dir;
  if (!HasBlob(layer.digest))
    throw Error("layer blob " + layer.digest + " (diffID " + diff_id + ") is missing from store " + root_ +
                " (pull the image again)");
  // Extract beside the final place, then rename: a reader sees no tree or a whole tree, and a
  // crash leaves only a scratch dir the next open sweeps.
  std::string scratch = NewScratchDir("unpack-");
  ScopeExit remove_scratch([&] { RemoveAll(scratch); });
  std::string tree = JoinPath(scratch, "tree");
  try {
    MakeDirs(tree);
    ExtractLayer(BlobPath(layer.digest), tree);
    if (::chmod(tree.c_str(), 0755) != 0) throw SysError("chmod", tree);
    PlaceUnpackedTree(tree, scratch, dir);
  } catch (const std::exception& e) {
    throw Wrap("unpacking layer " + layer.digest, e);
  }
  return dir;
}

bool Store::HasUnpackedLayer(const std::string& diff_id) const {
  return IsDirectory(JoinPath(root_, "layers/" + DigestHex(diff_id)));
}

void Store::AdoptUnpackedLayer(const std::string& tree, const std::string& diff_id) {
  std::string dir = JoinPath(root_, "layers/" + DigestHex(diff_id));
  if (IsDirectory(dir)) return;
  std::string scratch = NewScratchDir("adopt-");
  ScopeExit remove_scratch([&] { RemoveAll(scratch); });
  PlaceUnpackedTree(tree, scratch, dir);
}

// The record `cairn check` verifies the tree against (see tree_sum.h) goes in first, so a tree is
// never without one; it is written in the scratch dir and renamed, so a kill leaves no half-written
// file in layers/, only scratch the next open sweeps.
void Store::PlaceUnpackedTree(const std::string& tree, const std::string& scratch, const std::string& dir) {
  std::string sum = JoinPath(scratch, "sum");
  WriteFileAtomic(sum, TreeDigest(tree));
  if (::rename(sum.c_str(), TreeSumPath(dir).c_str()) != 0) throw SysError("rename to", TreeSumPath(dir));
  if (::rename(tree.c_str(), dir.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY)
    throw SysError("rename to", dir);
  // EEXIST/ENOTEMPTY: another process unpacked the same layer first; theirs is identical.
}

std::string Store::ShortLayerPath(const std::string& diff_id) {
  // 26 characters like docker's overlay2 l/ links, but derived from the diffID instead of random
  // so every process (and every machine) agrees on the name without bookkeeping.
  std::string hex = DigestHex(diff_id);
  std::string link = JoinPath(root_, "l/" + hex.substr(0, 26));
  std::string target = "../layers/" + hex;
  char buf[256];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n > 0 && std::string(buf, static_cast<size_t>(n)) == target) return link;
  // Create in a scratch dir and rename over: concurrent callers both end with the right link,
  // and a kill leaves nothing in l/ (the next open sweeps the scratch).
  std::string scratch = NewScratchDir("link-");
  std::string tmp = JoinPath(scratch, "link");
  int err = 0;
  if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link.c_str()) != 0) err = errno;
  RemoveAll(scratch);
  if (err) throw SysError("link " + link + " ->", target, err);
  return link;
}

// --- scratch ---

std::string Store::NewScratchDir(std::string_view prefix) { return MakeScratchDir(JoinPath(root_, "tmp"), prefix); }

}  // namespace cairn::store

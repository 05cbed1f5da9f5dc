#include "store/oci_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"

namespace cairn::store {

using nlohmann::json;

namespace {

constexpr const char* kRefName = "org.opencontainers.image.ref.name";

// Streams a file through a callback in blocks: layers are never held in memory.
void ForEachBlock(const std::string& path, const std::function<void(const char*, size_t)>& fn) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw SysError("open", path);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", path);
    if (n == 0) return;
    fn(buf.data(), static_cast<size_t>(n));
  }
}

}  // namespace

std::string OciDir::IndexPath() const { return JoinPath(dir_, "index.json"); }

std::string OciDir::BlobPath(const std::string& digest) const {
  return JoinPath(dir_, "blobs/sha256/" + DigestHex(digest));
}

std::string OciDir::ReadBlob(const std::string& digest) const {
  std::string bytes = ReadFile(BlobPath(digest));
  if (DigestOf(bytes) != digest) throw Error(BlobPath(digest) + " does not hash to " + digest + " (corrupt)");
  return bytes;
}

bool OciDir::CopyBlobFrom(const Store& from, const std::string& digest) {
  MakeDirs(JoinPath(dir_, "blobs/sha256"));
  std::string dst = BlobPath(digest);
  if (PathExists(dst)) return false;
  std::string tmp = dst + ".tmp-" + std::to_string(::getpid());
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.get() < 0) throw SysError("create", tmp);
  ForEachBlock(from.BlobPath(digest), [&](const char* p, size_t n) { WriteAll(out.get(), p, n, tmp); });
  if (::fsync(out.get()) != 0) throw SysError("fsync", tmp);
  out.Reset();
  if (::rename(tmp.c_str(), dst.c_str()) != 0) throw SysError("rename", tmp);
  return true;
}

void OciDir::CopyBlobTo(Store& to, const Descriptor& blob) const {
  auto writer = to.NewBlobWriter();
  ForEachBlock(BlobPath(blob.digest), [&](const char* p, size_t n) { writer->Write(p, n); });
  writer->Commit(blob.media_type, blob.digest);
}

void OciDir::LinkImagesOf(const Store& from) {
  MakeDirs(JoinPath(dir_, "blobs/sha256"));
  for (const Store::BlobFile& blob : from.ListBlobFiles())
    if (::link(blob.path.c_str(), BlobPath(blob.digest).c_str()) != 0) throw SysError("link blob into", dir_);
  for (const char* f : {"index.json", "oci-layout"})
    if (PathExists(JoinPath(from.root(), f))) WriteFileAtomic(JoinPath(dir_, f), ReadFile(JoinPath(from.root(), f)));
}

void OciDir::WriteIndex(const Descriptor& manifest, const std::string& ref_name) {
  WriteFileAtomic(JoinPath(dir_, "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  Descriptor named = manifest;
  named.annotations[kRefName] = ref_name;
  json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", {ToJson(named)}}};
  WriteFileAtomic(IndexPath(), index.dump());
}

std::string OciDir::ReadManifestNamed(const std::string& ref_name) const {
  json index = json::parse(ReadFile(IndexPath()), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error(IndexPath() + " is not an OCI index");
  for (auto& m : index["manifests"]) {
    Descriptor d = DescriptorFromJson(m);
    auto name = d.annotations.find(kRefName);
    if (name != d.annotations.end() && name->second == ref_name) return ReadBlob(d.digest);
  }
  throw Error(IndexPath() + " names no manifest \"" + ref_name + "\"");
}

OciDir::Lock::Lock(const std::string& dir) {
  std::string path = JoinPath(dir, "lock");
  fd_.Reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd_) throw SysError("open", path);
  while (::flock(fd_.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw SysError("flock", path);
}

Descriptor OciDir::ImportImage(Store& to, const std::string& ref_name) const {
  json index = json::parse(ReadFile(IndexPath()), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error(IndexPath() + " is not an OCI index");
  std::optional<Descriptor> found;
  std::string names;
  for (auto& m : index["manifests"]) {
    Descriptor d = DescriptorFromJson(m);
    auto name = d.annotations.find(kRefName);
    std::string n = name == d.annotations.end() ? "" : name->second;
    names += (names.empty() ? "" : ", ") + (n.empty() ? d.digest : n);
    if (ref_name.empty() ? !found : n == ref_name) found = d;
  }
  if (ref_name.empty() && index["manifests"].size() != 1)
    throw Error(IndexPath() + " holds " + std::to_string(index["manifests"].size()) +
                " manifests (" + names + "); name one with :TAG");
  if (!found) throw Error(IndexPath() + " names no manifest \"" + ref_name + "\" (it has: " + names + ")");
  json manifest = json::parse(ReadBlob(found->digest), nullptr, false);
  if (!manifest.is_object() || !manifest.contains("config") || !manifest.contains("layers") ||
      !manifest["layers"].is_array())
    throw Error(BlobPath(found->digest) + " is not an image manifest (an index of several platforms is not supported)");
  CopyBlobTo(to, DescriptorFromJson(manifest["config"]));
  for (auto& layer : manifest["layers"]) CopyBlobTo(to, DescriptorFromJson(layer));
  CopyBlobTo(to, *found);
  found->annotations.clear();
  return *found;
}

}  // namespace cairn::store

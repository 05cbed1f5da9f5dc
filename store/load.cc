// Loading archives: OCI layout, docker-archive and the pre-1.10 docker save format.
#include "store/load.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <set>
#include <optional>
#include <memory>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/transfer.h"
#include "store/image.h"
#include "store/manifest.h"
#include "store/tree_sum.h"

namespace cairn::store {

namespace {

using nlohmann::json;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveFree>;

// The archive unpacked as plain files under a scratch dir. Links are kept as a name map and
// resolved by Open, so nothing the archive names can point outside the scratch dir.
class Unpacked {
 public:
  Unpacked(const std::string& src, const std::string& dir) : src_(src), dir_(dir) {
    ReadArchive a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    UniqueFd fd(src == "-" ? ::dup(STDIN_FILENO) : ::open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open", src);
    if (archive_read_open_fd(a.get(), fd.get(), 1 << 16) != ARCHIVE_OK) Fail(a.get());
    archive_entry* e;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      std::string name = Clean(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
      if (name.empty()) continue;
      if (const char* hl = archive_entry_hardlink(e)) {
        links_[name] = Clean(hl);
        continue;
      }
      auto type = archive_entry_filetype(e);
      if (type == AE_IFLNK) {
        std::string t = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
        size_t slash = name.rfind('/');
        links_[name] = Clean(t.size() && t[0] == '/' ? t : (slash == std::string::npos ? "" : name.substr(0, slash + 1)) + t);
        continue;
      }
      if (type != AE_IFREG) continue;
      std::string path = JoinPath(dir_, name);
      MakeDirs(path.substr(0, path.rfind('/')));
      UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
      if (!out) throw SysError("create", path);
      const void* buf;
      size_t size;
      la_int64_t off;
      while ((rc = archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK)
        if (size) WriteAll(out.get(), buf, size, path);
      if (rc != ARCHIVE_EOF) Fail(a.get());
      files_.insert(name);
    }
    if (rc != ARCHIVE_EOF) Fail(a.get());
  }

  bool Has(const std::string& name) const { return Resolve(name).has_value(); }
  // The scratch path of an archive member, links followed. Throws naming the member if absent.
  std::string Path(const std::string& name) const {
    auto r = Resolve(name);
    if (!r) throw Error("archive " + src_ + " has no file " + name);
    return JoinPath(dir_, *r);
  }
  std::string Read(const std::string& name) const { return ReadFile(Path(name)); }

 private:
  std::optional<std::string> Resolve(std::string name) const {
    name = Clean(name);
    for (int i = 0; i < 16; i++) {
      if (files_.count(name)) return name;
      auto it = links_.find(name);
      if (it == links_.end()) return std::nullopt;
      name = it->second;
    }
    return std::nullopt;
  }
  // Archive names relative to the top: "./a//b/../c" -> "a/c"; ".." past the top is dropped.
  static std::string Clean(const std::string& in) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= in.size()) {
      size_t j = in.find('/', i);
      if (j == std::string::npos) j = in.size();
      std::string p = in.substr(i, j - i);
      if (p == "..") {
        if (!parts.empty()) parts.pop_back();
      } else if (!p.empty() && p != ".") {
        parts.push_back(p);
      }
      i = j + 1;
    }
    std::string out;
    for (auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
  }
  [[noreturn]] void Fail(archive* a) const { throw Error("reading archive " + src_ + ": " + archive_error_string(a)); }

  std::string src_, dir_;
  std::set<std::string> files_;
  std::map<std::string, std::string> links_;
};

// Copies a file into the store as a blob; expected (when set) must match its digest.
Descriptor PutFile(Store& store, const std::string& path, const std::string& media_type, const std::string& expected) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", path);
  struct stat st;
  int64_t size = ::fstat(fd.get(), &st) == 0 ? st.st_size : 0, done = 0;
  auto w = store.NewBlobWriter();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", path);
    if (n == 0) break;
    w->Write(buf, static_cast<size_t>(n));
    done += n;
    ReportTransfer({"load " + expected, done, size, false});  // cairn load's progress (base/transfer.h)
  }
  ReportTransfer({"load " + expected, done, size, /*finished=*/true});
  return w->Commit(media_type, expected);
}

// The layer media type its first bytes say.
std::string LayerMediaType(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  unsigned char m[4] = {};
  if (!fd || ::read(fd.get(), m, 4) < 2) return media::kOciLayerTar;
  if (m[0] == 0x1f && m[1] == 0x8b) return media::kOciLayerGzip;
  if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return media::kOciLayerZstd;
  return media::kOciLayerTar;
}

std::string UncompressedDigest(const std::string& path) { return BlobDiffId(path); }

// "docker.io/library/busybox:latest" -> "busybox:latest", as docker shows names.
std::string ShortName(std::string n) {
  for (const char* p : {"docker.io/library/", "docker.io/"})
    if (n.rfind(p, 0) == 0) return NormalizeName(n.substr(std::string(p).size()));
  return NormalizeName(n);
}

json ParseJson(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(what + " is not valid JSON: " + e.what());
  }
}

// Copies a manifest or index and everything it references from the archive's blobs/.
void CopyGraph(Store& store, const Unpacked& u, const std::string& digest, const std::string& media_type,
               const std::string& src, int depth) {
  if (!IsValidDigest(digest)) throw Error("archive " + src + ": invalid digest \"" + digest + "\"");
  std::string name = "blobs/sha256/" + DigestHex(digest);
  Descriptor d = PutFile(store, u.Path(name), media_type, digest);
  json m = ParseJson(store.ReadBlob(d.digest), "archive " + src + ": " + name);
  if (m.contains("manifests") && m["manifests"].is_array()) {
    if (depth > 3) throw Error("archive " + src + ": index nesting too deep");
    for (auto& c : m["manifests"]) {
      std::string cd = c.value("digest", "");
      if (IsValidDigest(cd) && u.Has("blobs/sha256/" + DigestHex(cd)))
        CopyGraph(store, u, cd, c.value("mediaType", ""), src, depth + 1);
    }
    return;
  }
  if (!IsImageManifest(m))
    throw Error("archive " + src + ": " + name + " is neither an image manifest nor an index");
  auto blob = [&](const json& desc) {
    std::string bd = desc.value("digest", "");
    if (!IsValidDigest(bd)) throw Error("archive " + src + ": invalid digest in " + name);
    PutFile(store, u.Path("blobs/sha256/" + DigestHex(bd)), desc.value("mediaType", ""), bd);
  };
  blob(m["config"]);
  for (auto& l : m["layers"]) blob(l);
}

std::vector<std::string> LoadOci(Store& store, const Unpacked& u, const std::string& src) {
  json index = ParseJson(u.Read("index.json"), "archive " + src + ": index.json");
  std::vector<std::string> lines;
  for (auto& m : index.value("manifests", json::array())) {
    std::string digest = m.value("digest", "");
    std::string mt = m.value("mediaType", "");
    CopyGraph(store, u, digest, mt, src, 0);
    auto ann = m.value("annotations", json::object());
    std::string name = ann.value("io.containerd.image.name", "");
    std::string ref = ann.value("org.opencontainers.image.ref.name", "");
    // A bare ref.name ("latest") is only a tag in that layout, not a name to give the image.
    if (name.empty() && ref.find_first_of(":/") != std::string::npos) name = ref;
    if (name.empty()) {
      lines.push_back("Loaded image ID: " + digest);
      continue;
    }
    Descriptor d{mt.empty() ? media::kOciManifest : mt, digest, m.value("size", int64_t{0}), {}};
    store.SetTag(ShortName(name), d);
    lines.push_back("Loaded image: " + ShortName(name));
  }
  return lines;
}

// Writes the OCI manifest for a config blob and layer files from a docker archive, checking
// each layer's diffID (when check_ids) or computing it.
Descriptor WriteManifest(Store& store, const std::string& config_bytes, const std::vector<std::string>& layer_paths) {
  Descriptor cfg = store.PutBlob(config_bytes, media::kOciConfig);
  json manifest = {{"schemaVersion", 2}, {"mediaType", media::kOciManifest}, {"config", ToJson(cfg)}, {"layers", json::array()}};
  for (auto& p : layer_paths) manifest["layers"].push_back(ToJson(PutFile(store, p, LayerMediaType(p), "")));
  return store.PutBlob(CanonicalJson(manifest), media::kOciManifest);
}

std::vector<std::string> LoadDocker(Store& store, const Unpacked& u, const std::string& src) {
  json entries = ParseJson(u.Read("manifest.json"), "archive " + src + ": manifest.json");
  if (!entries.is_array()) throw Error("archive " + src + ": manifest.json is not a list");
  std::vector<std::string> lines;
  for (auto& e : entries) {
    std::string cfg_name = e.value("Config", "");
    std::string config_bytes = u.Read(cfg_name);
    json config = ParseJson(config_bytes, "archive " + src + ": " + cfg_name);
    auto ids = config.contains("rootfs") ? config["rootfs"].value("diff_ids", json::array()) : json::array();
    auto layer_names = e.value("Layers", json::array());
    if (ids.size() != layer_names.size())
      throw Error("archive " + src + ": " + cfg_name + " lists " + std::to_string(ids.size()) + " diff_ids for " +
                  std::to_string(layer_names.size()) + " layers");
    std::vector<std::string> paths;
    for (size_t i = 0; i < layer_names.size(); i++) {
      std::string p = u.Path(layer_names[i].get<std::string>());
      std::string actual = UncompressedDigest(p);
      if (actual != ids[i].get<std::string>())
        throw Error("archive " + src + ": layer " + layer_names[i].get<std::string>() + " hashes to " + actual +
                    " but its config says " + ids[i].get<std::string>() + " (the archive is damaged)");
      paths.push_back(p);
    }
    Descriptor d = WriteManifest(store, config_bytes, paths);
    auto tags = e.value("RepoTags", json::array());
    if (!tags.is_array() || tags.empty()) lines.push_back("Loaded image ID: " + DigestOf(config_bytes));
    for (auto& t : tags) {
      store.SetTag(ShortName(t.get<std::string>()), d);
      lines.push_back("Loaded image: " + ShortName(t.get<std::string>()));
    }
  }
  return lines;
}

// The pre-1.10 format: a v1 json per layer chained by "parent"; `repositories` names the tops.
std::vector<std::string> LoadLegacy(Store& store, const Unpacked& u, const std::string& src) {
  json repos = ParseJson(u.Read("repositories"), "archive " + src + ": repositories");
  std::vector<std::string> lines;
  for (auto& [repo, tags] : repos.items()) {
    for (auto& [tag, id_json] : tags.items()) {
      std::vector<json> chain;  // top first
      std::vector<std::string> ids;
      for (std::string id = id_json.get<std::string>(); !id.empty();) {
        if (chain.size() > 256) throw Error("archive " + src + ": parent chain of " + repo + ":" + tag + " loops");
        json v1 = ParseJson(u.Read(id + "/json"), "archive " + src + ": " + id + "/json");
        ids.push_back(id);
        std::string parent = v1.value("parent", "");
        chain.push_back(std::move(v1));
        id = parent;
      }
      json config = chain.front();
      // What Docker 1.10's migration dropped from the v1 json before it became the image config.
      for (const char* k : {"id", "parent", "Size", "parent_id", "layer_id", "throwaway"}) config.erase(k);
      config["rootfs"] = {{"type", "layers"}, {"diff_ids", json::array()}};
      config["history"] = json::array();
      std::vector<std::string> paths;
      for (size_t i = chain.size(); i-- > 0;) {
        const json& v1 = chain[i];
        std::string p = u.Path(ids[i] + "/layer.tar");
        config["rootfs"]["diff_ids"].push_back(UncompressedDigest(p));
        paths.push_back(p);
        std::string cmd;
        if (v1.contains("container_config") && v1["container_config"].is_object() &&
            v1["container_config"].contains("Cmd") && v1["container_config"]["Cmd"].is_array())
          for (auto& c : v1["container_config"]["Cmd"]) cmd += (cmd.empty() ? "" : " ") + c.get<std::string>();
        json h = {{"created", v1.value("created", "1970-01-01T00:00:00Z")}};
        if (!cmd.empty()) h["created_by"] = cmd;
        if (v1.contains("author")) h["author"] = v1["author"];
        if (v1.contains("comment")) h["comment"] = v1["comment"];
        config["history"].push_back(h);
      }
      Descriptor d = WriteManifest(store, CanonicalJson(config), paths);
      std::string name = ShortName(repo + ":" + tag);
      store.SetTag(name, d);
      lines.push_back("Loaded image: " + name);
    }
  }
  return lines;
}

}  // namespace

std::vector<std::string> LoadArchive(Store& store, const std::string& path) {
  std::string scratch = store.NewScratchDir("load-");
  std::vector<std::string> lines;
  try {
    Unpacked u(path, scratch);
    if (u.Has("index.json") && u.Has("oci-layout"))
      lines = LoadOci(store, u, path);
    else if (u.Has("manifest.json"))
      lines = LoadDocker(store, u, path);
    else if (u.Has("repositories"))
      lines = LoadLegacy(store, u, path);
    else
      throw Error("archive " + path + " is neither an OCI layout (index.json), a docker-archive (manifest.json) nor an old docker save (repositories)");
  } catch (const std::exception& e) {
    try {
      RemoveAll(scratch);
    } catch (const std::exception&) {
    }
    throw Wrap("loading " + path, e);
  }
  RemoveAll(scratch);
  return lines;
}

}  // namespace cairn::store

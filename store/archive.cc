// `cairn save` (an archive docker, podman and skopeo load) and `cairn import` (a rootfs tar).
#include "store/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <memory>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "base/transfer.h"
#include "store/image.h"
#include "store/layer.h"
#include "store/layer_extract.h"

namespace cairn::store {

namespace {

using nlohmann::json;

// "hello:latest" -> "docker.io/library/hello:latest", as docker names images in saved archives.
// The first component is a registry when it looks like a host (has '.' or ':', or is localhost).
std::string FullyQualified(const std::string& name) {
  size_t slash = name.find('/');
  std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
  if (!first.empty() && (first.find_first_of(".:") != std::string::npos || first == "localhost")) return name;
  return slash == std::string::npos ? "docker.io/library/" + name : "docker.io/" + name;
}

std::string TagOf(const std::string& normalized) {
  size_t colon = normalized.rfind(':');
  return normalized.substr(colon + 1);
}

// One file in the saved archive: literal bytes or a blob streamed from the store.
struct ArchiveFile {
  std::string content;
  std::string path_on_disk;  // when not empty, content is read from here
  int64_t size = 0;
};

class ArchiveOut {
 public:
  explicit ArchiveOut(int fd, const std::string& what) : a_(archive_write_new()), e_(archive_entry_new()), what_(what) {
    // Same format choices as layers: ustar headers, PAX only when needed, no tail padding.
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK || archive_write_add_filter_none(a_) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a_, 1) != ARCHIVE_OK || archive_write_open_fd(a_, fd) != ARCHIVE_OK)
      Fail("open");
  }
  ~ArchiveOut() {
    archive_entry_free(e_);
    archive_write_free(a_);
  }

  // Rules for archive entries: mtime 0, owner 0:0 without names, dirs 0755, files 0644.
  void Dir(const std::string& name) {
    Header(name, AE_IFDIR, 0755, 0);
  }
  void File(const std::string& name, const ArchiveFile& f) {
    Header(name, AE_IFREG, 0644, f.size);
    if (f.path_on_disk.empty()) {
      if (!f.content.empty() && archive_write_data(a_, f.content.data(), f.content.size()) < 0) Fail(name);
      return;
    }
    UniqueFd fd(::open(f.path_on_disk.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw SysError("open", f.path_on_disk);
    char buf[1 << 16];
    int64_t total = 0;
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw SysError("read", f.path_on_disk);
      if (n == 0) break;
      total += n;
      if (archive_write_data(a_, buf, static_cast<size_t>(n)) != n) Fail(name);
      ReportTransfer({"save " + name, total, f.size, false});  // cairn save's progress (base/transfer.h)
    }
    if (total != f.size) throw Error("blob " + f.path_on_disk + " changed size while being saved");
    ReportTransfer({"save " + name, total, f.size, /*finished=*/true});
  }
  void Close() {
    if (archive_write_close(a_) != ARCHIVE_OK) Fail("close");
  }

 private:
  void Header(const std::string& name, unsigned type, unsigned perm, int64_t size) {
    archive_entry_clear(e_);
    archive_entry_set_pathname(e_, name.c_str());
    archive_entry_set_filetype(e_, type);
    archive_entry_set_perm(e_, perm);
    archive_entry_set_size(e_, size);
    archive_entry_set_mtime(e_, 0, 0);
    archive_entry_set_uid(e_, 0);
    archive_entry_set_gid(e_, 0);
    if (archive_write_header(a_, e_) != ARCHIVE_OK) Fail(name);
  }
  [[noreturn]] void Fail(const std::string& at) {
    throw Error("writing " + what_ + " (" + at + "): " + archive_error_string(a_));
  }

  archive* a_;
  archive_entry* e_;
  std::string what_;
};

std::string Rfc3339(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string BlobName(const std::string& digest) { return "blobs/sha256/" + DigestHex(digest); }

void WriteArchive(const std::map<std::string, ArchiveFile>& files, int fd, const std::string& what) {
  ArchiveOut out(fd, what);
  out.Dir("blobs/");
  out.Dir("blobs/sha256/");
  for (auto& [name, f] : files) out.File(name, f);  // std::map: bytewise name order
  out.Close();
}

}  // namespace

namespace {

// The files of the archive of names: blobs, oci-layout, index.json and (docker's) manifest.json.
std::map<std::string, ArchiveFile> ArchiveFiles(const Store& store, const std::vector<std::string>& names,
                                                const std::function<void(const std::string&)>& note) {
  if (names.empty()) throw Error("save: name at least one image");
  std::map<std::string, ArchiveFile> files;
  json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array()}};
  json manifest_json = json::array();
  std::map<std::string, size_t> entry_of_manifest;  // manifest digest -> index in manifest_json
  auto add_blob = [&](const Descriptor& d) {
    files[BlobName(d.digest)] = ArchiveFile{"", store.BlobPath(d.digest), d.size};
  };
  auto add_image = [&](const Image& img) {
    add_blob(img.manifest_descriptor);
    add_blob(img.config_descriptor);
    for (auto& l : img.layers) add_blob(l);
  };
  for (const std::string& raw : names) {
    // A multi-platform image: index.json names its index and the archive holds every platform's
    // image (skopeo and podman load any of them); docker's manifest.json lists the host
    // platform's image only, the one `docker load` would run (as docker save does).
    json index_json;
    std::optional<Descriptor> image_index = ResolveIndex(store, raw, &index_json);
    bool partial = image_index && !AbsentPlatforms(store, index_json).empty();
    if (partial) image_index.reset();
    if (image_index) {
      Descriptor d = *image_index;
      d.size = static_cast<int64_t>(store.ReadBlob(d.digest).size());
      d.media_type = index_json.value("mediaType", std::string(media::kOciIndex));
      add_blob(d);
      for (auto& m : index_json.value("manifests", json::array())) add_image(LoadImage(store, m.value("digest", "")));
      image_index = d;
    }
    Image img = LoadImage(store, raw);
    if (partial && note)
      note(raw + ": only some of its platforms were pulled; saving its " + ToString(PlatformOf(img.config)) +
           " image alone (pull the others with --platform to save the whole index)");
    add_image(img);
    bool tagged = !IsValidDigest(raw);
    std::string name = tagged ? NormalizeName(raw) : "";
    json entry = ToJson(image_index ? *image_index : img.manifest_descriptor);
    if (tagged)
      entry["annotations"] = {{"io.containerd.image.name", FullyQualified(name)},
                              {"org.opencontainers.image.ref.name", TagOf(name)}};
    if (std::find(index["manifests"].begin(), index["manifests"].end(), entry) == index["manifests"].end())
      index["manifests"].push_back(entry);
    auto [it, fresh] = entry_of_manifest.try_emplace(img.manifest_descriptor.digest, manifest_json.size());
    if (fresh) {
      json layers = json::array();
      for (auto& l : img.layers) layers.push_back(BlobName(l.digest));
      manifest_json.push_back({{"Config", BlobName(img.config_descriptor.digest)}, {"RepoTags", json::array()}, {"Layers", layers}});
    }
    json& tags = manifest_json[it->second]["RepoTags"];
    if (tagged && std::find(tags.begin(), tags.end(), name) == tags.end()) tags.push_back(name);
  }
  for (auto& [name, f] : files) {
    struct stat st;
    if (::stat(f.path_on_disk.c_str(), &st) != 0) throw SysError("stat", f.path_on_disk);
    files[name].size = st.st_size;
  }
  auto literal = [](std::string s) { return ArchiveFile{s, "", static_cast<int64_t>(s.size())}; };
  files["oci-layout"] = literal(R"({"imageLayoutVersion":"1.0.0"})");
  files["index.json"] = literal(CanonicalJson(index));
  files["manifest.json"] = literal(CanonicalJson(manifest_json));
  return files;
}

// Streams a blob of the store to path (never a link: the layout is the user's to change).
void CopyOut(const std::string& from, const std::string& path) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw SysError("open", from);
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) throw SysError("create", path);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", from);
    if (n == 0) break;
    WriteAll(out.get(), buf, static_cast<size_t>(n), path);
  }
}

}  // namespace

void SaveLayoutDir(const Store& store, const std::vector<std::string>& names, const std::string& dir,
                   const std::function<void(const std::string&)>& note) {
  std::map<std::string, ArchiveFile> files = ArchiveFiles(store, names, note);
  files.erase("manifest.json");  // docker's: an OCI layout has none
  if (PathExists(dir) && (!IsDirectory(dir) || !ListDir(dir).empty()))
    throw Error("--output type=oci,dest=" + dir + ",tar=false: not an empty directory; give a new or empty one");
  MakeDirs(JoinPath(dir, "blobs/sha256"));
  for (auto& [name, f] : files) {
    std::string path = JoinPath(dir, name);
    if (f.path_on_disk.empty()) WriteFileAtomic(path, f.content, 0644);
    else CopyOut(f.path_on_disk, path);
  }
}

void SaveArchive(const Store& store, const std::vector<std::string>& names, const std::string& out_path,
                 const std::function<void(const std::string&)>& note) {
  std::map<std::string, ArchiveFile> files = ArchiveFiles(store, names, note);
  if (out_path == "-") return WriteArchive(files, STDOUT_FILENO, "archive to stdout");
  // Temp file beside the target, renamed at the end: a failed save leaves no half archive.
  std::string tmp = out_path + ".tmp-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw SysError("create", tmp);
  ScopeFail remove_tmp([&] { ::unlink(tmp.c_str()); });
  WriteArchive(files, fd.get(), out_path);
  if (::fsync(fd.get()) != 0) throw SysError("fsync", tmp);
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) throw SysError("rename to", out_path);
}

namespace {

// "a b  c" -> {"a","b","c"}, with "..." / '...' quoting and backslash escapes like Dockerfile words.
std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) cur += s[++i];
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) throw Error("unterminated quote");
  if (in_word) out.push_back(cur);
  return out;
}

// CMD/ENTRYPOINT argument: a JSON string array, else shell form run by /bin/sh -c.
json CommandForm(const std::string& rest) {
  if (!rest.empty() && rest[0] == '[') {
    try {
      json j = json::parse(rest);
      if (j.is_array() && std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_string(); })) return j;
    } catch (const json::exception&) {
    }
  }
  return json::array({"/bin/sh", "-c", rest});
}

// KEY=VALUE pairs (or the legacy "KEY VALUE" form of a single pair).
std::vector<std::pair<std::string, std::string>> Pairs(const std::string& rest) {
  std::vector<std::pair<std::string, std::string>> out;
  auto words = Words(rest);
  if (!words.empty() && words[0].find('=') == std::string::npos) {
    size_t sp = rest.find_first_of(" \t");
    if (sp == std::string::npos) throw Error("expected KEY=VALUE");
    std::string v = rest.substr(rest.find_first_not_of(" \t", sp));
    out.emplace_back(words[0], v);
    return out;
  }
  for (auto& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("expected KEY=VALUE, got \"" + w + "\"");
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

}  // namespace

void ApplyImportChange(json& c, const std::string& change) {
  try {
    size_t b = change.find_first_not_of(" \t");
    if (b == std::string::npos) throw Error("empty instruction");
    size_t e = change.find_first_of(" \t", b);
    std::string kind = change.substr(b, e == std::string::npos ? std::string::npos : e - b);
    for (auto& ch : kind) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string rest;
    if (e != std::string::npos && change.find_first_not_of(" \t", e) != std::string::npos)
      rest = change.substr(change.find_first_not_of(" \t", e));
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.pop_back();
    if (rest.empty()) throw Error(kind + " needs an argument");
    if (kind == "CMD") {
      c["Cmd"] = CommandForm(rest);
    } else if (kind == "ENTRYPOINT") {
      c["Entrypoint"] = CommandForm(rest);
      c.erase("Cmd");  // as in a Dockerfile, a new ENTRYPOINT resets an inherited CMD
    } else if (kind == "ENV") {
      json env = c.value("Env", json::array());
      for (auto& [k, v] : Pairs(rest)) {
        json kept = json::array();
        for (auto& x : env)
          if (x.get<std::string>().rfind(k + "=", 0) != 0) kept.push_back(x);
        kept.push_back(k + "=" + v);
        env = kept;
      }
      c["Env"] = env;
    } else if (kind == "LABEL") {
      for (auto& [k, v] : Pairs(rest)) c["Labels"][k] = v;
    } else if (kind == "WORKDIR") {
      c["WorkingDir"] = rest;
    } else if (kind == "USER") {
      c["User"] = rest;
    } else if (kind == "EXPOSE") {
      for (auto& p : Words(rest)) c["ExposedPorts"][p.find('/') == std::string::npos ? p + "/tcp" : p] = json::object();
    } else {
      throw Error("unsupported instruction " + kind + " (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER or WORKDIR)");
    }
  } catch (const std::exception& e) {
    throw Wrap("--change '" + change + "'", e);
  }
}

Descriptor ImportRootfs(Store& store, const std::string& tar_path, const std::string& name, int64_t source_date_epoch,
                        const std::vector<std::string>& changes, const Platform& platform) {
  json container_config = {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}};
  for (auto& ch : changes) ApplyImportChange(container_config, ch);  // before any work: fail fast
  UniqueFd fd(tar_path == "-" ? ::dup(STDIN_FILENO) : ::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw SysError("open", tar_path);
  std::string scratch = store.NewScratchDir("import-");
  std::optional<Layer> layer;
  {
    ScopeExit remove_scratch([&] { RemoveAll(scratch); });
    std::string tree = JoinPath(scratch, "tree");
    MakeDirs(tree);
    ExtractTarFd(fd.get(), tar_path, tree, ExtractOptions{.whiteouts = false});
    SnapshotOptions snap;
    snap.source_date_epoch = source_date_epoch;
    snap.overlay_upper = false;
    layer = CommitLayerFromDir(store, tree, snap);
  }

  std::string created = Rfc3339(source_date_epoch);
  std::string base = tar_path == "-" ? "-" : tar_path.substr(tar_path.rfind('/') + 1);
  json config = {
      {"architecture", platform.architecture},
      {"os", platform.os},
      {"created", created},
      {"config", container_config},
      {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
      {"history", {{{"created", created}, {"created_by", "cairn import"}, {"comment", "Imported from " + base}}}},
  };
  if (!platform.variant.empty()) config["variant"] = platform.variant;
  std::vector<Descriptor> layers;
  if (layer) {
    layers.push_back(layer->descriptor);
    config["rootfs"]["diff_ids"].push_back(layer->diff_id);
  } else {
    config["history"][0]["empty_layer"] = true;
  }
  Descriptor manifest = WriteImage(store, config, layers).manifest;
  if (!name.empty()) store.SetTag(name, manifest);
  return manifest;
}

}  // namespace cairn::store

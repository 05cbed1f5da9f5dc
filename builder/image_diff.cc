#include "builder/image_diff.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <memory>
#include <tuple>

#include "base/digest.h"
#include "base/error.h"
#include "store/image.h"

namespace cairn::builder {

using nlohmann::json;

namespace {

std::string Hex(const void* data, size_t size) {
  static const char k[] = "0123456789abcdef";
  std::string out;
  auto p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; i++) {
    out += k[p[i] >> 4];
    out += k[p[i] & 15];
  }
  return out;
}

char TypeOf(archive_entry* e) {
  if (archive_entry_hardlink(e)) return '1';
  switch (archive_entry_filetype(e)) {
    case AE_IFDIR: return '5';
    case AE_IFLNK: return '2';
    case AE_IFCHR: return '3';
    case AE_IFBLK: return '4';
    case AE_IFIFO: return '6';
    default: return '0';
  }
}

std::string Octal(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

}  // namespace

// Whether any needle occurs in the data fed so far (needles may straddle blocks).
class NeedleScan {
 public:
  explicit NeedleScan(const std::vector<std::string>& needles) : needles_(needles) {
    for (auto& n : needles_) keep_ = std::max(keep_, n.size());
  }
  void Feed(const void* data, size_t len) {
    if (found_ || needles_.empty()) return;
    window_.append(static_cast<const char*>(data), len);
    for (auto& n : needles_)
      if (!n.empty() && window_.find(n) != std::string::npos) found_ = true;
    if (window_.size() > keep_) window_.erase(0, window_.size() - keep_);
  }
  bool found() const { return found_; }

 private:
  const std::vector<std::string>& needles_;
  std::string window_;
  size_t keep_ = 0;
  bool found_ = false;
};

std::vector<TarEntry> ReadLayerEntries(const std::string& blob_path, const std::vector<std::string>& needles) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), blob_path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw Error("open layer " + blob_path + ": " + archive_error_string(a.get()));
  std::vector<TarEntry> entries;
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.type = TypeOf(e);
    t.mode = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.size = archive_entry_size(e);
    t.mtime = archive_entry_mtime(e);
    if (archive_entry_hardlink(e)) t.link = archive_entry_hardlink(e);
    if (archive_entry_symlink(e)) t.link = archive_entry_symlink(e);
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) t.xattrs[name] = Hex(value, size);
    if (t.type == '0') {
      Sha256 h;
      NeedleScan scan(needles);
      const void* buf;
      size_t len;
      la_int64_t off;
      while (archive_read_data_block(a.get(), &buf, &len, &off) == ARCHIVE_OK) {
        h.Update(buf, len);
        scan.Feed(buf, len);
      }
      t.content_digest = h.Finish();
      t.mentions_needle = scan.found();
    }
    entries.push_back(std::move(t));
  }
  if (r != ARCHIVE_EOF) throw Error("read layer " + blob_path + ": " + archive_error_string(a.get()));
  return entries;
}

namespace {

class Differ {
 public:
  DiffReport report;
  int layer = 0;     // the layer being compared (1-based), for file differences
  std::string step;  // its step

  void Add(std::string where, std::string what, std::string a = "", std::string b = "") {
    Difference d;
    d.where = std::move(where);
    d.what = std::move(what);
    d.a = std::move(a);
    d.b = std::move(b);
    report.differences.push_back(std::move(d));
  }

  void AddFile(const std::string& where, const std::string& path, bool needle, std::string what, std::string a = "",
               std::string b = "") {
    Add(where + ": " + path, std::move(what), std::move(a), std::move(b));
    Difference& d = report.differences.back();
    d.layer = layer;
    d.step = step;
    d.path = path;
    d.mentions_needle = needle;
  }

  // Walks two JSON values and reports every leaf that differs, by path.
  void Json(const std::string& where, const json& a, const json& b) {
    if (a == b) return;
    if (a.is_object() && b.is_object()) {
      for (auto& [k, v] : a.items()) {
        if (!b.contains(k))
          Add(where + "." + k, "only in A", v.dump());
        else
          Json(where + "." + k, v, b[k]);
      }
      for (auto& [k, v] : b.items())
        if (!a.contains(k)) Add(where + "." + k, "only in B", "", v.dump());
      return;
    }
    if (a.is_array() && b.is_array() && a.size() == b.size()) {
      for (size_t i = 0; i < a.size(); i++) Json(where + "[" + std::to_string(i) + "]", a[i], b[i]);
      return;
    }
    Add(where, "differs", a.dump(), b.dump());
  }

  void Entry(const std::string& where, const TarEntry& a, const TarEntry& b) {
    bool n = a.mentions_needle || b.mentions_needle;
    auto add = [&](std::string what, std::string va, std::string vb) { AddFile(where, a.path, n, what, va, vb); };
    if (a.type != b.type) add("type", std::string(1, a.type), std::string(1, b.type));
    if (a.mode != b.mode) add("mode", Octal(a.mode), Octal(b.mode));
    if (a.uid != b.uid || a.gid != b.gid)
      add("owner", std::to_string(a.uid) + ":" + std::to_string(a.gid), std::to_string(b.uid) + ":" + std::to_string(b.gid));
    if (a.mtime != b.mtime) add("mtime", std::to_string(a.mtime), std::to_string(b.mtime));
    if (a.link != b.link) add("link target", a.link, b.link);
    if (a.content_digest != b.content_digest || a.size != b.size) add("content", a.content_digest, b.content_digest);
    if (a.xattrs != b.xattrs) add("xattrs", json(a.xattrs).dump(), json(b.xattrs).dump());
  }

  void Layer(const std::string& where, const std::vector<TarEntry>& a, const std::vector<TarEntry>& b) {
    std::map<std::string, const TarEntry*> in_b;
    for (auto& e : b) in_b[e.path] = &e;
    std::map<std::string, const TarEntry*> in_a;
    for (auto& e : a) in_a[e.path] = &e;
    for (auto& e : a) {
      auto it = in_b.find(e.path);
      if (it == in_b.end())
        AddFile(where, e.path, e.mentions_needle, "only in A");
      else
        Entry(where, e, *it->second);
    }
    for (auto& e : b)
      if (!in_a.count(e.path)) AddFile(where, e.path, e.mentions_needle, "only in B");
    if (report.differences.empty()) {
      std::vector<std::string> order_a, order_b;
      for (auto& e : a) order_a.push_back(e.path);
      for (auto& e : b) order_b.push_back(e.path);
      if (order_a != order_b) Add(where, "same entries in a different order");
    }
  }
};

// The created_by of the history entry that made layer i (history entries with layers, in order).
std::string StepOfLayer(const json& config, size_t layer) {
  size_t n = 0;
  for (auto& h : config.value("history", json::array())) {
    if (h.value("empty_layer", false)) continue;
    if (n++ == layer) return h.value("created_by", "");
  }
  return "";
}

}  // namespace

DiffReport DiffBuilds(const store::Store& a, const std::string& digest_a, const store::Store& b,
                      const std::string& digest_b, const std::vector<std::string>& needles) {
  if (digest_a == digest_b) return {};
  DiffReport report = DiffImages(a, digest_a, b, digest_b, needles);
  if (report.identical()) {
    Difference d;
    d.where = "manifest";
    d.what = "digests differ";
    d.a = digest_a;
    d.b = digest_b;
    report.differences.push_back(d);
  }
  return report;
}

DiffReport DiffImages(const store::Store& sa, const std::string& ref_a, const store::Store& sb, const std::string& ref_b,
                      const std::vector<std::string>& needles) {
  store::Image a = store::LoadImage(sa, ref_a);
  store::Image b = store::LoadImage(sb, ref_b);
  Differ d;
  if (a.manifest_descriptor.digest == b.manifest_descriptor.digest) return d.report;
  json ma = a.manifest, mb = b.manifest;
  ma.erase("layers");
  mb.erase("layers");
  ma.erase("config");
  mb.erase("config");
  size_t layers = std::max(a.layers.size(), b.layers.size());
  for (size_t i = 0; i < layers; i++) {
    std::string where = "layer " + std::to_string(i + 1);
    std::string step = StepOfLayer(i < a.layers.size() ? a.config : b.config, i);
    if (!step.empty()) where += " (" + step + ")";
    if (i >= a.layers.size() || i >= b.layers.size()) {
      d.Add(where, i >= a.layers.size() ? "only in B" : "only in A");
      continue;
    }
    if (a.layers[i].digest == b.layers[i].digest) continue;
    if (a.diff_ids.size() > i && b.diff_ids.size() > i && a.diff_ids[i] == b.diff_ids[i]) {
      d.Add(where, "same content, compressed differently", a.layers[i].digest, b.layers[i].digest);
      continue;
    }
    d.layer = static_cast<int>(i + 1);
    d.step = step;
    d.Layer(where, ReadLayerEntries(sa.BlobPath(a.layers[i].digest), needles),
            ReadLayerEntries(sb.BlobPath(b.layers[i].digest), needles));
  }
  // Layers first: a changed file explains a changed diff_id, not the other way round.
  d.Json("manifest", ma, mb);
  d.Json("config", a.config, b.config);
  if (d.report.differences.empty())
    d.Add("manifest", "digests differ", a.manifest_descriptor.digest, b.manifest_descriptor.digest);
  return d.report;
}

std::vector<FileDifference> DifferingFiles(const DiffReport& report) {
  std::vector<FileDifference> out;
  std::map<std::pair<int, std::string>, size_t> at;  // (layer, path) -> index in out
  std::map<size_t, bool> needle;
  for (auto& d : report.differences) {
    if (d.layer == 0) continue;
    auto [it, fresh] = at.emplace(std::make_pair(d.layer, d.path), out.size());
    std::string path = d.path;
    while (path.rfind("./", 0) == 0 || path.rfind("/", 0) == 0) path.erase(0, path[0] == '.' ? 2 : 1);
    if (fresh) out.push_back({"/" + path, d.layer, d.step, {}, std::nullopt});
    FileDifference& f = out[it->second];
    std::string what = d.what;
    if (d.what == "mode" || d.what == "mtime" || d.what == "owner") what += " " + d.a + " -> " + d.b;
    f.what.push_back(what);
    needle[it->second] = needle[it->second] || d.mentions_needle;
  }
  for (size_t i = 0; i < out.size(); i++) out[i].cause = KnownCauseOf(out[i].path, needle[i]);
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return std::tie(x.layer, x.path) < std::tie(y.layer, y.path); });
  return out;
}

json DiffReport::ToJson() const {
  json out = json::array();
  for (auto& d : differences) out.push_back({{"where", d.where}, {"what", d.what}, {"a", d.a}, {"b", d.b}});
  return {{"identical", identical()}, {"differences", out}};
}

std::string DiffReport::ToText() const {
  if (identical()) return "identical\n";
  std::string s;
  for (auto& d : differences) {
    s += d.where + ": " + d.what;
    if (!d.a.empty() || !d.b.empty()) s += "\n  A: " + d.a + "\n  B: " + d.b;
    s += "\n";
  }
  return s;
}

}  // namespace cairn::builder

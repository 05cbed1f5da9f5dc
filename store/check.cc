#include "store/check.h"

#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "store/gc.h"
#include "store/layer.h"
#include "store/tree_sum.h"

namespace cairn::store {

namespace {

// One pass. `fix` deletes what is broken as it is found and records it in report.repaired.
void Pass(Store& store, bool fix, CheckReport& report) {
  auto problem = [&](const std::string& p) { (fix ? report.repaired : report.problems).push_back(p); };
  const std::string& root = store.root();
  for (const char* f : {"oci-layout", "index.json"})
    if (!PathExists(JoinPath(root, f))) problem(JoinPath(root, f) + ": missing");

  // Blobs: each one's content against its name.
  for (const Store::BlobFile& blob : store.ListBlobFiles()) {
    std::string why;
    if (!IsValidDigest(blob.digest)) {
      why = "not a sha256 blob name";
    } else {
      std::string got = DigestOfFile(blob.path);
      if (got != blob.digest) why = "content hashes to " + got;
    }
    if (why.empty()) continue;
    problem(blob.path + ": " + why);
    if (fix) RemoveAll(blob.path);
  }

  // References, tag by tag, and the layer blobs against the config's diffIDs.
  std::vector<std::pair<std::string, Descriptor>> tags;
  try {
    tags = store.ListTags();
  } catch (const std::exception& e) {
    problem(e.what());
  }
  std::map<std::string, std::string> diff_ok;  // layer blob digest -> its verified diffID
  auto diff_id_of = [&](const std::string& blob) -> std::string {
    auto it = diff_ok.find(blob);
    if (it != diff_ok.end()) return it->second;
    std::string d;
    try {
      d = BlobDiffId(store.BlobPath(blob));
    } catch (const std::exception& e) {
      d = std::string("unreadable: ") + e.what();
    }
    return diff_ok[blob] = d;
  };
  LiveSet all;
  for (auto& [name, desc] : tags) {
    LiveSet one;
    WalkImage(store, desc.digest, "tag " + name, one);
    for (auto& [id, blob] : one.layer_of_diff_id)
      if (store.HasBlob(blob) && diff_id_of(blob) != id)
        one.problems.push_back("tag " + name + ": layer " + store.BlobPath(blob) + " uncompresses to " + diff_id_of(blob) +
                               ", its config says " + id);
    for (auto& p : one.problems) problem(p);
    if (!one.problems.empty() && fix) {
      store.RemoveTag(name);
      report.repaired.push_back("tag " + name + ": removed");
      continue;
    }
    all.diff_ids.insert(one.diff_ids.begin(), one.diff_ids.end());
    all.layer_of_diff_id.insert(one.layer_of_diff_id.begin(), one.layer_of_diff_id.end());
  }

  // Cache records: readable, layer present, layer's diffID as recorded.
  for (auto& rec : ListCacheRecords(store)) {
    std::string why;
    if (!rec.readable) why = "not a cache record";
    else if (rec.layer && !store.HasBlob(rec.layer->digest)) why = "its layer " + rec.layer->digest + " is missing";
    else if (rec.layer && diff_id_of(rec.layer->digest) != rec.diff_id)
      why = "its layer uncompresses to " + diff_id_of(rec.layer->digest) + ", the record says " + rec.diff_id;
    if (why.empty()) {
      if (rec.layer) all.layer_of_diff_id.emplace(rec.diff_id, rec.layer->digest);
      continue;
    }
    problem(rec.path + ": " + why);
    if (fix) RemoveAll(rec.path);
  }

  // Unpacked layers against their recorded tree digest (or a fresh extraction of their blob).
  std::string layers = JoinPath(root, "layers");
  for (auto& name : ListDir(layers)) {
    std::string path = JoinPath(layers, name);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sum") == 0) {
      continue;  // a record whose tree was never renamed in (a crash) is harmless; prune drops it
    }
    std::string why;
    try {
      if (!IsValidDigest("sha256:" + name) || !IsDirectory(path)) throw Error("not an unpacked layer");
      std::string want;
      if (PathExists(TreeSumPath(path))) {
        want = ReadFile(TreeSumPath(path));
      } else {
        auto it = all.layer_of_diff_id.find("sha256:" + name);
        if (it == all.layer_of_diff_id.end() || !store.HasBlob(it->second))
          throw Error("no recorded tree digest and no layer blob to verify it against");
        std::string scratch = store.NewScratchDir("check-");
        ScopeExit remove_scratch([&] { RemoveAll(scratch); });
        std::string tree = JoinPath(scratch, "t");
        MakeDirs(tree);
        ExtractLayer(store.BlobPath(it->second), tree);
        ::chmod(tree.c_str(), 0755);
        want = TreeDigest(tree);
      }
      std::string got = TreeDigest(path);
      if (got != want) why = "the tree differs from what its layer unpacked to (" + got + " != " + want + ")";
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (why.empty()) continue;
    problem(path + ": " + why);
    if (fix) {
      RemoveAll(path);
      RemoveAll(TreeSumPath(path));
    }
  }

  // l/ links: each must resolve to an unpacked layer.
  std::string links = JoinPath(root, "l");
  for (auto& name : ListDir(links)) {
    std::string path = JoinPath(links, name);
    if (IsDirectory(path)) continue;
    problem(path + ": dangling link");
    if (fix) ::unlink(path.c_str());
  }
}

}  // namespace

CheckReport CheckStore(Store& store, bool repair) {
  CheckReport report;
  if (!repair) {
    Pass(store, false, report);
    return report;
  }
  Store::ExclusiveLock lock = store.LockExclusive();
  Pass(store, true, report);
  // A repair can break more (a removed blob breaks the tags that use it): go again until quiet.
  for (int i = 0; i < 3 && !report.repaired.empty(); i++) {
    size_t before = report.repaired.size();
    Pass(store, true, report);
    if (report.repaired.size() == before) break;
  }
  Pass(store, false, report);
  return report;
}

}  // namespace cairn::store

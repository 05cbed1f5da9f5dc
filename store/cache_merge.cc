#include "store/cache_merge.h"

#include <algorithm>
#include <map>
#include <set>

namespace cairn::store {

namespace {

std::string LayerDigest(const CacheEntry& e) { return e.layer ? e.layer->descriptor.digest : ""; }

}  // namespace

std::vector<MergedRecord> MergeCaches(const std::vector<PublishedCache>& published) {
  std::map<std::string, MergedRecord> by_key;
  for (auto& p : published) {
    for (auto& e : p.entries) {
      auto [it, fresh] = by_key.emplace(e.key, MergedRecord{e, p.exported_at});
      if (fresh) continue;
      MergedRecord& m = it->second;
      bool newer = p.exported_at > m.last_used ||
                   (p.exported_at == m.last_used && LayerDigest(e) < LayerDigest(m.entry));
      if (newer) m.entry = e;
      m.last_used = std::max(m.last_used, p.exported_at);
    }
  }
  std::vector<MergedRecord> out;
  for (auto& [key, m] : by_key) out.push_back(m);
  return out;
}

std::vector<MergedRecord> KeepMostRecent(std::vector<MergedRecord> all, const CacheBound& bound) {
  std::sort(all.begin(), all.end(), [](const MergedRecord& a, const MergedRecord& b) {
    return a.last_used != b.last_used ? a.last_used > b.last_used : a.entry.key < b.entry.key;
  });
  std::set<std::string> layers;
  int64_t bytes = 0;
  size_t fit = 0;
  for (; fit < all.size() && (!bound.records || fit < *bound.records); fit++) {
    const auto& layer = all[fit].entry.layer;
    if (!layer || layers.count(layer->descriptor.digest)) continue;
    if (bound.bytes && bytes + layer->descriptor.size > *bound.bytes) break;
    layers.insert(layer->descriptor.digest);
    bytes += layer->descriptor.size;
  }
  all.resize(fit);
  std::sort(all.begin(), all.end(),
            [](const MergedRecord& a, const MergedRecord& b) { return a.entry.key < b.entry.key; });
  return all;
}

BoundPlan PlanBound(const std::vector<PublishedCache>& published, const CacheBound& bound) {
  BoundPlan plan;
  plan.kept = KeepMostRecent(MergeCaches(published), bound);

  std::set<std::string> kept_keys;
  for (auto& m : plan.kept) kept_keys.insert(m.entry.key);
  std::set<std::string> covered;  // kept keys that a surviving manifest still holds
  for (auto& p : published) {
    bool all_kept = std::all_of(p.entries.begin(), p.entries.end(),
                                [&](const CacheEntry& e) { return kept_keys.count(e.key) > 0; });
    if (!all_kept && !p.summary) {
      plan.drop.push_back(p.digest);
      continue;
    }
    if (p.summary) continue;  // rewritten by the export anyway; it proves no time of use
    for (auto& e : p.entries) covered.insert(e.key);
  }
  std::map<int64_t, std::vector<MergedRecord>> groups;
  for (auto& m : plan.kept)
    if (!covered.count(m.entry.key)) groups[m.last_used].push_back(m);
  for (auto& [time, group] : groups) plan.republish.push_back(group);
  std::sort(plan.drop.begin(), plan.drop.end());
  plan.drop.erase(std::unique(plan.drop.begin(), plan.drop.end()), plan.drop.end());
  return plan;
}

}  // namespace cairn::store

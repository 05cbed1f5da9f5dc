// Verbs that list: images, history.
#include <cstdio>
#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/error.h"
#include "builder/attestation.h"
#include "base/platform.h"
#include "cli/verbs.h"
#include "store/image.h"

namespace cairn::cli {

std::string HumanSize(int64_t bytes) {
  // docker uses decimal units with 3 significant digits ("4.26MB").
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", v, units[u]);
  return buf;
}

std::string HumanAge(const std::string& rfc3339) {
  std::tm tm{};
  if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "N/A";
  double secs = std::difftime(std::time(nullptr), timegm(&tm));
  struct {
    double size;
    const char* name;
  } steps[] = {{365.25 * 86400, "year"}, {30 * 86400, "month"}, {7 * 86400, "week"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}};
  for (auto& s : steps)
    if (secs >= 2 * s.size) return std::to_string(static_cast<long>(secs / s.size)) + " " + s.name + "s ago";
  return "Less than a minute ago";
}

static std::string Column(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + "   ";
}

void AddImages(CLI::App& app, Globals& g) {
  CLI::App* cmd = app.add_subcommand("images", "list tagged images");
  cmd->callback([&g] {
    std::printf("%s%s%s%s%s\n", Column("REPOSITORY", 20).c_str(), Column("TAG", 10).c_str(),
                Column("IMAGE ID", 12).c_str(), Column("CREATED", 18).c_str(), "SIZE");
    std::set<std::string> seen_layers;
    int64_t total = 0;
    for (auto& [name, desc] : g.Store().ListTags()) {
      // A multi-platform image: its ID is the index digest, its size all its platforms' layers
      // in the store, and its platforms follow the size ("linux/amd64,linux/arm64").
      nlohmann::json index;
      std::vector<store::Image> images;
      std::string platforms;
      if (store::ResolveIndex(g.Store(), desc.digest, &index)) {
        for (auto& m : index.value("manifests", nlohmann::json::array())) {
          if (builder::IsAttestationEntry(m)) continue;  // no platform of the image's (--attest)
          Platform platform = store::EntryPlatform(m);
          bool here = g.Store().HasBlob(m.value("digest", ""));
          platforms += (platforms.empty() ? "" : ",") + ToString(platform) + (here ? "" : " (not pulled)");
          if (here) images.push_back(store::LoadImage(g.Store(), m.value("digest", "")));
        }
      } else {
        images.push_back(store::LoadImage(g.Store(), desc.digest));
      }
      int64_t size = 0;
      for (auto& image : images)
        for (auto& l : image.layers) {
          size += l.size;
          if (seen_layers.insert(l.digest).second) total += l.size;
        }
      std::string id = platforms.empty() ? images[0].config_descriptor.digest : desc.digest;
      std::string created = images.empty() ? "" : images[0].config.value("created", "");
      auto colon = name.rfind(':');
      std::printf("%s%s%s%s%s%s\n", Column(name.substr(0, colon), 20).c_str(), Column(name.substr(colon + 1), 10).c_str(),
                  Column(ShortId(id), 12).c_str(), Column(HumanAge(created), 18).c_str(), HumanSize(size).c_str(),
                  platforms.empty() ? "" : ("   " + platforms).c_str());
    }
    std::printf("total: %s (shared layers counted once; compressed sizes)\n", HumanSize(total).c_str());
  });
}

void AddHistory(CLI::App& app, Globals& g) {
  auto name = std::make_shared<std::string>();
  auto no_trunc = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("history", "show the history of an image");
  cmd->add_option("name", *name, "image")->required();
  cmd->add_flag("--no-trunc", *no_trunc, "do not truncate output");
  cmd->callback([&g, name, no_trunc] {
    store::Image image = store::LoadImage(g.Store(), *name);
    std::printf("%s%s%s%s%s\n", Column("IMAGE", 12).c_str(), Column("CREATED", 18).c_str(),
                Column("CREATED BY", 45).c_str(), Column("SIZE", 8).c_str(), "COMMENT");
    auto history = image.config.value("history", nlohmann::json::array());
    size_t layer = image.layers.size();
    // Newest first, as docker prints it. Only the top entry is named by the image ID.
    for (size_t i = history.size(); i-- > 0;) {
      const auto& h = history[i];
      bool empty = h.value("empty_layer", false);
      int64_t size = 0;
      if (!empty && layer > 0) size = image.layers[--layer].size;
      std::string id = i + 1 == history.size() ? ShortId(image.config_descriptor.digest) : "<missing>";
      std::string by = h.value("created_by", "");
      if (!*no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
      std::printf("%s%s%s%s%s\n", Column(id, 12).c_str(), Column(HumanAge(h.value("created", "")), 18).c_str(),
                  Column(by, 45).c_str(), Column(HumanSize(size), 8).c_str(), h.value("comment", "").c_str());
    }
  });
}

}  // namespace cairn::cli

// Verbs that load into, clean and verify the store: rmi, load, prune, check.
#include <cstdio>
#include <optional>

#include "base/error.h"
#include "cli/transfer_meter.h"
#include "cli/verbs.h"
#include "store/check.h"
#include "store/gc.h"
#include "store/load.h"

namespace cairn::cli {

int64_t ParseSize(const std::string& s) {
  // docker's forms: "512", "10k", "1.5MB", "2GiB"; decimal units like HumanSize, binary with "i".
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (const std::exception&) {
    throw Error("invalid size \"" + s + "\" (use e.g. 512MB or 2GB)");
  }
  std::string unit = s.substr(pos);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  double mult = 1;
  bool binary = !unit.empty() && unit.back() == 'i';
  if (binary) unit.pop_back();
  double base = binary ? 1024 : 1000;
  if (unit == "") mult = 1;
  else if (unit == "k") mult = base;
  else if (unit == "m") mult = base * base;
  else if (unit == "g") mult = base * base * base;
  else if (unit == "t") mult = base * base * base * base;
  else throw Error("invalid size \"" + s + "\" (use e.g. 512MB or 2GB)");
  if (v < 0) throw Error("invalid size \"" + s + "\": negative");
  return static_cast<int64_t>(v * mult);
}

void AddRmi(CLI::App& app, Globals& g) {
  struct Flags {
    bool force = false;
    std::vector<std::string> names;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("rmi", "untag images and delete their data when nothing else uses it");
  cmd->add_flag("-f,--force", f->force, "untag even when other tags name the same image");
  cmd->add_option("names", f->names, "images (name[:tag] or manifest digest)")->required();
  cmd->callback([&g, f] {
    for (auto& line : store::RemoveImages(g.Store(), f->names, f->force)) std::printf("%s\n", line.c_str());
  });
}

void AddLoad(CLI::App& app, Globals& g) {
  auto input = std::make_shared<std::string>("-");
  CLI::App* cmd = app.add_subcommand("load", "load images from a docker-archive or oci-archive tar (default stdin)");
  cmd->add_option("-i,--input", *input, "the archive ('-' = stdin)");
  cmd->callback([&g, input] {
    std::vector<std::string> lines;
    {
      auto meter = StderrTransferMeter();  // bytes, total and rate on stderr while blobs go in
      lines = store::LoadArchive(g.Store(), *input);
    }
    for (auto& line : lines) std::printf("%s\n", line.c_str());
  });
}

void AddPrune(CLI::App& app, Globals& g) {
  auto keep = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("prune", "delete unreferenced blobs, unpacked layers and (with --keep-storage) old cache");
  cmd->add_option("--keep-storage", *keep, "keep the newest step cache within this size (e.g. 1GB); older records go");
  cmd->callback([&g, keep] {
    std::optional<int64_t> budget;
    if (!keep->empty()) budget = ParseSize(*keep);
    store::PruneReport r = store::Prune(g.Store(), budget);
    std::printf("Deleted %d blobs, %d unpacked layers, %d links, %d cache records\n", r.blobs, r.layers, r.links,
                r.cache_records);
    std::printf("Total reclaimed space: %s\n", HumanSize(r.bytes).c_str());
  });
}

void AddCheck(CLI::App& app, Globals& g) {
  auto repair = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("check", "verify every blob, reference, cache record and unpacked layer");
  cmd->add_flag("--repair", *repair, "delete what is broken (tags that reach it included)");
  cmd->callback([&g, repair] {
    store::CheckReport r = store::CheckStore(g.Store(), *repair);
    for (auto& line : r.repaired) std::printf("repaired: %s\n", line.c_str());
    for (auto& line : r.problems) std::printf("%s\n", line.c_str());
    if (!r.problems.empty()) {
      std::fprintf(stderr, "cairn: store %s has %zu problem(s)%s\n", g.Store().root().c_str(), r.problems.size(),
                   *repair ? "" : " (cairn check --repair drops what is broken)");
      g.exit_code = 1;
      return;
    }
    std::printf("store %s is sound\n", g.Store().root().c_str());
  });
}

}  // namespace cairn::cli

// The verbs of the `cairn` command: one file each, registered from the table in main.cc.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "base/platform.h"
#include "store/store.h"

namespace cairn::cli {

// Options every verb sees.
struct Globals {
  std::string root;  // --root, else $CAIRN_ROOT, else the default for this user
  int exit_code = 0;  // what `cairn` exits with when the verb returns normally
  // Opens the store once, on first use.
  store::Store& Store();

 private:
  std::unique_ptr<store::Store> store_;
};

using AddVerb = void (*)(CLI::App& app, Globals& globals);

// A size as docker writes one: "512", "10k", "1.5MB" (decimal units), "2GiB" (binary with "i").
// Throws Error naming the text. (--keep-storage, --cache-to max-size=)
int64_t ParseSize(const std::string& s);

void AddBuild(CLI::App& app, Globals& g);
void AddImport(CLI::App& app, Globals& g);
void AddSave(CLI::App& app, Globals& g);
void AddImages(CLI::App& app, Globals& g);
void AddHistory(CLI::App& app, Globals& g);
void AddInspect(CLI::App& app, Globals& g);
void AddTag(CLI::App& app, Globals& g);
void AddRun(CLI::App& app, Globals& g);
void AddDiff(CLI::App& app, Globals& g);
void AddVerify(CLI::App& app, Globals& g);
void AddRmi(CLI::App& app, Globals& g);
void AddLoad(CLI::App& app, Globals& g);
void AddPrune(CLI::App& app, Globals& g);
void AddCheck(CLI::App& app, Globals& g);
void AddPull(CLI::App& app, Globals& g);
void AddPush(CLI::App& app, Globals& g);
void AddLogin(CLI::App& app, Globals& g);
void AddLogout(CLI::App& app, Globals& g);
void AddManifest(CLI::App& app, Globals& g);
// Registry transfers shared by pull/push and build (cli/registry_verbs.cc). PullImage leaves the
// image tagged under NormalizeName(name) too; PushImage sends the local image `name` to the
// registry `name` points at. Both return the manifest descriptor.
// From an index, only `platform`'s image (the host's by default).
store::Descriptor PullImage(store::Store& store, const std::string& name, const Platform& platform = HostPlatform());
store::Descriptor PushImage(store::Store& store, const std::string& name);
// Pushes the local image `manifest_digest` to the repository `name` points at by digest only (no
// tag: buildx's push-by-digest). Returns the manifest descriptor.
store::Descriptor PushImageByDigest(store::Store& store, const std::string& name, const std::string& manifest_digest);

// Human forms shared by the listing verbs.
std::string HumanSize(int64_t bytes);           // "4.2MB", as docker prints sizes
std::string HumanAge(const std::string& rfc3339);  // "56 years ago"

}  // namespace cairn::cli

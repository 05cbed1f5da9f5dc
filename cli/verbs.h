// The verbs of the `cairn` command: one file each, registered from the table in main.cc.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

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

// Human forms shared by the listing verbs.
std::string HumanSize(int64_t bytes);           // "4.2MB", as docker prints sizes
std::string HumanAge(const std::string& rfc3339);  // "56 years ago"

}  // namespace cairn::cli

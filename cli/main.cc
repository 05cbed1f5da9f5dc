// cairn [--root DIR] VERB ...: the entry point. Catches cairn::Error (the only place that does),
// prints "cairn: <message>" and exits 1.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <unistd.h>

#include "base/error.h"
#include "cli/verbs.h"
#include "runtime/isolation.h"
#include "runtime/userns.h"

namespace cairn::cli {

static const struct {
  AddVerb add;
} kVerbs[] = {
    {AddBuild}, {AddImport}, {AddSave}, {AddImages}, {AddHistory}, {AddInspect},
    {AddTag},   {AddRun},    {AddDiff}, {AddVerify},
    {AddRmi},   {AddLoad},   {AddPrune}, {AddCheck},
    {AddPull},  {AddPush},   {AddLogin}, {AddLogout}, {AddManifest},
};

static std::string DefaultRoot() {
  if (const char* env = std::getenv("CAIRN_ROOT"); env && *env) return env;
  // Rootless cairn runs as uid 0 of its user namespace, yet its store is the user's own.
  if (::geteuid() == 0 && !std::getenv(runtime::kRootlessEnv)) return "/var/lib/cairn";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/cairn";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/share/cairn";
}

store::Store& Globals::Store() {
  // Absolute: builder children change directory before they use store paths.
  if (!store_) store_ = std::make_unique<store::Store>(std::filesystem::absolute(root).lexically_normal().string());
  return *store_;
}

static int Main(int argc, char** argv) {
  CLI::App app{"cairn: reproducible container image builds from Dockerfiles", "cairn"};
  app.require_subcommand(1);
  Globals globals;
  globals.root = DefaultRoot();
  app.add_option("--root", globals.root, "store directory (default $CAIRN_ROOT or /var/lib/cairn)");
  for (auto& v : kVerbs) v.add(app, globals);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return globals.exit_code;
}

}  // namespace cairn::cli

int main(int argc, char** argv) {
  try {
    // Before anything touches the store: a non-root user continues inside a user namespace, and
    // root without CAP_SYS_ADMIN inside one of its own (runtime/isolation.h), for every verb, so
    // that layers are unpacked where builds read them (overlay's markers differ inside a user
    // namespace: base/overlay_marks.h). (--help needs neither: it works for a user without
    // subordinate ids.)
    bool help = false;
    for (int i = 1; i < argc; ++i) help = help || std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h";
    if (auto code = help ? std::nullopt : cairn::runtime::EnterIsolation()) return *code;
    return cairn::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn: %s\n", e.what());
    return 1;
  }
}

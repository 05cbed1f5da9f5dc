// Verbs that prove reproducibility: diff (compare two images) and verify (build twice, compare).
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"
#include "builder/copy.h"
#include "builder/epoch.h"
#include "builder/image_diff.h"
#include "cli/verbs.h"
#include "store/image.h"
#include "store/layer.h"
#include "store/oci_dir.h"

namespace cairn::cli {

namespace {

// An image named on the command line: a store reference, or a saved archive (`cairn save`,
// `docker save`), which is an OCI layout inside a tar and so opens as a store once unpacked.
struct ImageSource {
  std::unique_ptr<store::Store> own_store;  // set for archives
  store::Store* store = nullptr;
  std::string ref;
  std::string unpacked;  // directory to remove afterwards

  ~ImageSource() {
    own_store.reset();
    if (!unpacked.empty()) try {
        RemoveAll(unpacked);
      } catch (...) {
      }
  }
};

std::unique_ptr<ImageSource> OpenImage(Globals& g, const std::string& arg) {
  auto src = std::make_unique<ImageSource>();
  struct stat st;
  if (::stat(arg.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    src->unpacked = g.Store().NewScratchDir("diff-");
    store::ExtractLayer(arg, src->unpacked);
    src->own_store = std::make_unique<store::Store>(src->unpacked);
    auto tags = src->own_store->ListTags();
    if (tags.empty()) throw Error(arg + ": the archive names no image (no org.opencontainers.image.ref.name in index.json)");
    src->store = src->own_store.get();
    src->ref = tags[0].second.digest;
  } else {
    src->store = &g.Store();
    src->ref = arg;
  }
  return src;
}

}  // namespace

void AddDiff(CLI::App& app, Globals& g) {
  struct Flags {
    std::string a, b;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("diff", "compare two images (store references or saved archives)");
  cmd->add_option("a", f->a, "first image")->required();
  cmd->add_option("b", f->b, "second image")->required();
  cmd->add_flag("--json", f->json, "print the differences as JSON");
  cmd->callback([&g, f] {
    auto a = OpenImage(g, f->a);
    auto b = OpenImage(g, f->b);
    builder::DiffReport report = builder::DiffImages(*a->store, a->ref, *b->store, b->ref);
    if (f->json)
      std::printf("%s\n", report.ToJson().dump(2).c_str());
    else
      std::fputs(report.ToText().c_str(), stdout);
    g.exit_code = report.identical() ? 0 : 1;
  });
}

}  // namespace cairn::cli

namespace cairn::cli {

namespace {

// One of the two worlds a verify build runs in. Everything here must not change the image.
struct Condition {
  std::string name;
  std::string tz;
  mode_t umask;
  std::string hostname;
  bool one_cpu;
};

// A private store holding the user's images (blobs hard-linked, tags copied) but no cache, so
// FROM resolves exactly as in the user's store and every step really runs.
std::string PrivateStore(store::Store& from, const std::string& dir) {
  store::OciDir(dir).LinkImagesOf(from);
  return dir;
}

// Copies the context with fresh file times: a rebuild after `git checkout` must not differ.
// COPY's own copier does it: modes, owners, symlinks and hardlinks kept, data streamed.
std::string TouchedContextCopy(const std::string& context, const std::string& dir) {
  MakeDirs(dir);
  builder::CopyRequest copy;
  copy.src_root = context;
  copy.sources = {"."};
  copy.dst_root = dir;
  copy.dest = "/";
  copy.preserve_owner = true;
  copy.fixed_mtime = static_cast<int64_t>(std::time(nullptr));
  try {
    builder::ExecuteCopy(copy);
  } catch (const std::exception& e) {
    throw Wrap("verify: copy the build context " + context, e);
  }
  return dir;
}

// Runs `cairn --root ROOT build ...` under a condition; returns the manifest digest it wrote.
std::string BuildUnder(const Condition& c, const std::string& root, std::vector<std::string> args, const std::string& meta) {
  std::vector<std::string> argv = {"/proc/self/exe", "--root", root, "build", "--no-cache", "--metadata-file", meta};
  argv.insert(argv.end(), args.begin(), args.end());
  std::fprintf(stderr, "== verify: build %s (TZ=%s umask %03o hostname %s %s)\n", c.name.c_str(), c.tz.c_str(), c.umask,
               c.hostname.c_str(), c.one_cpu ? "1 CPU" : "all CPUs");
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw SysError("fork", "");
  if (pid == 0) {
    if (::unshare(CLONE_NEWUTS) == 0) (void)::sethostname(c.hostname.data(), c.hostname.size());
    ::umask(c.umask);
    ::setenv("TZ", c.tz.c_str(), 1);
    if (c.one_cpu) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(0, &set);
      ::sched_setaffinity(0, sizeof set, &set);
    }
    ::dup2(2, 1);  // the build's stdout (the image ID) is not verify's answer
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("verify: build " + c.name + " failed (its output is above)");
  return nlohmann::json::parse(ReadFile(meta)).at("containerimage.digest").get<std::string>();
}

}  // namespace

void AddVerify(CLI::App& app, Globals& g) {
  CLI::App* cmd = app.add_subcommand("verify", "build twice in fresh stores under different conditions and compare");
  cmd->allow_extras();
  cmd->prefix_command();  // [build flags] CONTEXT: passed to `cairn build` as they are
  cmd->callback([&g, cmd] {
    auto args = std::make_shared<std::vector<std::string>>(cmd->remaining());
    if (args->empty()) throw Error("verify: give the build context (cairn verify [build flags] CONTEXT)");
    std::string context = args->back();
    bool has_epoch = false;
    for (auto& a : *args) has_epoch |= a.rfind("--source-date-epoch", 0) == 0;
    std::vector<std::string> build_args(args->begin(), args->end() - 1);
    if (!has_epoch) {
      // Both builds must see the epoch of the original context (the touched copy is no git repo).
      auto epoch = builder::ResolveSourceDateEpoch(std::nullopt, std::getenv("SOURCE_DATE_EPOCH"), context);
      build_args.push_back("--source-date-epoch=" + std::to_string(epoch.seconds));
    }
    bool has_file = false;
    for (auto& a : build_args) has_file |= a == "-f" || a.rfind("--file", 0) == 0 || a.rfind("-f", 0) == 0;
    if (!has_file) build_args.insert(build_args.end(), {"-f", JoinPath(context, "Dockerfile")});

    std::string work = g.Store().NewScratchDir("verify-");
    try {
      Condition a{"A", "UTC", 022, "cairn-verify-a", false};
      Condition b{"B", "Pacific/Chatham", 077, "verify-b.example", true};
      std::string root_a = PrivateStore(g.Store(), JoinPath(work, "a"));
      std::string root_b = PrivateStore(g.Store(), JoinPath(work, "b"));
      std::string ctx_b = TouchedContextCopy(context, JoinPath(work, "context-b"));
      auto with_context = [&](const std::string& ctx) {
        auto v = build_args;
        v.push_back(ctx);
        return v;
      };
      std::string da = BuildUnder(a, root_a, with_context(context), JoinPath(work, "a.json"));
      std::string db = BuildUnder(b, root_b, with_context(ctx_b), JoinPath(work, "b.json"));
      if (da == db) {
        std::printf("%s\n", da.c_str());
        std::fprintf(stderr, "verified: both builds gave %s\n", da.c_str());
      } else {
        store::Store sa(root_a), sb(root_b);
        builder::DiffReport report = builder::DiffImages(sa, da, sb, db);
        std::fprintf(stderr, "NOT reproducible: %s vs %s\nfirst difference: %s", da.c_str(), db.c_str(),
                     builder::DiffReport{{report.differences.front()}}.ToText().c_str());
        g.exit_code = 1;
      }
    } catch (...) {
      RemoveAll(work);
      throw;
    }
    RemoveAll(work);
  });
}

}  // namespace cairn::cli

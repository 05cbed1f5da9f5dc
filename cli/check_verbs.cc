// Verbs that prove reproducibility: diff (compare two images) and verify (build twice, compare).
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <ctime>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "builder/copy.h"
#include "builder/git_modes.h"
#include "builder/image_diff.h"
#include "cli/verbs.h"
#include "cli/verify_image.h"
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
      } catch (const std::exception&) {  // a destructor must not throw; the store's tmp/ sweep removes it
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

// A private store holding the user's images (blobs hard-linked, tags copied) but no cache, so
// FROM resolves exactly as in the user's store and every step really runs.
std::string PrivateStore(store::Store& from, const std::string& dir) {
  store::OciDir(dir).LinkImagesOf(from);
  return dir;
}

// Copies source (a path below src_root; "." = all of it) to dest in dst_root with fresh file
// times: a rebuild after `git checkout` must not differ. COPY's own copier does it: modes,
// owners, symlinks and hardlinks kept, data streamed.
std::string TouchedCopy(const std::string& src_root, const std::string& source, const std::string& dst_root,
                        const std::string& dest = "/") {
  MakeDirs(dst_root);
  builder::CopyRequest copy;
  copy.src_root = src_root;
  copy.sources = {source};
  copy.dst_root = dst_root;
  copy.dest = dest;
  copy.preserve_owner = true;
  copy.fixed_mtime = static_cast<int64_t>(std::time(nullptr));
  try {
    builder::ExecuteCopy(copy);
  } catch (const std::exception& e) {
    throw Wrap("verify: copy " + JoinPath(src_root, source), e);
  }
  return dst_root;
}

}  // namespace

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


std::string VerifyText(const builder::DiffReport& report, const std::string& da, const std::string& db) {
  std::string s = "NOT reproducible: " + da + " vs " + db + "\n";
  auto files = builder::DifferingFiles(report);
  s += std::to_string(files.size()) + (files.size() == 1 ? " file differs" : " files differ") + (files.empty() ? "\n" : ":\n");
  for (auto& f : files) {
    std::string what;
    for (auto& w : f.what) what += (what.empty() ? "" : ", ") + w;
    s += "  " + f.path + "\n    made by: " + (f.step.empty() ? "(no history)" : f.step) + " (layer " +
         std::to_string(f.layer) + ")\n    differs: " + what + "\n";
    if (f.cause) s += "    cause:   " + f.cause->cause + "\n    remedy:  " + f.cause->remedy + "\n";
    else s += "    cause:   not a known one; compare the two files with `cairn diff`\n";
  }
  std::string other;
  for (auto& d : report.differences)
    if (d.layer == 0) other += "  " + d.where + ": " + d.what + "\n";
  if (!other.empty()) s += "other differences:\n" + other;
  return s;
}

nlohmann::json VerifyJson(const builder::DiffReport& report, const std::string& da, const std::string& db) {
  nlohmann::json files = nlohmann::json::array(), other = nlohmann::json::array();
  for (auto& f : builder::DifferingFiles(report)) {
    nlohmann::json j = {{"path", f.path}, {"layer", f.layer}, {"step", f.step}, {"differs", f.what}};
    j["cause"] = f.cause ? nlohmann::json(f.cause->cause) : nlohmann::json(nullptr);
    j["remedy"] = f.cause ? nlohmann::json(f.cause->remedy) : nlohmann::json(nullptr);
    files.push_back(j);
  }
  for (auto& d : report.differences)
    if (d.layer == 0) other.push_back({{"where", d.where}, {"what", d.what}, {"a", d.a}, {"b", d.b}});
  return {{"reproducible", report.identical()}, {"a", da}, {"b", db}, {"files", files}, {"other", other}};
}

namespace {

// The repository work tree holding context and the context's path below it, or nullopt when the
// context is no git work tree.
std::optional<std::pair<std::string, std::string>> GitWorkTree(const std::string& context) {
  builder::GitModes modes = builder::GitModes::ForContext(context);
  if (modes.empty()) return std::nullopt;
  std::string dir = std::filesystem::weakly_canonical(context).string();
  std::string rel;
  while (dir.size() > 1 && !PathExists(JoinPath(dir, ".git"))) {
    size_t slash = dir.rfind('/');
    rel = dir.substr(slash + 1) + (rel.empty() ? "" : "/" + rel);
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
  if (!PathExists(JoinPath(dir, ".git"))) return std::nullopt;
  return std::make_pair(dir, rel);
}

// Gives the tracked entries of the context the modes a checkout under umask 002 gives them
// (0664, 0775): git's rule (builder/git_modes.h) must make the image the same anyway.
void LooseCheckoutModes(const std::string& context) {
  builder::GitModes modes = builder::GitModes::ForContext(context);
  std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& path, const std::string& rel) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) throw SysError("stat", path);
    if (auto m = modes.ModeOf(rel, st.st_mode))
      if (::chmod(path.c_str(), *m | ((*m & 0040) >> 1)) != 0) throw SysError("chmod", path);
    if (!S_ISDIR(st.st_mode)) return;
    for (auto& name : ListDir(path))
      if (!(rel == "." && name == ".git")) walk(JoinPath(path, name), rel == "." ? name : rel + "/" + name);
  };
  walk(context, ".");
}

// Names a build could write into files: verify's two host names and this machine's.
std::vector<std::string> HostNames(const Condition& a, const Condition& b) {
  std::vector<std::string> names = {a.hostname, b.hostname};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && std::strlen(host) >= 4) names.push_back(host);
  return names;
}

}  // namespace

void AddVerify(CLI::App& app, Globals& g) {
  CLI::App* cmd = app.add_subcommand(
      "verify", "build twice in fresh stores under different conditions and compare; or, given an image with "
                "provenance (IMAGE-REF [--context DIR] [--platform P]), rebuild it from its recorded inputs (--secret, --ssh: for its RUN mounts)");
  cmd->allow_extras();
  cmd->prefix_command();  // [build flags] CONTEXT: passed to `cairn build` as they are
  cmd->callback([&g, cmd] {
    auto args = std::make_shared<std::vector<std::string>>(cmd->remaining());
    // --json is verify's own flag (the report as JSON); everything else is the build's.
    bool as_json = std::erase(*args, std::string("--json")) > 0;
    if (auto request = ImageVerifyRequest(*args)) {  // cairn verify IMAGE-REF [--context DIR]
      request->json = as_json;
      g.exit_code = VerifyImage(g.Store(), *request);
      return;
    }
    if (args->empty()) throw Error("verify: give the build context (cairn verify [--json] [build flags] CONTEXT)");
    std::string context = args->back();
    std::vector<std::string> build_args(args->begin(), args->end() - 1);
    bool has_file = false;
    for (auto& a : build_args) has_file |= a == "-f" || a.rfind("--file", 0) == 0 || a.rfind("-f", 0) == 0;
    if (!has_file) build_args.insert(build_args.end(), {"-f", JoinPath(context, "Dockerfile")});

    std::string work = g.Store().NewScratchDir("verify-");
    ScopeExit remove_work([&] { RemoveAll(work); });
    {
      Condition a{"A", "UTC", 022, "cairn-verify-a", false};
      Condition b{"B", "Pacific/Chatham", 077, "verify-b.example", true};
      std::string root_a = PrivateStore(g.Store(), JoinPath(work, "a"));
      std::string root_b = PrivateStore(g.Store(), JoinPath(work, "b"));
      // B builds from a copy with fresh file times. A git context is copied with its whole work
      // tree (so B sees the same HEAD: the same image epoch and git's modes) and its tracked
      // files get the modes of a checkout under umask 002.
      std::string ctx_b;
      if (auto tree = GitWorkTree(context)) {
        // The context and the repository's .git (HEAD and the index), at the same places; the
        // rest of the work tree is no input.
        std::string repo_b = JoinPath(work, "repo-b");
        TouchedCopy(tree->first, ".git", repo_b, "/.git");
        ctx_b = tree->second.empty() ? repo_b : JoinPath(repo_b, tree->second);
        TouchedCopy(context, ".", ctx_b);
        LooseCheckoutModes(ctx_b);
        std::fprintf(stderr, "== verify: git context: B builds from a copy checked out as under umask 002\n");
      } else {
        ctx_b = TouchedCopy(context, ".", JoinPath(work, "context-b"));
      }
      auto with_context = [&](const std::string& ctx) {
        auto v = build_args;
        v.push_back(ctx);
        return v;
      };
      std::string da = BuildUnder(a, root_a, with_context(context), JoinPath(work, "a.json"));
      std::string db = BuildUnder(b, root_b, with_context(ctx_b), JoinPath(work, "b.json"));
      store::Store sa(root_a), sb(root_b);
      builder::DiffReport report = builder::DiffBuilds(sa, da, sb, db, HostNames(a, b));
      if (as_json) {
        std::printf("%s\n", VerifyJson(report, da, db).dump(2).c_str());
      } else if (report.identical()) {
        std::printf("%s\n", da.c_str());
      } else {
        std::fputs(VerifyText(report, da, db).c_str(), stdout);
      }
      if (report.identical()) std::fprintf(stderr, "verified: both builds gave %s\n", da.c_str());
      g.exit_code = report.identical() ? 0 : 1;
    }
  });
}

}  // namespace cairn::cli

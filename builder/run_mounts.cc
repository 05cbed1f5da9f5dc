#include "builder/run_mounts.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/digest.h"
#include "base/csv_fields.h"
#include "base/error.h"
#include "base/scope_guard.h"
#include "builder/copy.h"
#include "builder/path_in_root.h"
#include "runtime/merged_tree.h"
#include "runtime/tree_copy.h"

namespace cairn::builder {

namespace {

std::string Opt(const plan::RunMount& m, const std::string& key, const std::string& fallback = "") {
  auto it = m.options.find(key);
  return it == m.options.end() ? fallback : it->second;
}

bool Flag(const plan::RunMount& m, const std::string& key) {
  std::string v = Opt(m, key);
  return v == "true" || v == "1";
}

std::string Describe(const plan::RunMount& m) {
  std::string s = "--mount=type=" + m.type;
  for (auto& [k, v] : plan::KeyedOptions(m)) s += "," + k + "=" + v;
  return s;
}

unsigned long ParseNumber(const plan::RunMount& m, const std::string& key, const std::string& text, int base) {
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, base);
  if (text.empty() || *end) throw Error(Describe(m) + ": " + key + "=" + text + " is not a valid number");
  return v;
}

// docker's "64m": bytes with an optional k/m/g suffix (powers of 1024).
uint64_t ParseSize(const plan::RunMount& m, std::string text) {
  uint64_t mult = 1;
  if (!text.empty()) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    if (c == 'b') text.pop_back(), c = text.empty() ? '0' : static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    if (c == 'k') mult = 1024ull;
    if (c == 'm') mult = 1024ull * 1024;
    if (c == 'g') mult = 1024ull * 1024 * 1024;
    if (mult != 1) text.pop_back();
  }
  return ParseNumber(m, "size", text, 10) * mult;
}

std::string Target(const plan::RunMount& m, const std::string& fallback = "") {
  std::string t = Opt(m, "target", fallback);
  if (t.empty()) throw Error(Describe(m) + ": a target is required");
  if (t[0] != '/') t = "/" + t;  // BuildKit takes a relative target from the root
  while (t.size() > 1 && t.back() == '/') t.pop_back();
  return t;
}

// A source path inside the context or a stage: relative, without "/" or "./" in front.
std::string Subpath(const std::string& source) {
  std::string s = source;
  while (!s.empty() && (s[0] == '/' || s.compare(0, 2, "./") == 0)) s.erase(0, s[0] == '/' ? 1 : 2);
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s == "." ? "" : s;
}

// Whether path exists in the stacked layers (an overlay whiteout hides it).
bool ExistsInLayers(const std::vector<std::string>& layers, const std::string& path) {
  for (const auto& layer : layers) {
    struct stat st;
    if (::lstat((layer + path).c_str(), &st) != 0) continue;
    return !(S_ISCHR(st.st_mode) && st.st_rdev == 0);
  }
  return false;
}

UniqueFd Lock(const std::string& path, int how) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw SysError("open cache lock", path);
  while (::flock(fd.get(), how) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return UniqueFd();
    throw SysError("flock", path);
  }
  return fd;
}

// A cache mount with from=: the directory source= of that stage or image (resolved inside its
// files, so links and ".." never leave it) is what a new cache starts with. Its files are copied
// into `dst` (which must not exist); the layers are only hard-linked in scratch to read them.
void SeedCache(const plan::RunMount& m, const std::vector<std::string>& layers, const std::string& sub,
               const std::string& scratch, const std::string& dst) {
  std::string view = JoinPath(MakeTempDir(scratch, "seed-"), "root");
  runtime::MaterialiseMerged(layers, view, runtime::FileCopies::kHardLink);
  std::string src = ResolveInRoot(view, "/" + sub);
  if (!IsDirectory(src))
    throw Error(Describe(m) + ": source " + (sub.empty() ? "/" : sub) + " is not a directory in " + plan::KeyText(*m.from));
  runtime::LinkMap links;
  runtime::CopyTree(src, dst, links);
  RemoveAll(view);
}

void PrepareCache(const plan::RunMount& m, const MountInputs& in, PreparedMounts& out) {
  if (!m.from && m.options.count("source"))
    throw Error(Describe(m) + ": source= needs from= (the stage or image whose directory seeds the cache)");
  std::string target = Target(m);
  std::string id = CacheMountId(m);
  std::string base = JoinPath(in.store_root, "cache-mounts");
  MakeDirs(base, 0700);
  // A seeded cache is another cache than the empty one of the same id, and than one seeded from
  // other files: its name covers the seed's layers (content-addressed directories) and path.
  std::vector<std::string> seed_layers;
  std::string seed_sub = Subpath(Opt(m, "source"));
  std::string identity = id;
  if (m.from) {
    seed_layers = in.layers_of(*m.from);
    identity += "\nseeded from " + seed_sub;
    for (auto& l : seed_layers) identity += "\n" + l;
  }
  // Without from=, this is CacheMountDir(store_root, id): what --cache-to cache-mounts=true reads.
  std::string name = DigestHex(DigestOf(identity));
  std::string dir = JoinPath(base, name);
  std::string sharing = Opt(m, "sharing", "shared");
  if (sharing == "shared") {
    out.locks.push_back(Lock(dir + ".lock", LOCK_SH));
  } else if (sharing == "locked") {
    out.locks.push_back(Lock(dir + ".lock", LOCK_EX));
  } else if (sharing == "private") {
    UniqueFd lock = Lock(dir + ".lock", LOCK_EX | LOCK_NB);
    // Busy: this step gets a directory of its own, thrown away with the step's scratch dir.
    if (!lock) dir = MakeTempDir(in.scratch, "cache-");
    else out.locks.push_back(std::move(lock));
  } else {
    throw Error(Describe(m) + ": sharing must be shared, private or locked");
  }
  if (!IsDirectory(dir)) {
    std::string tmp = MakeTempDir(base, "new-");
    if (m.from) {
      if (::rmdir(tmp.c_str()) != 0) throw SysError("rmdir", tmp);
      ScopeFail remove_tmp([&] { RemoveAll(tmp); });
      SeedCache(m, seed_layers, seed_sub, in.scratch, tmp);
    }
    // Rule: only a cache mount this store never had takes an imported snapshot; one that
    // exists keeps its own files (they are this machine's newest).
    if (!m.from && in.seed_cache) in.seed_cache(id, tmp);
    // A seeded cache keeps its source's owner and mode unless uid=, gid=, mode= say otherwise.
    bool seeded = m.from.has_value();
    unsigned mode = static_cast<unsigned>(ParseNumber(m, "mode", Opt(m, "mode", "755"), 8));
    uid_t uid = static_cast<uid_t>(ParseNumber(m, "uid", Opt(m, "uid", "0"), 10));
    gid_t gid = static_cast<gid_t>(ParseNumber(m, "gid", Opt(m, "gid", "0"), 10));
    if ((!seeded || m.options.count("uid") || m.options.count("gid")) &&
        ::chown(tmp.c_str(), uid, gid) != 0)
      throw SysError("chown", tmp);
    if ((!seeded || m.options.count("mode")) && ::chmod(tmp.c_str(), mode) != 0) throw SysError("chmod", tmp);
    // Rule: a cache directory appears whole (rename), so a crash never leaves a half-made one.
    if (::rename(tmp.c_str(), dir.c_str()) != 0) {
      int err = errno;
      RemoveAll(tmp);  // another build made it first (a seeded tmp is not empty)
      if (err != EEXIST && err != ENOTEMPTY) throw SysError("rename", dir, err);
    }
  }
  out.binds.push_back({dir, target, Flag(m, "readonly")});
  if (!ExistsInLayers(in.lowerdirs, target)) out.stubs.insert(target);
}

void PrepareBind(const plan::RunMount& m, const MountInputs& in, PreparedMounts& out) {
  runtime::LayeredMount l;
  l.target = Target(m);
  l.subpath = Subpath(Opt(m, "source"));
  l.writable = Flag(m, "readwrite");
  if (!m.from) {
    l.lowerdirs = {in.context_dir};
  } else {
    l.lowerdirs = in.layers_of(*m.from);
    if (l.lowerdirs.empty()) throw Error(Describe(m) + ": the source image has no files");
  }
  if (!l.subpath.empty() && !ExistsInLayers(l.lowerdirs, "/" + l.subpath))
    throw Error(Describe(m) + ": source " + l.subpath + " not found in " +
                (m.from ? plan::KeyText(*m.from) : "the build context"));
  out.layered.push_back(l);
  if (!ExistsInLayers(in.lowerdirs, l.target)) out.stubs.insert(l.target);
}

void PrepareTmpfs(const plan::RunMount& m, const MountInputs& in, PreparedMounts& out) {
  runtime::TmpfsMount t;
  t.target = Target(m);
  if (m.options.count("size")) t.size_bytes = ParseSize(m, Opt(m, "size"));
  out.tmpfs.push_back(t);
  if (!ExistsInLayers(in.lowerdirs, t.target)) out.stubs.insert(t.target);
}

void PrepareSecret(const plan::RunMount& m, const MountInputs& in, PreparedMounts& out, int n) {
  std::string id = Opt(m, "id");
  std::string target = Opt(m, "target");
  std::string env = Opt(m, "env");
  if (id.empty()) id = target.empty() ? env : target.substr(target.rfind('/') + 1);
  if (id.empty()) throw Error(Describe(m) + ": a secret needs an id (or a target)");
  auto it = in.secrets.find(id);
  if (it == in.secrets.end()) {
    if (Flag(m, "required"))
      throw Error(Describe(m) + ": secret " + id + " is required but was not given (cairn build --secret id=" + id +
                  ",src=FILE)");
    return;  // as BuildKit: an optional secret that is missing is simply not mounted
  }
  std::string value;
  if (!it->second.env.empty()) {
    const char* v = std::getenv(it->second.env.c_str());
    if (!v) throw Error("secret " + id + ": environment variable " + it->second.env + " is not set");
    value = v;
  } else {
    try {
      value = ReadFile(it->second.file);
    } catch (const Error& e) {
      throw Error("secret " + id + ": " + e.what());
    }
  }
  if (!env.empty()) {
    out.env.push_back(env + "=" + value);
    if (target.empty()) return;
  }
  if (target.empty()) target = "/run/secrets/" + id;
  target = Target(m, target);
  std::string file = JoinPath(in.scratch, "secret-" + std::to_string(n));
  unsigned mode = static_cast<unsigned>(ParseNumber(m, "mode", Opt(m, "mode", "400"), 8));
  WriteFileAtomic(file, value, 0600);
  uid_t uid = static_cast<uid_t>(ParseNumber(m, "uid", Opt(m, "uid", "0"), 10));
  gid_t gid = static_cast<gid_t>(ParseNumber(m, "gid", Opt(m, "gid", "0"), 10));
  if (::chown(file.c_str(), uid, gid) != 0) throw SysError("chown", file);
  if (::chmod(file.c_str(), mode) != 0) throw SysError("chmod", file);
  out.binds.push_back({file, target, true});
  if (!ExistsInLayers(in.lowerdirs, target)) out.stubs.insert(target);
}

void PrepareSsh(const plan::RunMount& m, const MountInputs& in, PreparedMounts& out) {
  std::string id = Opt(m, "id", "default");
  auto it = in.ssh.find(id);
  if (it == in.ssh.end()) {
    if (Flag(m, "required"))
      throw Error(Describe(m) + ": ssh agent " + id + " is required but was not given (cairn build --ssh " +
                  (id == "default" ? std::string("default") : id + "=SOCKET") + ")");
    return;  // as BuildKit: an optional agent that is missing is not mounted
  }
  size_t n = out.ssh_relays.size();
  std::string target = Target(m, "/run/buildkit/ssh_agent." + std::to_string(n));
  unsigned mode = static_cast<unsigned>(ParseNumber(m, "mode", Opt(m, "mode", "600"), 8));
  uid_t uid = static_cast<uid_t>(ParseNumber(m, "uid", Opt(m, "uid", "0"), 10));
  gid_t gid = static_cast<gid_t>(ParseNumber(m, "gid", Opt(m, "gid", "0"), 10));
  std::string socket = JoinPath(in.scratch, "ssh-" + std::to_string(n));
  out.ssh_relays.push_back(std::make_unique<SshAgentRelay>(socket, it->second, uid, gid, mode));
  out.binds.push_back({socket, target, false});
  if (!ExistsInLayers(in.lowerdirs, target)) out.stubs.insert(target);
  if (n == 0) out.env.push_back("SSH_AUTH_SOCK=" + target);
}

}  // namespace

std::pair<std::string, SecretSource> ParseSecretFlag(const std::string& flag) {
  std::string id;
  SecretSource src;
  std::vector<std::string> fields;
  try {
    fields = SplitCsvFields(flag);
  } catch (const Error& e) {
    throw Error("--secret " + flag + ": " + e.what());
  }
  for (const std::string& field : fields) {
    auto [key, given] = CutKeyValue(field);
    if (!given) throw Error("--secret " + flag + ": want id=ID,src=FILE or id=ID,env=VAR");
    const std::string& value = *given;
    if (key == "id") id = value;
    else if (key == "src" || key == "source") src.file = value;
    else if (key == "env") src.env = value;
    else if (key == "type" && (value == "file" || value == "env")) continue;
    else throw Error("--secret " + flag + ": unknown field " + key + " (want id=, src= or env=)");
  }
  if (id.empty()) throw Error("--secret " + flag + ": id= is required");
  if (!src.file.empty() && !src.env.empty()) throw Error("--secret " + flag + ": give src= or env=, not both");
  if (src.file.empty() && src.env.empty()) src.env = id;  // docker: the environment variable named id
  return {id, src};
}

std::string CacheMountId(const plan::RunMount& mount) { return Opt(mount, "id", Target(mount)); }

std::string CacheMountDir(const std::string& store_root, const std::string& id) {
  return JoinPath(JoinPath(store_root, "cache-mounts"), DigestHex(DigestOf(id)));
}

PreparedMounts PrepareMounts(const std::vector<plan::RunMount>& mounts, const MountInputs& in) {
  PreparedMounts out;
  int n = 0;
  for (const auto& m : mounts) {
    if (m.type == "cache") PrepareCache(m, in, out);
    else if (m.type == "bind") PrepareBind(m, in, out);
    else if (m.type == "tmpfs") PrepareTmpfs(m, in, out);
    else if (m.type == "secret") PrepareSecret(m, in, out, n++);
    else if (m.type == "ssh") PrepareSsh(m, in, out);
    else throw Error(Describe(m) + ": mount type " + m.type + " is not supported yet");
  }
  return out;
}

std::string ContextMountsDigest(const std::vector<plan::RunMount>& mounts, const std::string& context_dir,
                                ContextIndex* index, std::map<std::string, std::string>* entries) {
  std::string all;
  for (const auto& m : mounts) {
    if (m.type != "bind" || m.from) continue;
    std::string sub = Subpath(Opt(m, "source"));
    auto matched = MatchSources(context_dir, {sub.empty() ? "." : sub}, nullptr);
    all += DigestSources(context_dir, matched, nullptr, index, entries) + "\n";
  }
  return all.empty() ? "" : DigestOf(all);
}

}  // namespace cairn::builder

#include "cli/git_clone.h"

#include <git2.h>

#include <memory>
#include <vector>

#include "base/error.h"
#include "base/fs.h"
#include "cli/git_keep_dir.h"
#include "cli/known_hosts.h"

namespace cairn::cli {

namespace {

// libgit2's last error, with the remote's credentials (if the message repeats the URL) removed.
std::string GitReason(const builder::GitUrl& url) {
  const git_error* e = git_error_last();
  std::string reason = e && e->message ? e->message : "unknown libgit2 error";
  for (size_t at; !url.remote.empty() && (at = reason.find(url.remote)) != std::string::npos;)
    reason.replace(at, url.remote.size(), url.display);
  return reason;
}

// One libgit2 object, freed by its own function.
template <typename T, void (*Free)(T*)>
struct GitPtr {
  T* p = nullptr;
  ~GitPtr() { Free(p); }
};

// ssh: the agent's keys (as git does with ssh-agent); other credential types are not offered.
int AgentCredentials(git_credential** out, const char*, const char* username, unsigned int allowed, void*) {
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && username) return git_credential_ssh_key_from_agent(out, username);
  if (allowed & GIT_CREDENTIAL_USERNAME) return git_credential_username_new(out, username ? username : "git");
  return GIT_PASSTHROUGH;
}

// The port of an ssh URL: ssh://[user@]host[:port]/path (also git+ssh://); scp-like: 22.
int SshPort(const std::string& remote) {
  size_t scheme = remote.find("://");
  if (scheme == std::string::npos) return 22;
  size_t host = remote.find('@', scheme + 3);
  size_t slash = remote.find('/', scheme + 3);
  host = host == std::string::npos || host > slash ? scheme + 3 : host + 1;
  size_t colon = remote.find(':', host);
  if (colon == std::string::npos || colon > slash) return 22;
  std::string port = remote.substr(colon + 1, slash - colon - 1);
  return port.empty() || port.find_first_not_of("0123456789") != std::string::npos ? 22 : std::stoi(port);
}

std::string KnownHostsText() {
  std::string text;
  const char* home = std::getenv("HOME");
  for (std::string path : {home ? std::string(home) + "/.ssh/known_hosts" : std::string(), std::string("/etc/ssh/ssh_known_hosts")}) {
    if (path.empty() || !PathExists(path)) continue;
    try {
      text += ReadFile(path) + "\n";
    } catch (const Error&) {  // unreadable: as ssh, it holds no key
    }
  }
  return text;
}

// ssh: the server's key must be in known_hosts (cli/known_hosts.h); TLS: libgit2's own check.
int CheckCertificate(git_cert* cert, int, const char* host, void* payload) {
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
  auto* hostkey = reinterpret_cast<git_cert_hostkey*>(cert);
  const auto& url = *static_cast<const builder::GitUrl*>(payload);
  std::string name = KnownHostName(host, SshPort(url.remote));
  if (!(hostkey->type & GIT_CERT_SSH_RAW)) {
    git_error_set_str(GIT_ERROR_SSH, ("the ssh server " + name + " sent no host key to check").c_str());
    return GIT_ECERTIFICATE;
  }
  std::string blob(hostkey->hostkey, hostkey->hostkey_len);
  switch (CheckKnownHost(KnownHostsText(), host, SshPort(url.remote), blob)) {
    case HostKeyVerdict::kKnown:
      return 0;
    case HostKeyVerdict::kUnknown:
      git_error_set_str(GIT_ERROR_SSH, ("the host key of " + name + " is not in ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts; "
                                        "check it and add it (ssh-keyscan" + (SshPort(url.remote) == 22 ? "" : " -p " + std::to_string(SshPort(url.remote))) +
                                        " " + host + " >> ~/.ssh/known_hosts)").c_str());
      return GIT_ECERTIFICATE;
    case HostKeyVerdict::kChanged:
      break;
  }
  git_error_set_str(GIT_ERROR_SSH, ("the host key of " + name + " is not the one known_hosts holds for it (a changed key, "
                                    "or someone in between); cairn does not clone from it").c_str());
  return GIT_ECERTIFICATE;
}

// The commit a ref names: a branch, a tag, a full ref (refs/heads/x) or a commit (hex prefix);
// empty = the remote's HEAD, which the bare clone's HEAD follows.
// branch: the branch the ref names (the remote's HEAD branch for an empty ref), else "".
git_commit* ResolveRef(git_repository* repo, const builder::GitUrl& url, std::string& branch) {
  std::vector<std::string> candidates;
  const std::string& ref = url.ref;
  if (ref.empty()) {
    candidates = {"HEAD"};
  } else {
    if (ref.rfind("refs/heads/", 0) == 0) candidates.push_back("refs/remotes/origin/" + ref.substr(11));
    if (ref.rfind("refs/", 0) == 0) candidates.push_back(ref);
    candidates.push_back("refs/remotes/origin/" + ref);
    candidates.push_back("refs/tags/" + ref);
    if (ref.size() >= 4 && ref.find_first_not_of("0123456789abcdef") == std::string::npos) candidates.push_back(ref);
  }
  for (auto& name : candidates) {
    git_object* obj = nullptr;
    if (git_revparse_single(&obj, repo, (name + "^{commit}").c_str()) != 0) continue;
    branch.clear();
    if (name.rfind("refs/remotes/origin/", 0) == 0) branch = name.substr(20);
    git_reference* head = nullptr;
    if (name == "HEAD" && git_repository_head(&head, repo) == 0) {
      std::string target = git_reference_name(head);
      if (target.rfind("refs/heads/", 0) == 0) branch = target.substr(11);
      git_reference_free(head);
    }
    return reinterpret_cast<git_commit*>(obj);
  }
  throw Error(url.display + ": no branch, tag or commit \"" + ref + "\" in the repository");
}

}  // namespace

builder::GitCheckout CloneGit(const builder::GitUrl& url, const std::string& dir) {
  git_libgit2_init();
  struct Shutdown {
    ~Shutdown() { git_libgit2_shutdown(); }
  } shutdown;
  std::string git_dir = JoinPath(dir, "git"), tree_dir = JoinPath(dir, "tree");

  git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
  opts.bare = 1;
  opts.fetch_opts.callbacks.credentials = AgentCredentials;
  opts.fetch_opts.callbacks.certificate_check = CheckCertificate;
  opts.fetch_opts.callbacks.payload = const_cast<builder::GitUrl*>(&url);
  GitPtr<git_repository, git_repository_free> repo;
  if (git_clone(&repo.p, url.remote.c_str(), git_dir.c_str(), &opts) != 0)
    throw Error("git clone " + url.display + ": " + GitReason(url));

  GitPtr<git_commit, git_commit_free> commit;
  std::string branch;
  commit.p = ResolveRef(repo.p, url, branch);
  GitPtr<git_tree, git_tree_free> root;
  if (git_commit_tree(&root.p, commit.p) != 0) throw Error(url.display + ": " + GitReason(url));
  GitPtr<git_tree, git_tree_free> sub;
  git_tree* tree = root.p;
  if (!url.subdir.empty()) {
    GitPtr<git_tree_entry, git_tree_entry_free> entry;
    if (git_tree_entry_bypath(&entry.p, root.p, url.subdir.c_str()) != 0 ||
        git_tree_entry_type(entry.p) != GIT_OBJECT_TREE ||
        git_tree_lookup(&sub.p, repo.p, git_tree_entry_id(entry.p)) != 0)
      throw Error(url.display + ": no directory " + url.subdir + " in the commit");
    tree = sub.p;
  }

  // Only the subdir's tree is checked out, at the checkout's root: nothing outside it (and no
  // symlink of the repository) can be reached through the context.
  MakeDirs(tree_dir);
  git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
  co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  co.target_directory = tree_dir.c_str();
  co.disable_filters = 1;  // the blobs as committed: no eol or ident conversion from a config
  if (git_checkout_tree(repo.p, reinterpret_cast<git_object*>(tree), &co) != 0)
    throw Error("git checkout " + url.display + ": " + GitReason(url));

  if (url.keep_git_dir) {
    if (!url.subdir.empty())
      throw Error(url.display + ": --keep-git-dir: the .git directory is the repository's root, not " + url.subdir +
                  "'s; drop :" + url.subdir + " or the flag");
    WriteCanonicalGitDir(repo.p, commit.p, branch, url, tree_dir);
  }

  builder::GitCheckout out;
  out.dir = tree_dir;
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, git_commit_id(commit.p));
  out.commit = hex;
  out.commit_time = static_cast<int64_t>(git_commit_time(commit.p));
  out.display = url.display;
  out.modes = std::make_shared<builder::GitModes>(builder::GitModes::ForTree(tree));
  return out;
}

}  // namespace cairn::cli

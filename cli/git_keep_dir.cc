#include "cli/git_keep_dir.h"

#include <sys/stat.h>

#include <set>

#include "base/error.h"
#include "base/fs.h"

namespace cairn::cli {

namespace {

std::string Hex(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, oid);
  return hex;
}

std::string Reason() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

int CollectEntry(const char*, const git_tree_entry* entry, void* payload) {
  auto type = git_tree_entry_type(entry);
  if (type == GIT_OBJECT_BLOB || type == GIT_OBJECT_TREE)  // a submodule's commit is not ours
    static_cast<std::set<std::string>*>(payload)->insert(std::string(reinterpret_cast<const char*>(git_tree_entry_id(entry)->id), GIT_OID_RAWSZ));
  return 0;
}

// Copies the commit, its root tree and everything the tree holds into the loose objects at objects_dir.
void CopyObjects(git_repository* repo, git_commit* commit, git_tree* tree, const std::string& objects_dir, const std::string& where) {
  std::set<std::string> ids = {std::string(reinterpret_cast<const char*>(git_commit_id(commit)->id), GIT_OID_RAWSZ),
                               std::string(reinterpret_cast<const char*>(git_tree_id(tree)->id), GIT_OID_RAWSZ)};
  if (git_tree_walk(tree, GIT_TREEWALK_PRE, CollectEntry, &ids) != 0) throw Error(where + ": " + Reason());
  git_odb *from = nullptr, *to = nullptr;
  git_odb_backend* loose = nullptr;
  if (git_repository_odb(&from, repo) != 0 || git_odb_new(&to) != 0 ||
      git_odb_backend_loose(&loose, objects_dir.c_str(), -1, 0, 0755, 0444) != 0 || git_odb_add_backend(to, loose, 1) != 0) {
    git_odb_free(from);
    git_odb_free(to);
    throw Error(where + ": " + Reason());
  }
  std::string failure;
  for (auto& raw : ids) {  // sorted by id: the order objects are written in never matters, but is fixed
    git_oid oid;
    git_oid_fromraw(&oid, reinterpret_cast<const unsigned char*>(raw.data()));
    git_odb_object* obj = nullptr;
    git_oid written;
    if (git_odb_read(&obj, from, &oid) != 0 ||
        git_odb_write(&written, to, git_odb_object_data(obj), git_odb_object_size(obj), git_odb_object_type(obj)) != 0) {
      failure = Reason();
      git_odb_object_free(obj);
      break;
    }
    git_odb_object_free(obj);
  }
  git_odb_free(from);
  git_odb_free(to);
  if (!failure.empty()) throw Error(where + ": " + failure);
}

// Every mode fixed: the umask and libgit2's defaults never reach the layer.
void FixModes(const std::string& path, bool in_objects) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw SysError("stat", path);
  if (S_ISDIR(st.st_mode)) {
    if (::chmod(path.c_str(), 0755) != 0) throw SysError("chmod", path);
    for (auto& name : ListDir(path)) FixModes(JoinPath(path, name), in_objects || name == "objects");
  } else if (::chmod(path.c_str(), in_objects ? 0444 : 0644) != 0) {
    throw SysError("chmod", path);
  }
}

}  // namespace

void WriteCanonicalGitDir(git_repository* repo, git_commit* commit, const std::string& branch, const builder::GitUrl& url,
                          const std::string& dir) {
  std::string where = url.display + ": --keep-git-dir";
  std::string git = JoinPath(dir, ".git");
  if (PathExists(git)) throw Error(where + ": the commit holds a .git entry of its own; cairn cannot add the repository's");
  std::string commit_hex = Hex(git_commit_id(commit));
  for (const char* sub : {"objects/info", "objects/pack", "refs/heads", "refs/tags"}) MakeDirs(JoinPath(git, sub));
  WriteFileAtomic(JoinPath(git, "HEAD"), branch.empty() ? commit_hex + "\n" : "ref: refs/heads/" + branch + "\n", 0644);
  std::string config = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"
                       "[remote \"origin\"]\n\turl = " + url.display.substr(0, url.display.find('#')) +
                       "\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n";
  if (!branch.empty()) config += "[branch \"" + branch + "\"]\n\tremote = origin\n\tmerge = refs/heads/" + branch + "\n";
  WriteFileAtomic(JoinPath(git, "config"), config, 0644);
  std::string refs = "# pack-refs with: peeled fully-peeled sorted \n";
  if (!branch.empty()) refs += commit_hex + " refs/heads/" + branch + "\n";
  WriteFileAtomic(JoinPath(git, "packed-refs"), refs, 0644);
  WriteFileAtomic(JoinPath(git, "shallow"), commit_hex + "\n", 0644);

  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) != 0) throw Error(where + ": " + Reason());
  struct TreeFree {
    git_tree* t;
    ~TreeFree() { git_tree_free(t); }
  } free_tree{tree};
  CopyObjects(repo, commit, tree, JoinPath(git, "objects"), where);
  git_index* index = nullptr;
  if (git_index_open(&index, JoinPath(git, "index").c_str()) != 0) throw Error(where + ": " + Reason());
  bool ok = git_index_read_tree(index, tree) == 0 && git_index_write(index) == 0;
  git_index_free(index);
  if (!ok) throw Error(where + ": writing the index: " + Reason());
  FixModes(git, false);
}

}  // namespace cairn::cli

#include "builder/git_modes.h"

#include <git2.h>
#include <sys/stat.h>

#include <filesystem>

namespace cairn::builder {

namespace {

// A path below base as "a/b" ("" for base itself), or nullopt when it is not below base.
std::optional<std::string> Below(const std::string& path, const std::string& base) {
  if (path == base) return std::string();
  if (base.empty()) return path;
  if (path.compare(0, base.size() + 1, base + "/") != 0) return std::nullopt;
  return path.substr(base.size() + 1);
}

std::string Canonical(const std::string& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  std::string s = ec ? p : c.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

constexpr int kMaxSubmoduleDepth = 8;  // a submodule loop cannot recurse forever

}  // namespace

GitModes GitModes::ForContext(const std::string& context_dir) {
  GitModes modes;
  git_libgit2_init();
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, context_dir.c_str(), 0, nullptr) == 0 && !git_repository_is_bare(repo)) {
    std::string workdir = Canonical(git_repository_workdir(repo));
    if (auto prefix = Below(Canonical(context_dir), workdir)) modes.AddRepository(workdir, *prefix, 0);
  }
  git_repository_free(repo);
  git_libgit2_shutdown();
  return modes;
}

GitModes GitModes::ForTree(git_tree* tree) {
  GitModes modes;
  auto visit = [](const char* root, const git_tree_entry* entry, void* payload) -> int {
    auto* m = static_cast<GitModes*>(payload);
    std::string rel = std::string(root) + git_tree_entry_name(entry);  // root is "" or "a/b/"
    git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT)
      m->AddDir(rel);
    else
      m->AddTracked(rel, mode == GIT_FILEMODE_BLOB_EXECUTABLE);
    return 0;
  };
  git_tree_walk(tree, GIT_TREEWALK_PRE, visit, &modes);
  return modes;
}

// Adds the index entries of the work tree at dir; context_prefix is the context's path below dir
// ("" = dir itself); entries outside it are not the context's.
void GitModes::AddRepository(const std::string& dir, const std::string& context_prefix, int depth) {
  git_repository* repo = nullptr;
  git_index* index = nullptr;
  if (git_repository_open_ext(&repo, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0 ||
      git_repository_index(&index, repo) != 0) {
    git_repository_free(repo);
    return;
  }
  size_t n = git_index_entrycount(index);
  for (size_t i = 0; i < n; i++) {
    const git_index_entry* e = git_index_get_byindex(index, i);
    std::string path = e->path;
    auto rel = Below(path, context_prefix);
    if (!rel || rel->empty()) continue;
    if (e->mode == GIT_FILEMODE_COMMIT) {  // a submodule: its own repository tracks its files
      AddDir(*rel);
      if (depth >= kMaxSubmoduleDepth) continue;
      GitModes inner;
      inner.AddRepository(dir + "/" + path, "", depth + 1);
      for (auto& [p, x] : inner.files_) AddTracked(*rel + "/" + p, x);
      for (auto& d : inner.dirs_)
        if (d != ".") AddDir(*rel + "/" + d);
      continue;
    }
    AddTracked(*rel, e->mode == GIT_FILEMODE_BLOB_EXECUTABLE);
  }
  git_index_free(index);
  git_repository_free(repo);
}

void GitModes::AddTracked(const std::string& rel, bool executable) {
  files_[rel] = executable;
  AddParents(rel);
}

void GitModes::AddDir(const std::string& rel) {
  dirs_.insert(rel);
  AddParents(rel);
}

void GitModes::AddParents(const std::string& rel) {
  dirs_.insert(".");
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
    dirs_.insert(rel.substr(0, slash));
}

std::optional<mode_t> GitModes::ModeOf(const std::string& rel, mode_t st_mode) const {
  if (S_ISREG(st_mode)) {
    auto it = files_.find(rel);
    if (it != files_.end()) return it->second ? 0755 : 0644;
  } else if (S_ISDIR(st_mode)) {
    if (dirs_.count(rel.empty() ? "." : rel)) return 0755;
  }
  return std::nullopt;
}

}  // namespace cairn::builder

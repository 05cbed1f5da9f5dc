#include "builder/users.h"

#include <algorithm>
#include <sstream>

#include "base/error.h"
#include "base/fs.h"
#include "builder/path_in_root.h"

namespace cairn::builder {

static bool IsNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

static std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  for (char c : line) {
    if (c == ':') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  f.push_back(cur);
  return f;
}

// Each line of a passwd/group file as its ':' fields; blank and '#' lines skipped.
static std::vector<std::vector<std::string>> Entries(const std::optional<std::string>& text) {
  std::vector<std::vector<std::string>> out;
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') out.push_back(Fields(line));
  return out;
}

UserIds ResolveUser(const std::string& spec, const ImageFileReader& read) {
  UserIds ids;
  // No USER is uid 0, looked up like any other: HOME and groups come from root's passwd entry.
  auto colon = spec.find(':');
  std::string user = spec.empty() ? "0" : spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  auto passwd = Entries(read("/etc/passwd"));
  bool found = false;
  for (auto& e : passwd) {
    if (e.size() < 7) continue;
    if (e[0] == user || (IsNumber(user) && e[2] == user)) {
      ids.uid = static_cast<uint32_t>(std::stoul(e[2]));
      ids.gid = static_cast<uint32_t>(std::stoul(e[3]));
      ids.home = e[5];
      user = e[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!IsNumber(user)) throw Error("unable to find user " + user + ": no matching entries in passwd file");
    ids.uid = ids.gid = static_cast<uint32_t>(std::stoul(user));
  }
  auto groups = Entries(read("/etc/group"));
  if (!group.empty()) {
    bool gfound = false;
    for (auto& e : groups)
      if (e.size() >= 3 && (e[0] == group || (IsNumber(group) && e[2] == group))) {
        ids.gid = static_cast<uint32_t>(std::stoul(e[2]));
        gfound = true;
        break;
      }
    if (!gfound) {
      if (!IsNumber(group)) throw Error("unable to find group " + group + ": no matching entries in group file");
      ids.gid = static_cast<uint32_t>(std::stoul(group));
    }
  }
  for (auto& e : groups) {
    if (e.size() < 4) continue;
    std::istringstream members(e[3]);
    std::string m;
    while (std::getline(members, m, ','))
      if (m == user) ids.supplementary_groups.push_back(static_cast<uint32_t>(std::stoul(e[2])));
  }
  return ids;
}

UserIds ResolveProcessUser(const std::string& spec, const ImageFileReader& read) {
  UserIds ids = ResolveUser(spec, read);
  std::string user = spec.empty() ? "0" : spec.substr(0, spec.find(':'));
  bool explicit_group = spec.find(':') != std::string::npos;
  bool in_passwd = false;
  for (auto& e : Entries(read("/etc/passwd")))
    if (e.size() >= 7 && (e[0] == user || (IsNumber(user) && e[2] == user))) in_passwd = true;
  if (!in_passwd && !explicit_group) ids.gid = 0;  // runc: an unknown uid keeps gid 0, not gid = uid
  std::vector<uint32_t> groups = {ids.gid};
  if (!explicit_group)
    for (uint32_t g : ids.supplementary_groups)
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  ids.supplementary_groups = groups;
  return ids;
}

ImageFileReader ReaderInRoot(const std::string& root) {
  return [root](const std::string& path) -> std::optional<std::string> {
    std::string p = ResolveInRoot(root, path);
    if (!PathExists(p)) return std::nullopt;
    return ReadFile(p);
  };
}

ImageFileReader ReaderInLayers(const std::vector<std::string>& layer_dirs) {
  return [layer_dirs](const std::string& path) -> std::optional<std::string> {
    for (auto& dir : layer_dirs) {
      std::string p = JoinPath(dir, path);
      if (PathExists(p) && !IsDirectory(p)) {
        try {
          return ReadFile(p);
        } catch (const Error&) {
          return std::nullopt;  // a whiteout (char device) hides the file
        }
      }
    }
    return std::nullopt;
  };
}

}  // namespace cairn::builder

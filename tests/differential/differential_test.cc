// Differential suite: each folder under tests/differential/cases/ holds a Dockerfile, a context
// (the folder itself) and an `expected` file stating what docker's documented semantics say the
// built image holds. One test per case builds it with the real cairn on a shared busybox store
// and compares every stated path and config field; a mismatch names the case, path and field.
//
// expected, one check a line ('#' comments):
//   path PATH TYPE MODE UID:GID [CONTENT]   TYPE file|dir|symlink; MODE/UID:GID '-' = unchecked;
//                                          CONTENT: file text with \n escapes (compared by
//                                          sha256; '-' = unchecked), or the symlink's target
//   absent PATH
//   config FIELD JSON                      FIELD of the image config, compact JSON; null = unset
// Optional `build-args`: extra `cairn build` arguments, one a line (e.g. --target).
// Optional `known-bug`: a reported cairn difference; the case is skipped with that text unless
// CAIRN_DIFF_STRICT=1, so the suite stays green while the difference stays visible.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "base/digest.h"
#include "tests/support/harness.h"

namespace fs = std::filesystem;
using namespace cairn::testing;

namespace {

const std::string kCases = std::string(CAIRN_SOURCE_DIR) + "/tests/differential/cases";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct PathCheck {
  std::string path, type, mode, owner, content;
  bool has_content = false;
  bool absent = false;
};

struct Expected {
  std::vector<PathCheck> paths;
  std::vector<std::pair<std::string, std::string>> config;  // field, compact JSON
};

Expected ParseExpected(const std::string& text) {
  Expected e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "config") {
      std::string field, json;
      words >> field;
      std::getline(words >> std::ws, json);
      e.config.emplace_back(field, nlohmann::json::parse(json).dump());
    } else if (kind == "absent") {
      PathCheck c;
      words >> c.path;
      c.absent = true;
      e.paths.push_back(c);
    } else if (kind == "path") {
      PathCheck c;
      words >> c.path >> c.type >> c.mode >> c.owner;
      std::string rest;
      if (std::getline(words, rest) && rest.size() > 1 && rest != " -") {
        c.content = Unescape(rest.substr(1));
        c.has_content = true;
      }
      e.paths.push_back(c);
    } else {
      throw std::runtime_error("expected: unknown check '" + kind + "' in line: " + line);
    }
  }
  return e;
}

// What the image holds at each path, read by busybox inside a container of the image:
// "PATH|TYPE|MODE|UID:GID|sha256-or-target", or "PATH|absent".
std::map<std::string, std::vector<std::string>> Observe(const std::string& root, const std::string& image,
                                                        const std::vector<PathCheck>& checks) {
  const std::string script =
      "for p in \"$@\"; do "
      "if [ -L \"$p\" ]; then echo \"$p|symlink|$(stat -c %a:%u:%g \"$p\")|$(readlink \"$p\")\"; "
      "elif [ -d \"$p\" ]; then echo \"$p|dir|$(stat -c %a:%u:%g \"$p\")|\"; "
      "elif [ -f \"$p\" ]; then echo \"$p|file|$(stat -c %a:%u:%g \"$p\")|$(sha256sum \"$p\" | cut -d' ' -f1)\"; "
      "else echo \"$p|absent\"; fi; done";
  // -u 0: stat as root whatever USER the image sets. Images with an ENTRYPOINT state no paths.
  std::vector<std::string> plain = {"run", "--rm", "-u", "0", image, "/bin/sh", "-c", script, "sh"};
  for (const auto& c : checks) plain.push_back(c.path);
  std::map<std::string, std::vector<std::string>> seen;
  if (checks.empty()) return seen;
  auto r = Cairn(root, plain);
  if (r.exit_code != 0) throw std::runtime_error("cairn run " + image + " failed: " + r.err);
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string part;
    std::istringstream ps(line);
    while (std::getline(ps, part, '|')) f.push_back(part);
    if (!f.empty()) seen[f[0]] = f;
  }
  return seen;
}

class Differential : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir();
    ImportBusybox(root_->path());
  }
  static void TearDownTestSuite() {
    delete root_;
    root_ = nullptr;
  }
  static TempDir* root_;
};
TempDir* Differential::root_ = nullptr;

TEST_P(Differential, ImageMatchesDockerSemantics) {
  const std::string name = GetParam();
  const std::string dir = kCases + "/" + name;
  const std::string tag = "diff-" + name + ":test";
  if (fs::exists(dir + "/known-bug") && getenv("CAIRN_DIFF_STRICT") == nullptr) {
    GTEST_SKIP() << "case " << name << " is a known cairn difference: " << ReadAll(dir + "/known-bug")
                 << "(CAIRN_DIFF_STRICT=1 runs it)";
  }
  std::vector<std::string> build = {"build", "-t", tag};
  std::istringstream extra(ReadAll(dir + "/build-args"));
  for (std::string a; std::getline(extra, a);)
    if (!a.empty()) build.push_back(a);
  build.push_back(dir);
  auto built = Cairn(root_->path(), build);
  ASSERT_EQ(built.exit_code, 0) << "case " << name << ": cairn build failed:\n" << built.err;

  Expected e = ParseExpected(ReadAll(dir + "/expected"));
  auto seen = Observe(root_->path(), tag, e.paths);
  for (const auto& c : e.paths) {
    const auto& f = seen[c.path];
    std::string where = "case " + name + ", path " + c.path + ", field ";
    if (c.absent) {
      EXPECT_TRUE(f.size() == 2 && f[1] == "absent") << where << "existence: expected absent";
      continue;
    }
    ASSERT_GE(f.size(), 3u) << where << "existence: expected a " << c.type << ", got absent";
    EXPECT_EQ(f[1], c.type) << where << "type";
    std::string mode = f[2].substr(0, f[2].find(':'));
    std::string owner = f[2].substr(f[2].find(':') + 1);
    if (c.mode != "-" && c.type != "symlink") {
      EXPECT_EQ(mode, c.mode) << where << "mode";
    }
    if (c.owner != "-") {
      EXPECT_EQ(owner, c.owner) << where << "uid:gid";
    }
    if (c.has_content) {
      std::string got = f.size() > 3 ? f[3] : "";
      std::string want = c.type == "file" ? cairn::DigestHex(cairn::DigestOf(c.content)) : c.content;
      EXPECT_EQ(got, want) << where << (c.type == "file" ? "content sha256" : "link target");
    }
  }

  auto inspected = Cairn(root_->path(), {"inspect", tag});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto config = nlohmann::json::parse(inspected.out)[0]["Config"]["config"];
  for (const auto& [field, want] : e.config) {
    std::string got = config.contains(field) ? config[field].dump() : "null";
    EXPECT_EQ(got, want) << "case " << name << ", config field " << field;
  }
}

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kCases))
    if (fs::exists(entry.path() / "expected")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, Differential, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace

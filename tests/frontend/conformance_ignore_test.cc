// moby/patternmatcher's own tests (extracted/patternmatcher/*.json, read in place from the
// shared corpus): .dockerignore reading, glob syntax errors, pattern compilation and matching.
// Each suite prints "<name>: N passed, M failed".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/frontend/conformance_corpus.h"
#include "base/error.h"
#include "frontend/dockerignore.h"

namespace cairn::frontend {
namespace {

// Skips (or, with CAIRN_REQUIRE_CONFORMANCE=1, fails) without the shared corpus.
class ConformanceIgnore : public cairn::testing::CorpusTest {};

using nlohmann::json;

json ReadTable(const std::string& name) {
  std::string path = cairn::testing::ConformanceDir() + "/extracted/patternmatcher/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("open " + path + ": cannot read the conformance corpus");
  std::ostringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

struct Tally {
  std::string name;
  int passed = 0, failed = 0;
  void Add(bool ok, const std::string& what) {
    (ok ? passed : failed)++;
    EXPECT_TRUE(ok) << name << ": " << what;
  }
  ~Tally() { std::cout << name << ": " << passed << " passed, " << failed << " failed\n"; }
};

std::vector<std::string> Strings(const json& j) { return j.get<std::vector<std::string>>(); }

TEST_F(ConformanceIgnore, ReadAll) {
  json t = ReadTable("ignorefile_readall.json");
  Tally tally{"ignorefile_readall"};
  std::vector<std::string> got = ReadIgnoreFile(t["input"].get<std::string>());
  tally.Add(got == Strings(t["expected"]), "patterns differ");
}

const char* TypeName(PatternMatcher::MatchType t) {
  switch (t) {
    case PatternMatcher::MatchType::kExact: return "exactMatch";
    case PatternMatcher::MatchType::kPrefix: return "prefixMatch";
    case PatternMatcher::MatchType::kSuffix: return "suffixMatch";
    case PatternMatcher::MatchType::kRegexp: return "regexpMatch";
  }
  return "?";
}

TEST_F(ConformanceIgnore, Compile) {
  json t = ReadTable("compile.json");
  Tally tally{"compile"};
  for (const json& c : t["cases"]) {
    PatternMatcher::Pattern p;
    p.cleaned = c["pattern"].get<std::string>();
    p.Compile('/');
    std::string unix_re = p.regex_source;
    bool ok = TypeName(p.type) == c["matchType"].get<std::string>() &&
              unix_re == c["regexp"].get<std::string>() && p.compile_error.empty();
    // The Windows variant compiles the FromSlash'd pattern with '\\' as separator.
    std::replace(p.cleaned.begin(), p.cleaned.end(), '/', '\\');
    p.Compile('\\');
    ok = ok && p.regex_source == c["windowsRegexp"].get<std::string>();
    tally.Add(ok, "pattern " + c["pattern"].dump() + " -> " + TypeName(p.type) + " " + unix_re);
  }
  EXPECT_EQ(tally.passed + tally.failed, 21);
}

// Package-level Matches(s, [pattern]): {match, error?}.
TEST_F(ConformanceIgnore, MatchFilepath) {
  json t = ReadTable("match_filepath.json");
  Tally tally{"match_filepath"};
  for (const json& c : t["cases"]) {
    std::string pattern = c["pattern"], s = c["s"];
    bool want_err = !c["err"].is_null();
    bool got_err = false, got = false;
    try {
      got = MatchesPatterns(s, {pattern});
    } catch (const Error&) {
      got_err = true;
    }
    bool ok = got_err == want_err && (got_err || got == c["match"].get<bool>());
    tally.Add(ok, "pattern " + c["pattern"].dump() + " s " + c["s"].dump());
  }
  EXPECT_EQ(tally.passed + tally.failed, 54);
}

// Every matching entry point must agree with `pass` (patternmatcher_test.go TestMatches).
bool AllEntryPointsAgree(const std::vector<std::string>& patterns, const std::string& text,
                         bool pass) {
  PatternMatcher pm = PatternMatcher::New(patterns);
  bool ok = pm.MatchesOrParentMatches(text) == pass;
  // MatchesUsingParentResult, walking from the top directory down as a walker would.
  std::vector<std::string> parts;
  for (size_t start = 0, pos;; start = pos + 1) {
    pos = text.find('/', start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string::npos) break;
  }
  bool parent = false;
  PatternMatcher::MatchInfo info;
  bool results = false;
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix += (i ? "/" : "") + parts[i];
    parent = pm.MatchesUsingParentResult(prefix, parent);
    PatternMatcher::MatchInfo next;
    results = pm.MatchesUsingParentResults(prefix, info, &next);
    info = next;
  }
  ok = ok && results == pass;
  // The deprecated single-parent-result API is only reliable without exclusions.
  if (!pm.exclusions()) ok = ok && parent == pass;
  return ok;
}

TEST_F(ConformanceIgnore, Matches) {
  json t = ReadTable("matches.json");
  Tally tally{"matches"};
  auto run = [&](const json& c, std::vector<std::string> patterns) {
    std::string text = c["text"];
    tally.Add(AllEntryPointsAgree(patterns, text, c["pass"].get<bool>()),
              "patterns " + json(patterns).dump() + " text " + c["text"].dump());
  };
  for (const json& c : t["single_pattern"]) run(c, {c["pattern"].get<std::string>()});
  for (const json& c : t["single_pattern_unix_only"]) run(c, {c["pattern"].get<std::string>()});
  for (const json& c : t["multi_pattern"]) run(c, Strings(c["patterns"]));
  EXPECT_EQ(tally.passed + tally.failed, 67 + 1 + 4);
}

TEST_F(ConformanceIgnore, Misc) {
  json t = ReadTable("matches_misc.json");
  Tally tally{"matches_misc"};
  for (const json& c : t["cases"]) {
    bool want_err = c.value("error", false);
    bool got_err = false, got = false;
    try {
      got = MatchesPatterns(c["text"].get<std::string>(), Strings(c["patterns"]));
    } catch (const Error&) {
      got_err = true;
    }
    bool ok = got_err == want_err && (got_err || got == c["match"].get<bool>());
    tally.Add(ok, c["func"].get<std::string>());
  }
  for (const json& c : t["new_patterns"]) {
    bool ok = true;
    try {
      PatternMatcher pm = PatternMatcher::New(Strings(c["patterns"]));
      ok = !c.value("error", false);
      if (c.contains("cleaned_len")) {
        ok = ok && pm.patterns().size() == c["cleaned_len"].get<size_t>();
      }
      if (c.contains("exclusions")) ok = ok && pm.exclusions() == c["exclusions"].get<bool>();
    } catch (const Error&) {
      ok = c.value("error", false);
    }
    tally.Add(ok, c["func"].get<std::string>());
  }
}

}  // namespace
}  // namespace cairn::frontend

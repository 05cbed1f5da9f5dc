// BuildKit's own expansion tests, read in place from the shared corpus (FORMAT.md §4-6):
// shell/envVarTest (ProcessWord, Unix rules), shell/wordsTest (ProcessWords) and the cases
// extracted from lex_test.go. Each suite prints "<name>: N passed, M failed".
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/frontend/conformance_corpus.h"
#include "base/error.h"
#include "frontend/shell_lex.h"

namespace cairn::frontend {
namespace {

// Skips (or, with CAIRN_REQUIRE_CONFORMANCE=1, fails) without the shared corpus.
class ConformanceShell : public cairn::testing::CorpusTest {};

using nlohmann::json;

const std::string kCorpus = cairn::testing::ConformanceDir();

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("open " + path + ": cannot read the conformance corpus");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json ReadJson(const std::string& relative) {
  return json::parse(ReadText(kCorpus + "/extracted/" + relative));
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t pos; (pos = s.find(sep, start)) != std::string::npos; start = pos + 1) {
    out.push_back(s.substr(start, pos - start));
  }
  out.push_back(s.substr(start));
  return out;
}

// The corpus only has ASCII whitespace around fields (Go trims Unicode space).
std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

EnvLookup EnvFromJson(const json& envs) {
  std::vector<std::string> list;
  for (auto& [k, v] : envs.items()) list.push_back(k + "=" + v.get<std::string>());
  return EnvFromList(list);
}

// Counts and prints one suite's results; failures are reported through gtest as well.
struct Tally {
  std::string name;
  int passed = 0, failed = 0;
  void Add(bool ok, const std::string& what) {
    (ok ? passed : failed)++;
    EXPECT_TRUE(ok) << name << ": " << what;
  }
  ~Tally() { std::cout << name << ": " << passed << " passed, " << failed << " failed\n"; }
};

// Runs ProcessWord and renders the outcome as the corpus writes it ("error" on failure).
std::string WordOrError(const ShellLex& lex, const std::string& input, const EnvLookup& env) {
  try {
    return lex.ProcessWord(input, env);
  } catch (const Error&) {
    return "error";
  }
}

TEST_F(ConformanceShell, EnvVarTest) {
  std::string text = ReadText(kCorpus + "/buildkit/frontend/dockerfile/shell/envVarTest");
  EnvLookup env = EnvFromList({"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="});
  ShellLex lex;
  Tally tally{"envVarTest"};
  for (const std::string& raw : SplitLines(text)) {
    if (!raw.empty() && raw[0] == '#') continue;
    std::string line = Trim(raw);
    if (line.empty()) continue;
    std::vector<std::string> fields = Split(line, '|');
    ASSERT_EQ(fields.size(), 3u) << raw;
    std::string platform = Trim(fields[0]);
    ASSERT_TRUE(platform == "A" || platform == "U" || platform == "W") << raw;
    if (platform == "W") continue;  // Windows-only: case-insensitive names
    std::string input = Trim(fields[1]), expected = Trim(fields[2]);
    std::string got = WordOrError(lex, input, env);
    tally.Add(got == expected, "input [" + input + "] want [" + expected + "] got [" + got + "]");
  }
  EXPECT_EQ(tally.passed + tally.failed, 228);
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? "," : "") + words[i];
  return out;
}

TEST_F(ConformanceShell, WordsTest) {
  std::string text = ReadText(kCorpus + "/buildkit/frontend/dockerfile/shell/wordsTest");
  std::vector<std::string> env_list;
  ShellLex lex;
  Tally tally{"wordsTest"};
  for (const std::string& line : SplitLines(text)) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.rfind("ENV ", 0) == 0) {
      // Trailing spaces of the value are significant; only the leading ones go.
      env_list.push_back(line.substr(line.find_first_not_of(' ', 3)));
      continue;
    }
    std::vector<std::string> fields = Split(line, '|');
    ASSERT_EQ(fields.size(), 2u) << line;
    std::string input = Trim(fields[0]);
    std::string expected_text = fields[1].substr(fields[1].find_first_not_of(' '));
    std::vector<std::string> got;
    try {
      got = lex.ProcessWords(input, EnvFromList(env_list));
    } catch (const Error&) {
      got = {"error"};
    }
    bool ok = got == Split(expected_text, ',');
    tally.Add(ok, "input [" + input + "] want [" + expected_text + "] got [" + Join(got) + "]");
  }
  EXPECT_EQ(tally.passed + tally.failed, 24);
}

std::vector<std::string> Names(const std::set<std::string>& s) { return {s.begin(), s.end()}; }

TEST_F(ConformanceShell, ProcessWithMatches) {
  json doc = ReadJson("buildkit/shell/process_with_matches.json");
  ShellLex lex;
  Tally tally{"process_with_matches"};
  for (const json& c : doc["cases"]) {
    std::string input = c["input"];
    std::string what = "input [" + input + "]";
    try {
      ShellWordResult r = lex.ProcessWordWithMatches(input, EnvFromJson(c["envs"]));
      bool ok = !c["expectedErr"].get<bool>() && r.word == c["expected"].get<std::string>() &&
                Names(r.matched) == c["matches"].get<std::vector<std::string>>() &&
                Names(r.unmatched) == c["unmatched"].get<std::vector<std::string>>();
      tally.Add(ok, what + " got [" + r.word + "]");
    } catch (const Error& e) {
      tally.Add(c["expectedErr"].get<bool>(), what + " unexpected error: " + e.what());
    }
  }
  EXPECT_EQ(tally.passed + tally.failed, 47);
}

TEST_F(ConformanceShell, ProcessWithMatchesPlatform) {
  json doc = ReadJson("buildkit/shell/process_with_matches.json");
  const json& pc = doc["platform_case"];
  ShellLex lex;
  Tally tally{"process_with_matches_platform"};
  for (const json& run : pc["runs"]) {
    std::string got = lex.ProcessWord(pc["input"].get<std::string>(), EnvFromJson(run["envs"]));
    tally.Add(got == run["expected"].get<std::string>(), "got [" + got + "]");
  }
}

TEST_F(ConformanceShell, MandatoryEnvVars) {
  json doc = ReadJson("buildkit/shell/process_with_matches.json");
  ShellLex lex;
  Tally tally{"mandatory_env_vars"};
  for (const json& c : doc["mandatory_env_vars"]["cases"]) {
    std::string input = c["input"];
    try {
      std::string got = lex.ProcessWord(input, EnvFromJson(c["envs"]));
      tally.Add(c.contains("expected") && got == c["expected"].get<std::string>(),
                "input [" + input + "] got [" + got + "]");
    } catch (const Error& e) {
      std::string msg = e.what();
      bool ok = c.contains("errorContains") &&
                msg.find(c["errorContains"].get<std::string>()) != std::string::npos;
      tally.Add(ok, "input [" + input + "] error: " + msg);
    }
  }
}

TEST_F(ConformanceShell, PatternInternals) {
  json doc = ReadJson("buildkit/shell/pattern_internals.json");
  Tally tally{"pattern_internals"};
  for (const json& c : doc["convert_to_regex"]) {
    std::string got = ShellPatternToGoRegex(c["pattern"].get<std::string>(), true, true);
    tally.Add(got == c["regex"].get<std::string>(), "regex of " + c["pattern"].dump());
  }
  for (const json& p : doc["convert_to_regex_invalid"]) {
    bool threw = false;
    try {
      ShellPatternToGoRegex(p.get<std::string>(), true, true);
    } catch (const Error&) {
      threw = true;
    }
    tally.Add(threw, "invalid pattern " + p.dump());
  }
  for (const json& c : doc["reverse_pattern"]) {
    std::string got = ReverseShellPattern(c["pattern"].get<std::string>());
    tally.Add(got == c["reversed"].get<std::string>(), "reverse of " + c["pattern"].dump());
  }
}

}  // namespace
}  // namespace cairn::frontend

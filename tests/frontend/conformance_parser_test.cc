// BuildKit's own parser tests, read in place from the shared corpus
// (CAIRN_CONFORMANCE_DIR/buildkit/frontend/dockerfile/parser and extracted/buildkit/parser).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/frontend/conformance_corpus.h"
#include "frontend/heredoc.h"
#include "frontend/line_parsers.h"
#include "frontend/parser.h"
#include "frontend/syntax.h"

namespace cairn::frontend {
namespace {

// Skips (or, with CAIRN_REQUIRE_CONFORMANCE=1, fails) without the shared corpus.
class ConformanceParser : public cairn::testing::CorpusTest {};

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kParserDir = fs::path(cairn::testing::ConformanceDir()) / "buildkit/frontend/dockerfile/parser";
const fs::path kExtracted = fs::path(cairn::testing::ConformanceDir()) / "extracted/buildkit/parser";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> CaseDirs(const fs::path& root) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

json ReadJson(const std::string& name) { return json::parse(ReadAll(kExtracted / name)); }

TEST_F(ConformanceParser, PositiveCasesDumpLikeBuildKit) {
  int passed = 0, total = 0;
  for (const fs::path& dir : CaseDirs(kParserDir / "testfiles")) {
    ++total;
    std::string expected = ReadAll(dir / "result");
    std::string got;
    try {
      got = Dump(Parse(ReadAll(dir / "Dockerfile")));
    } catch (const std::exception& e) {
      got = std::string("error: ") + e.what();
    }
    EXPECT_EQ(got, expected) << "case " << dir.filename();
    if (got == expected) ++passed;
  }
  std::cout << "parser positive cases: " << passed << "/" << total << " pass\n";
  EXPECT_EQ(total, 33);
}

TEST_F(ConformanceParser, NegativeCasesFail) {
  int failed = 0, total = 0;
  for (const fs::path& dir : CaseDirs(kParserDir / "testfiles-negative")) {
    ++total;
    bool threw = false;
    try {
      Parse(ReadAll(dir / "Dockerfile"));
    } catch (const ParseError&) {
      threw = true;
    }
    EXPECT_TRUE(threw) << "case " << dir.filename();
    failed += threw;
  }
  std::cout << "parser negative cases: " << failed << "/" << total << " rejected\n";
  EXPECT_EQ(total, 4);
}

TEST_F(ConformanceParser, LineNumbersCoverContinuationsAndComments) {
  Ast ast = Parse(ReadAll(kParserDir / "testfile-line/Dockerfile"));
  json info = ReadJson("parse_words.json")["line_info"];
  EXPECT_EQ(ast.start_line, info["root"]["StartLine"].get<int>());
  EXPECT_EQ(ast.end_line, info["root"]["EndLine"].get<int>());
  ASSERT_EQ(ast.nodes.size(), info["children"].size());
  for (size_t i = 0; i < ast.nodes.size(); ++i) {
    EXPECT_EQ(ast.nodes[i].start_line, info["children"][i][0].get<int>()) << i;
    EXPECT_EQ(ast.nodes[i].end_line, info["children"][i][1].get<int>()) << i;
  }
}

TEST_F(ConformanceParser, ParseWordsKeepsQuotes) {
  json cases = ReadJson("parse_words.json")["cases"];
  for (const json& c : cases) {
    EXPECT_EQ(ParseWords(c["input"].get<std::string>(), '\\'),
              c["expect"].get<std::vector<std::string>>())
        << c["input"];
  }
  std::cout << "parse_words cases: " << cases.size() << "\n";
}

TEST_F(ConformanceParser, JsonArrays) {
  json doc = ReadJson("json_arrays.json");
  for (const json& c : doc["valid"]) {
    JsonArgs got = ParseJsonArray(c["input"].get<std::string>());
    EXPECT_EQ(got.kind, JsonKind::kStrings) << c["input"];
    EXPECT_EQ(got.values, c["expected"].get<std::vector<std::string>>()) << c["input"];
  }
  for (const json& c : doc["invalid_not_string_array"]) {
    EXPECT_EQ(ParseJsonArray(c.get<std::string>()).kind, JsonKind::kNotStrings) << c;
    EXPECT_THROW(Parse("CMD " + c.get<std::string>()), ParseError) << c;
  }
  std::cout << "json array cases: " << doc["valid"].size() + doc["invalid_not_string_array"].size()
            << "\n";
}

void ExpectHeredocs(const Node& node, const json& expected, const std::string& what) {
  if (expected.is_null()) {
    EXPECT_TRUE(node.heredocs.empty()) << what;
    return;
  }
  ASSERT_EQ(node.heredocs.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    const Heredoc& h = node.heredocs[i];
    const json& e = expected[i];
    EXPECT_EQ(h.name, e["Name"].get<std::string>()) << what;
    EXPECT_EQ(h.fd, e["FileDescriptor"].get<unsigned>()) << what;
    EXPECT_EQ(h.expand, e["Expand"].get<bool>()) << what;
    EXPECT_EQ(h.chomp, e["Chomp"].get<bool>()) << what;
    EXPECT_EQ(h.content, e["Content"].get<std::string>()) << what;
  }
}

TEST_F(ConformanceParser, HeredocExtract) {
  json doc = ReadJson("heredoc_extract.json");
  Ast ast = Parse(doc["dockerfile"].get<std::string>());
  const json& expected = doc["expected"];
  ASSERT_EQ(ast.nodes.size(), expected.size() + 1);
  for (size_t i = 0; i < expected.size(); ++i) {
    ExpectHeredocs(ast.nodes[i + 1], expected[i], "instruction " + ast.nodes[i + 1].original);
  }
  std::cout << "heredoc_extract expectations: " << expected.size() << "\n";
}

TEST_F(ConformanceParser, HeredocHelpers) {
  json doc = ReadJson("heredoc_helpers.json");
  Ast ast = Parse(doc["json_form_no_heredoc"]["dockerfile"].get<std::string>());
  for (size_t i = 1; i < ast.nodes.size(); ++i) EXPECT_TRUE(ast.nodes[i].heredocs.empty());
  EXPECT_EQ(ChompHeredocContent(doc["chomp"]["input"].get<std::string>()),
            doc["chomp"]["expected"].get<std::string>());
  int count = 0;
  for (const json& w : doc["ParseHeredoc_valid_name_EOF"]) {
    auto h = ParseHeredocWord(w.get<std::string>());
    ASSERT_TRUE(h.has_value()) << w;
    EXPECT_EQ(h->name, "EOF") << w;
    ++count;
  }
  for (const json& w : doc["ParseHeredoc_error"]) {
    EXPECT_ANY_THROW(ParseHeredocWord(w.get<std::string>())) << w;
    ++count;
  }
  for (const json& w : doc["ParseHeredoc_not_heredoc"]) {
    EXPECT_FALSE(ParseHeredocWord(w.get<std::string>()).has_value()) << w;
    ++count;
  }
  for (const json& c : doc["heredocsFromLine"]) {
    std::vector<Heredoc> got = HeredocsFromLine(c["line"].get<std::string>());
    std::vector<std::string> names;
    if (!c["names"].is_null()) names = c["names"].get<std::vector<std::string>>();
    // As the Go test: only the heredocs actually returned are compared.
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_LT(i, names.size()) << c["line"];
      EXPECT_EQ(got[i].name, names[i]) << c["line"];
    }
    ++count;
  }
  std::cout << "heredoc helper cases: " << count << "\n";
}

}  // namespace
}  // namespace cairn::frontend

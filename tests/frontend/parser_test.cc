// The syntax layer: what BuildKit's parser would produce for inputs the shared corpus does not
// cover (BOM, CRLF, directives, heredocs, lower-case keywords, unknown instructions).
#include "frontend/go_quote.h"
#include "frontend/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "frontend/directives.h"

namespace cairn::frontend {
namespace {

using ::testing::HasSubstr;

std::string DumpOf(std::string_view text) { return Dump(Parse(text)); }

std::string ErrorOf(std::string_view text) {
  try {
    Parse(text);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(Parser, DumpsFlagsAndArgs) {
  EXPECT_EQ(DumpOf("FROM busybox AS b\nCOPY --from=b --chown=\"a b\" x /y\n"),
            "(from \"busybox\" \"AS\" \"b\")\n(copy [\"--from=b\" \"--chown=a b\"] \"x\" \"/y\")\n");
}

TEST(Parser, InstructionsNotInTheCorpus) {
  EXPECT_EQ(DumpOf("from x\nmaintainer Jo <j@x>\nshell [\"/bin/bash\", \"-c\"]\nstopsignal 9\n"
                   "COPPY a b\n"),
            "(from \"x\")\n(maintainer \"Jo <j@x>\")\n(shell \"/bin/bash\" \"-c\")\n"
            "(stopsignal \"9\")\n(coppy \"\")\n");
}

TEST(Parser, ByteOrderMarkAndCrlf) {
  Ast ast = Parse("\xEF\xBB\xBF" "FROM x\r\nRUN a \\\r\n  b\r\n");
  EXPECT_EQ(Dump(ast), "(from \"x\")\n(run \"a   b\")\n");
  EXPECT_EQ(ast.nodes[1].start_line, 2);
  EXPECT_EQ(ast.nodes[1].end_line, 3);
}

TEST(Parser, KeywordColumnAndOriginal) {
  Ast ast = Parse("FROM x\n   RUN  echo \\\n hi\n");
  EXPECT_EQ(ast.nodes[1].column, 4);
  EXPECT_EQ(ast.nodes[1].original, "RUN  echo  hi");
}

TEST(Parser, EscapeDirectiveChangesContinuation) {
  Ast ast = Parse("# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo\n");
  EXPECT_EQ(ast.directives.escape, '`');
  EXPECT_EQ(Dump(ast), "(from \"x\")\n(run \"dir c:\\\\   && echo\")\n");
}

TEST(Parser, DirectivesOnlyAtTheTop) {
  Ast ast = Parse("# syntax=docker/dockerfile:1\n#  CHECK = skip=all\nFROM x\n# escape=`\n");
  EXPECT_EQ(ast.directives.syntax, "docker/dockerfile:1");
  EXPECT_EQ(ast.directives.check, "skip=all");
  EXPECT_EQ(ast.directives.escape, '\\');
}

TEST(Parser, DirectiveErrors) {
  EXPECT_THAT(ErrorOf("# escape=x\nFROM a\n"),
              HasSubstr("Dockerfile:1:1: invalid escape token 'x' does not match ` or \\"));
  EXPECT_THAT(ErrorOf("# syntax=a\n# syntax=b\nFROM a\n"),
              HasSubstr("Dockerfile:2:1: only one syntax parser directive can be used"));
}

TEST(Parser, CheckDirectiveOptions) {
  CheckOptions o = ParseCheckDirective("skip=JSONArgsRecommended,StageNameCasing;error=true");
  EXPECT_EQ(o.skip, (std::set<std::string>{"JSONArgsRecommended", "StageNameCasing"}));
  EXPECT_TRUE(o.error);
  EXPECT_THROW(ParseCheckDirective("error=maybe"), Error);
  EXPECT_THROW(ParseCheckDirective("bogus=1"), Error);
}

TEST(Parser, EmptyContinuationLineWarns) {
  Ast ast = Parse("FROM x\nRUN a \\\n\n  b\n");
  EXPECT_EQ(Dump(ast), "(from \"x\")\n(run \"a   b\")\n");
  ASSERT_EQ(ast.warnings.size(), 1u);
  EXPECT_THAT(ast.warnings[0], HasSubstr("Empty continuation line"));
}

TEST(Parser, HeredocsAreCollectedAfterTheirLine) {
  Ast ast = Parse("FROM x\nRUN <<A cat > /a && <<-B cat > /b\nline $X\nA\n\tindented\n\tB\nUSER me\n");
  ASSERT_EQ(ast.nodes.size(), 3u);
  const Node& run = ast.nodes[1];
  ASSERT_EQ(run.heredocs.size(), 2u);
  EXPECT_EQ(run.heredocs[0].name, "A");
  EXPECT_EQ(run.heredocs[0].content, "line $X\n");
  EXPECT_TRUE(run.heredocs[1].chomp);
  EXPECT_EQ(run.heredocs[1].content, "\tindented\n");
  EXPECT_EQ(run.end_line, 6);
  EXPECT_EQ(ast.nodes[2].start_line, 7);
}

TEST(Parser, QuotedHeredocDelimiterDisablesExpansion) {
  Ast ast = Parse("FROM x\nCOPY <<\"EOF\" /f\n$HOME\nEOF\n");
  ASSERT_EQ(ast.nodes[1].heredocs.size(), 1u);
  EXPECT_FALSE(ast.nodes[1].heredocs[0].expand);
}

TEST(Parser, HeredocInsideOnbuild) {
  Ast ast = Parse("FROM x\nONBUILD RUN <<EOF\necho hi\nEOF\n");
  ASSERT_EQ(ast.nodes[1].heredocs.size(), 1u);
  EXPECT_EQ(ast.nodes[1].heredocs[0].content, "echo hi\n");
}

TEST(Parser, UnterminatedHeredocIsAnError) {
  EXPECT_THAT(ErrorOf("FROM x\nRUN <<EOF\necho\n"),
              HasSubstr("Dockerfile:2:1: unterminated heredoc"));
}

TEST(Parser, NoInstructions) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("file with no instructions"));
  EXPECT_THAT(ErrorOf("# only\n\n  # comments\n"), HasSubstr("file with no instructions"));
}

TEST(Parser, ErrorsShowTheLineWithACaret) {
  EXPECT_EQ(ErrorOf("FROM x\n\tCMD [\"a\", 1]\n"),
            "Dockerfile:2:2: when using JSON array syntax, arrays must be comprised of strings "
            "only\n 2 | \tCMD [\"a\", 1]\n   | \t^");
}

TEST(Parser, GoQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c\td\x01\x7f\xff \xE2\x99\xA5"), "\"a\\\"b\\\\c\\td\\x01\\x7f\\xff \xE2\x99\xA5\"");
  EXPECT_EQ(GoQuote("\xC2\x85"), "\"\\u0085\"");
}

TEST(Parser, FlagsWithQuotedSpacesAndEndOfFlags) {
  EXPECT_EQ(DumpOf("FROM x\nRUN --mount=\"type=bind,target=/a b\" -- --not-a-flag\n"),
            "(from \"x\")\n(run [\"--mount=type=bind,target=/a b\"] \"--not-a-flag\")\n");
  EXPECT_EQ(DumpOf("FROM x\nCOPY --chown=a\\ b --x=\"unterminated y z\n"),
            "(from \"x\")\n(copy [\"--chown=a b\" \"--x=unterminated y z\"])\n");
}

TEST(Parser, AntlrNeverPrints) {
  ::testing::internal::CaptureStderr();
  for (const char* text : {"FROM x\nCMD [\"a\", @#]\n", "FROM x\nRUN --a=\"b\n", "\x01\xff --\n",
                           "FROM x\nCOPY [\"a\" \"b\"]\n", "FROM x\nCMD [\"\\q\"]\n", "-- --\n"}) {
    try {
      Parse(text);
    } catch (const ParseError&) {
    }
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Parser, HugeLinesAndDeepNestingAreHandled) {
  std::string huge(1 << 20, 'x');
  EXPECT_EQ(Parse("# a=" + huge + "\nFROM a\nRUN " + huge + "\n").nodes.size(), 2u);
  EXPECT_THAT(ErrorOf("FROM a\nCMD " + std::string(100000, '[') + std::string(100000, ']') + "\n"),
              HasSubstr("arrays must be comprised of strings only"));
  EXPECT_EQ(DumpOf("FROM a\nCMD " + std::string(100000, '[') + "\n").size(), 100020u);  // shell form
  std::string e = ErrorOf("FROM a\nCMD [1, \"" + huge + "\"]\n");
  EXPECT_LT(e.size(), 600u) << "the snippet shows a window of the line, not all of it";
}

}  // namespace
}  // namespace cairn::frontend

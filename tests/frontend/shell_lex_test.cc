// Behaviour of Dockerfile word expansion as a Dockerfile author sees it.
#include "frontend/shell_lex.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"

namespace cairn::frontend {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const EnvLookup kEnv = EnvFromList({"HOME=/root", "EMPTY=", "VERSION=1.2.3", "SPACED=a  b",
                                    "FILE=archive.tar.gz", "名前=yuki"});

std::string Word(std::string_view w, ShellLexOptions o = {}) {
  return ShellLex(o).ProcessWord(w, kEnv);
}

std::string ErrorOf(std::string_view w) {
  try {
    ShellLex().ProcessWord(w, kEnv);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ShellLex, ExpandsPlainAndBracedVariables) {
  EXPECT_EQ(Word("$HOME/app"), "/root/app");
  EXPECT_EQ(Word("${HOME}app"), "/rootapp");
  EXPECT_EQ(Word("v$VERSION-$UNSET."), "v1.2.3-.");
}

TEST(ShellLex, DefaultAndAlternativeValues) {
  EXPECT_EQ(Word("${UNSET:-fallback}"), "fallback");
  EXPECT_EQ(Word("${EMPTY:-fallback}"), "fallback");
  EXPECT_EQ(Word("${EMPTY-fallback}"), "");  // set-but-empty counts as set without ':'
  EXPECT_EQ(Word("${HOME:+yes}"), "yes");
  EXPECT_EQ(Word("${EMPTY:+yes}"), "");
  EXPECT_EQ(Word("${EMPTY+yes}"), "yes");
  EXPECT_EQ(Word("${UNSET:-${HOME:-x}}"), "/root");
}

TEST(ShellLex, RequiredVariablesFailWithTheirMessage) {
  EXPECT_THAT(ErrorOf("${UNSET:?set UNSET with --build-arg}"),
              HasSubstr("UNSET: set UNSET with --build-arg"));
  EXPECT_THAT(ErrorOf("${UNSET?}"), HasSubstr("UNSET: is not allowed to be unset"));
  EXPECT_THAT(ErrorOf("${EMPTY:?}"), HasSubstr("EMPTY: is not allowed to be empty"));
  EXPECT_EQ(Word("${EMPTY?}"), "");
}

TEST(ShellLex, PrefixAndSuffixRemoval) {
  EXPECT_EQ(Word("${FILE%.*}"), "archive.tar");
  EXPECT_EQ(Word("${FILE%%.*}"), "archive");
  EXPECT_EQ(Word("${FILE#*.}"), "tar.gz");
  EXPECT_EQ(Word("${FILE##*.}"), "gz");
  EXPECT_EQ(Word("${VERSION%.?}"), "1.2");
}

TEST(ShellLex, PatternReplacement) {
  EXPECT_EQ(Word("${VERSION/./-}"), "1-2.3");
  EXPECT_EQ(Word("${VERSION//./-}"), "1-2-3");
  EXPECT_EQ(Word("${HOME//\\//:}"), ":root");
  // Go's ReplaceAllString: no second replacement for the empty match right after a match.
  EXPECT_EQ(Word("${VERSION//*/X}"), "X");
  EXPECT_EQ(Word("${EMPTY//*/X}"), "X");
}

TEST(ShellLex, QuotesAndEscapes) {
  EXPECT_EQ(Word("'$HOME'"), "$HOME");
  EXPECT_EQ(Word("\"$HOME\""), "/root");
  EXPECT_EQ(Word("\\$HOME"), "$HOME");
  EXPECT_EQ(Word("\"a\\tb\""), "a\\tb");  // inside "..." \ only escapes " $ and \ .
  EXPECT_EQ(Word("a\\tb"), "atb");
}

TEST(ShellLex, BacktickEscapeMakesBackslashLiteral) {
  ShellLexOptions o;
  o.escape = '`';
  EXPECT_EQ(Word("C:\\path\\$HOME", o), "C:\\path\\/root");
  EXPECT_EQ(Word("`$HOME", o), "$HOME");
  EXPECT_EQ(Word("\"say `\"hi`\"\"", o), "say \"hi\"");
}

TEST(ShellLex, UnicodeVariableNames) { EXPECT_EQ(Word("$名前!"), "yuki!"); }

TEST(ShellLex, PositionalAndSpecialParametersAreEmpty) {
  EXPECT_EQ(Word("a$1b"), "ab");
  EXPECT_EQ(Word("a$@b"), "ab");
  EXPECT_EQ(Word("cost: 5$"), "cost: 5$");
}

TEST(ShellLex, SyntaxErrorsNameTheWord) {
  EXPECT_EQ(ErrorOf("${HOME"), "failed to process \"${HOME\": syntax error: missing '}'");
  EXPECT_THAT(ErrorOf("${}"), HasSubstr("bad substitution"));
  EXPECT_THAT(ErrorOf("${HOME:=x}"), HasSubstr("unsupported modifier (:=)"));
  EXPECT_THAT(ErrorOf("'open"), HasSubstr("matching single-quote"));
  EXPECT_THAT(ErrorOf("\"open"), HasSubstr("matching double-quote"));
  EXPECT_THAT(ErrorOf("${HOME#\\x}"), HasSubstr("invalid escape"));
}

TEST(ShellLex, ProcessWordsSplitsOnlyUnquotedWhitespace) {
  ShellLex lex;
  EXPECT_THAT(lex.ProcessWords("a $SPACED c", kEnv), ElementsAre("a", "a", "b", "c"));
  EXPECT_THAT(lex.ProcessWords("\"$SPACED\" 'x y' z\\ w", kEnv),
              ElementsAre("a  b", "x y", "z w"));
  EXPECT_THAT(lex.ProcessWords("  ", kEnv), ElementsAre());
}

// BuildKit's ProcessWords shares one buffer with nested ${V:-w} scans and so drops "80" here
// (EXPOSE 80${P:-/tcp} -> "/tcp"); cairn deliberately keeps the text, as ProcessWord does.
TEST(ShellLex, ProcessWordsKeepsTextBeforeANestedDefault) {
  EXPECT_THAT(ShellLex().ProcessWords("80${P:-/tcp} 443", kEnv), ElementsAre("80/tcp", "443"));
}

TEST(ShellLex, SkipUnsetEnvKeepsReferencesAsWritten) {
  ShellLexOptions o;
  o.skip_unset_env = true;
  EXPECT_EQ(Word("$UNSET/${UNSET}/${UNSET:-d}/$HOME", o), "$UNSET/${UNSET}/${UNSET:-d}//root");
}

TEST(ShellLex, RawQuotesKeepQuoteCharacters) {
  ShellLexOptions o;
  o.raw_quotes = true;
  EXPECT_EQ(Word("'a'\"$HOME\"", o), "'a'\"/root\"");
}

TEST(ShellLex, ReportsWhichVariablesWereUsed) {
  ShellWordResult r = ShellLex().ProcessWordWithMatches("$HOME ${NOPE:-x} $HOME", kEnv);
  EXPECT_THAT(r.matched, ElementsAre("HOME"));
  EXPECT_THAT(r.unmatched, ElementsAre("NOPE"));
}

}  // namespace
}  // namespace cairn::frontend

// Here-documents as the builder receives them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan_helpers.h"

namespace cairn::frontend {
namespace {

using ::testing::HasSubstr;
using namespace cairn::frontend::testing;
using Argv = std::vector<std::string>;

TEST(LowerHeredoc, RunWithOnlyAHeredocRunsTheBodyAsAScript) {
  plan::Plan p = Lower("FROM busybox\nRUN <<EOF\necho a\necho b\nEOF\n");
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  EXPECT_EQ(run.argv, (Argv{"/bin/sh", "-c", "echo a\necho b\n"}));
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
}

TEST(LowerHeredoc, RunWithShebangExecutesTheInterpreter) {
  plan::Plan p = Lower("FROM busybox\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n");
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  ASSERT_EQ(run.argv.size(), 3u);
  EXPECT_THAT(run.argv[2], HasSubstr("#!/usr/bin/env python3\nprint(1)\nEOF\n"));
  EXPECT_THAT(run.argv[2], HasSubstr("chmod +x"));
}

TEST(LowerHeredoc, RunWithHeredocInsideACommandPassesItToTheShell) {
  plan::Plan p = Lower("FROM busybox\nRUN cat <<A > /a && cat <<-B > /b\nx\nA\n\ty\n\tB\n");
  const auto& run = ActionOf<plan::RunAction>(LastStep(p));
  EXPECT_EQ(run.argv, (Argv{"/bin/sh", "-c", "cat <<A > /a && cat <<-B > /b\nx\nA\n\ty\nB"}));
  ASSERT_EQ(run.heredocs.size(), 2u);
  EXPECT_EQ(run.heredocs[1].content, "y\n");  // <<- strips leading tabs
  EXPECT_TRUE(run.heredocs[1].chomp_tabs);
}

TEST(LowerHeredoc, CopyHeredocIsExpandedUnlessQuoted) {
  plan::Plan p = Lower(
      "FROM busybox\nENV NAME=world\nCOPY <<A <<\"B\" /etc/\nhello $NAME \"q\"\nA\nraw $NAME\nB\n");
  const plan::Step& s = LastStep(p);
  const auto& c = ActionOf<plan::CopyAction>(s);
  EXPECT_TRUE(c.sources.empty());
  ASSERT_EQ(c.inline_sources.size(), 2u);
  EXPECT_EQ(c.inline_sources[0].name, "A");
  EXPECT_EQ(c.inline_sources[0].content, "hello world \"q\"\n");
  EXPECT_EQ(c.inline_sources[1].content, "raw $NAME\n");
  EXPECT_EQ(c.dest, "/etc");
  EXPECT_TRUE(c.dest_is_dir);
  EXPECT_EQ(s.created_by, "COPY <<A <<B /etc/ # buildkit");
}

TEST(LowerHeredoc, CopyMixesFilesAndHeredocs) {
  plan::Plan p = Lower("FROM scratch\nCOPY a.txt <<EOF /d/\nbody\nEOF\n");
  const auto& c = ActionOf<plan::CopyAction>(LastStep(p));
  EXPECT_EQ(c.sources, Argv{"a.txt"});
  ASSERT_EQ(c.inline_sources.size(), 1u);
}

TEST(LowerHeredoc, HeredocDestinationIsRejected) {
  EXPECT_THAT(ErrorOf("FROM scratch\nCOPY a <<EOF\nx\nEOF\n"),
              HasSubstr("COPY cannot accept a heredoc as a destination"));
}

TEST(LowerHeredoc, OnbuildTriggerKeepsItsHeredoc) {
  plan::Plan p = Lower("FROM scratch\nONBUILD RUN <<EOF\necho hi\nEOF\n");
  EXPECT_EQ(LastStep(p).config.onbuild, Argv{"RUN <<EOF\necho hi\nEOF"});
  FakeImages images;
  images["base"].onbuild = {"RUN <<EOF\necho hi\nEOF"};
  p = Lower("FROM base\n", images);
  EXPECT_EQ(ActionOf<plan::RunAction>(LastStep(p)).argv, (Argv{"/bin/sh", "-c", "echo hi\n"}));
}

TEST(LowerHeredoc, JsonFormHasNoHeredoc) {
  plan::Plan p = Lower("FROM busybox\nRUN [\"echo\", \"<<EOF\"]\nUSER x\n");
  EXPECT_EQ(ActionOf<plan::RunAction>(TargetSteps(p)[0]).argv, (Argv{"echo", "<<EOF"}));
}

}  // namespace
}  // namespace cairn::frontend

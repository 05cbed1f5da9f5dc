// The live view's layout (builder/progress_view.h) and the rawjson stream, without a terminal.
#include "builder/progress_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "builder/progress_rawjson.h"

namespace cairn::builder {
namespace {

using State = ViewEntry::State;
using ::testing::ElementsAre;

ViewEntry Step(int id, std::string name, State state, double started, double ended = 0) {
  ViewEntry e;
  e.id = id;
  e.name = std::move(name);
  e.state = state;
  e.started = started;
  e.ended = ended;
  return e;
}

std::vector<std::string> Texts(const std::vector<ViewLine>& lines) {
  std::vector<std::string> out;
  for (auto& l : lines) out.push_back(l.text);
  return out;
}

TEST(ProgressView, RunningStepShowsTimerAndLastSixLinesFinishedOnesOneLine) {
  ViewModel m;
  m.started = 100;
  m.entries.push_back(Step(1, "[1/3] FROM busybox", State::kDone, 100, 100.04));
  m.entries.push_back(Step(2, "[2/3] RUN make", State::kRunning, 100.1));
  for (int i = 1; i <= 8; ++i) m.entries.back().output.push_back("line " + std::to_string(i));
  ViewStyle style;
  style.width = 40;
  style.color = false;
  EXPECT_THAT(Texts(RenderView(m, 102.5, style)),
              ElementsAre("[+] Building 2.5s (1/2)", " => [1/3] FROM busybox             0.0s",
                          " => [2/3] RUN make                 2.4s", " => => # line 3", " => => # line 4",
                          " => => # line 5", " => => # line 6", " => => # line 7", " => => # line 8"));
  EXPECT_EQ(RenderView(m, 102.5, style)[1].text.size(), 39u) << "the time ends one column short of the edge";
  m.entries.back().state = State::kDone;
  m.entries.back().ended = 103;
  style.final = true;
  EXPECT_THAT(Texts(RenderView(m, 103, style)),
              ElementsAre("[+] Building 3.0s (2/2) FINISHED", " => [1/3] FROM busybox             0.0s",
                          " => [2/3] RUN make                 2.9s"));
}

TEST(ProgressView, FailedStepKeepsAllItsOutputAndIsRed) {
  ViewModel m;
  m.entries.push_back(Step(1, "[2/2] RUN false", State::kFailed, 0, 0.2));
  for (int i = 1; i <= 10; ++i) m.entries.back().output.push_back(std::to_string(i));
  ViewStyle style;
  style.final = true;
  auto lines = RenderView(m, 1, style);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[1].text.rfind(" => ERROR [2/2] RUN false", 0), 0u);
  EXPECT_EQ(lines[1].sgr, "31");
  EXPECT_EQ(lines[0].text, "[+] Building 1.0s (1/1) FAILED");
  EXPECT_EQ(lines[11].text, " => => # 10");
}

TEST(ProgressView, CachedStepsAreMarkedAndColouredOnlyWithColour) {
  ViewModel m;
  m.entries.push_back(Step(1, "[2/2] COPY a /", State::kCached, 0, 0));
  ViewStyle style;
  EXPECT_EQ(RenderView(m, 1, style)[1].sgr, "34");
  EXPECT_EQ(RenderView(m, 1, style)[1].text.rfind(" => CACHED [2/2] COPY a /", 0), 0u);
  style.color = false;
  EXPECT_EQ(RenderView(m, 1, style)[1].sgr, "");
}

TEST(ProgressView, TallBuildsDropFinishedStepsFirstWhileLive) {
  ViewModel m;
  for (int i = 1; i <= 30; ++i) m.entries.push_back(Step(i, "step " + std::to_string(i), State::kDone, 0, 1));
  m.entries[2].state = State::kRunning;
  ViewStyle style;
  style.height = 10;
  auto lines = Texts(RenderView(m, 2, style));
  ASSERT_EQ(lines.size(), 9u);  // one row stays free for the cursor
  EXPECT_EQ(lines[1].rfind(" => step 3 ", 0), 0u) << "the running step stays";
  EXPECT_EQ(lines[8].rfind(" => step 30 ", 0), 0u);
  style.final = true;
  EXPECT_EQ(RenderView(m, 2, style).size(), 31u) << "the final frame has every step";
}

TEST(ProgressView, LinesNeverExceedTheWidth) {
  ViewModel m;
  m.entries.push_back(Step(1, "[2/2] RUN " + std::string(200, 'x'), State::kRunning, 0));
  m.entries.back().output.push_back(std::string(300, 'y') + "é");
  ViewStyle style;
  style.width = 30;
  for (auto& l : RenderView(m, 1, style)) EXPECT_LE(l.text.size(), 29u) << l.text;
  EXPECT_EQ(RenderView(m, 1, style)[1].text.substr(25), "1.0s");
}

TEST(ProgressView, OutputLinesAreCleaned) {
  EXPECT_EQ(CleanOutputLine("10%\r50%\r100%"), "100%");
  EXPECT_EQ(CleanOutputLine("\x1b[31mred\x1b[0m\tend\r"), "red    end");
  EXPECT_EQ(CutToColumns("héllo", 2), "hé");
  EXPECT_EQ(FormatSeconds(0.04), "0.0s");
  EXPECT_EQ(FormatSeconds(125), "2m05s");
  EXPECT_EQ(FormatBytes(1520000), "1.5MB");
  EXPECT_EQ(FormatBytes(512), "512B");
}

TEST(RawJson, EachEventIsOneSolveStatusLine) {
  std::FILE* f = std::tmpfile();
  {
    RawJsonProgress p(f);
    p.Started(1, "[2/2] RUN echo hi");
    p.Output(1, "hi");
    p.Done(1, 0.1);
    p.Note("warning: something");
  }
  std::rewind(f);
  std::vector<nlohmann::json> lines;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) lines.push_back(nlohmann::json::parse(buf));
  std::fclose(f);
  ASSERT_EQ(lines.size(), 5u);  // started, log, completed, the internal vertex, the warning
  std::string digest = lines[0]["vertexes"][0]["digest"];
  EXPECT_EQ(lines[1]["logs"][0]["vertex"], digest);
  EXPECT_EQ(lines[1]["logs"][0]["data"], "aGkK");  // "hi\n"
  EXPECT_EQ(lines[1]["logs"][0]["stream"], 1);
  EXPECT_TRUE(lines[2]["vertexes"][0].contains("completed"));
  EXPECT_EQ(lines[3]["vertexes"][0]["name"], "[internal] cairn");
  EXPECT_EQ(lines[4]["warnings"][0]["short"], Base64("warning: something"));
  EXPECT_EQ(Base64("ab"), "YWI=");
}

}  // namespace
}  // namespace cairn::builder

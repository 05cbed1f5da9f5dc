// Issue 24: the live view in a real terminal (tmux from Debian renders the screen we assert on),
// plain lines when piped, quiet, rawjson, and the --call modes, through the real binary as root.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/store/registry/test_registry.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

// A detached tmux server on its own socket running one shell command in a width x height pane.
// The pane stays after the command ends (it prints EXIT=<code> and sleeps), so the final screen
// can be read.
class Tmux {
 public:
  Tmux(const std::string& command, int width, int height, const std::vector<std::string>& env = {}) {
    static int n = 0;
    socket_ = "cairn-progress-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
    std::string prefix;
    for (auto& e : env) prefix += e + " ";
    auto r = RunCommand({"tmux", "-L", socket_, "-f", "/dev/null", "new-session", "-d", "-x", std::to_string(width), "-y",
                         std::to_string(height), "-s", "main",
                         prefix + command + "; echo EXIT=$?; sleep 600"});
    if (r.exit_code != 0) throw std::runtime_error("tmux new-session: " + r.err);
  }
  ~Tmux() { RunCommand({"tmux", "-L", socket_, "kill-server"}); }

  // The visible screen plus scrollback; with escapes (-e) to see colours. Trailing blanks are cut
  // from each row: -J (join wrapped rows) also keeps the cells an erase-to-end-of-line blanked,
  // so a row that once held "out-line-10" reads "out-line-1 " after a redraw.
  std::string Screen(bool escapes = false) {
    std::vector<std::string> argv = {"tmux", "-L", socket_, "capture-pane", "-p", "-J", "-S", "-500", "-t", "main"};
    if (escapes) argv.push_back("-e");
    return std::regex_replace(RunCommand(argv).out, std::regex(" +\n"), "\n");
  }
  void Type(const std::string& keys) { RunCommand({"tmux", "-L", socket_, "send-keys", "-t", "main", keys, "Enter"}); }
  void Resize(int width, int height) {
    RunCommand({"tmux", "-L", socket_, "resize-window", "-t", "main", "-x", std::to_string(width), "-y", std::to_string(height)});
  }
  void Key(const std::string& key) { RunCommand({"tmux", "-L", socket_, "send-keys", "-t", "main", key}); }
  // Polls the screen until it matches `re` (or `seconds` pass); returns the screen it saw last.
  std::string WaitFor(const std::string& re, double seconds = 60) {
    std::regex pattern(re);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::string screen;
    while (std::chrono::steady_clock::now() < end) {
      screen = Screen();
      if (std::regex_search(screen, pattern)) return screen;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return screen;
  }

 private:
  std::string socket_;
};

class Progress : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new TempDir();
    ImportBusybox(store_->path());
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static std::string Root() { return store_->path(); }
  std::string BuildCommand(const std::string& extra = "") {
    return std::string(CAIRN_BINARY) + " --root " + Root() + " build " + extra + " " + ctx_.path();
  }

  static TempDir* store_;
  TempDir ctx_;
};
TempDir* Progress::store_ = nullptr;

TEST_F(Progress, LiveViewShowsARunningTimerThenCollapsedStepsAndASummary) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo live-output-$((6*7)) | tee /out && sleep 2\nRUN echo done > /done\n");
  Tmux tmux(BuildCommand("-t live:1"), 100, 30);
  // While the sleep runs: its line with a timer that has passed one second, its output under it.
  tmux.WaitFor("=> => # live-output-42", 30);  // the container has started and printed
  std::string running = tmux.WaitFor(R"(=> \[2/3\] RUN echo live-output-\$\(\(6\*7\)\) \| tee /out && sleep 2 +1\.[0-9]s)", 30);
  EXPECT_NE(running.find("[+] Building"), std::string::npos) << running;
  EXPECT_NE(running.find("=> => # live-output-42"), std::string::npos) << running;
  EXPECT_EQ(running.find("Built in"), std::string::npos) << running;
  std::string done = tmux.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(done.find("EXIT=0"), std::string::npos) << done;
  // Finished: every step one line with its time, the output gone, then the summary and the ID.
  EXPECT_TRUE(std::regex_search(done, std::regex(R"(=> \[2/3\] RUN echo live-output-\$\(\(6\*7\)\) \| tee /out && sleep 2 +[2-9]\.[0-9]s\n)"))) << done;
  EXPECT_EQ(done.find("=> => # live-output-42"), std::string::npos) << done;
  EXPECT_TRUE(std::regex_search(done, std::regex(R"(\[\+\] Building [0-9.]+s \(3/3\) FINISHED)"))) << done;
  EXPECT_TRUE(std::regex_search(done, std::regex(R"(Built in [0-9.]+s: 3 steps, 3 run, 0 cached; 2 layers written \([0-9.]+[kM]?B\))")))
      << done;
  EXPECT_TRUE(std::regex_search(done, std::regex("\nsha256:[0-9a-f]{64}\n"))) << done;

  // The same build again: both steps are cache hits, marked on their lines and counted.
  Tmux again(BuildCommand("-t live:1"), 100, 30);
  std::string cached = again.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(cached.find("=> CACHED [2/3] RUN echo live-output"), std::string::npos) << cached;
  EXPECT_NE(cached.find("=> CACHED [3/3] RUN echo done"), std::string::npos) << cached;
  EXPECT_NE(cached.find(": 3 steps, 1 run, 2 cached; 0 layers written"), std::string::npos) << cached;
}

TEST_F(Progress, AFailedStepKeepsAllItsOutputOnTheScreenThenTheError) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN for i in $(seq 1 15); do echo out-line-$i; done; exit 3\n");
  Tmux tmux(BuildCommand(), 100, 50);
  std::string screen = tmux.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(screen.find("EXIT=1"), std::string::npos) << screen;
  EXPECT_NE(screen.find("=> ERROR [2/2] RUN for i in"), std::string::npos) << screen;
  for (int i = 1; i <= 15; ++i)  // more than the six a running step shows
    EXPECT_NE(screen.find("=> => # out-line-" + std::to_string(i) + "\n"), std::string::npos) << i << "\n" << screen;
  EXPECT_NE(screen.find("FAILED"), std::string::npos) << screen;
  size_t error = screen.find("cairn: Dockerfile:2:");
  ASSERT_NE(error, std::string::npos) << screen;
  EXPECT_GT(error, screen.find("=> => # out-line-15")) << "the located error comes after the output\n" << screen;
}

TEST_F(Progress, CtrlCLeavesTheLastFrameAndTheReason) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo started-$((1+1)) && sleep 30\n");
  Tmux tmux(BuildCommand(), 100, 30);
  std::string running = tmux.WaitFor(R"(=> => # started-2)", 30);
  ASSERT_NE(running.find("started-2"), std::string::npos) << running;
  tmux.Key("C-c");
  std::string screen = tmux.WaitFor("EXIT=[0-9]+", 20);
  EXPECT_NE(screen.find("EXIT=1"), std::string::npos) << screen;
  EXPECT_NE(screen.find("=> ERROR [2/2] RUN echo started-$((1+1)) && sleep 30"), std::string::npos) << screen;
  EXPECT_NE(screen.find("FAILED"), std::string::npos) << screen;
  EXPECT_NE(screen.find("cancelled"), std::string::npos) << screen;
  EXPECT_EQ(std::count(screen.begin(), screen.end(), '\x1b'), 0) << "no stray escapes left on the screen";
}

TEST_F(Progress, NarrowTerminalCutsLinesInsteadOfWrapping) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo a-very-long-command-line-that-does-not-fit-in-forty-columns-at-all > /x\n");
  Tmux tmux(BuildCommand(), 40, 20);
  std::string screen = tmux.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(screen.find("EXIT=0"), std::string::npos) << screen;
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("=> ") != std::string::npos) {
      EXPECT_LE(line.size(), 39u) << line;
    }
  }
  EXPECT_TRUE(std::regex_search(screen, std::regex(R"(=> \[2/2\] RUN echo a-very-lon[^\n]* [0-9]+\.[0-9]s\n)"))) << screen;
}

TEST_F(Progress, AResizeTakesEffectOnTheNextFrame) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo resize-me-$((3*3)) && sleep 2 && echo with-a-long-tail-of-words-after-it\n");
  Tmux tmux(BuildCommand(), 120, 30);
  tmux.WaitFor("resize-me-9", 30);
  tmux.Resize(50, 30);
  std::string all = tmux.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(all.find("EXIT=0"), std::string::npos) << all;
  // The frames after the resize are drawn below the one the terminal reflowed; the last is whole.
  std::string screen = all.substr(all.rfind("[+] Building"));
  EXPECT_TRUE(std::regex_search(screen, std::regex(R"(\n => \[2/2\] RUN echo resize-me[^\n]{10,30} [0-9]\.[0-9]s\n)"))) << screen;
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" => ") == 0) {
      EXPECT_LE(line.size(), 49u) << line;
    }
  }
}

TEST_F(Progress, ColoursUnlessNoColorIsSet) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN true\n");
  Tmux coloured(BuildCommand(), 100, 30, {"env -u NO_COLOR"});
  coloured.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(coloured.Screen(true).find("\x1b[34m"), std::string::npos) << coloured.Screen(true);
  Tmux plain(BuildCommand(), 100, 30, {"env NO_COLOR=1"});
  std::string screen = plain.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(screen.find("FINISHED"), std::string::npos) << screen;
  EXPECT_EQ(plain.Screen(true).find("\x1b[34m"), std::string::npos) << plain.Screen(true);
}

TEST_F(Progress, APipedBuildPrintsPlainLines) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo piped-output\n");
  auto r = Cairn(Root(), {"build", ctx_.path()});  // stderr is a pipe: auto means plain
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("#2 [2/2] RUN echo piped-output\n"), std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(#2 [0-9.]+ piped-output\n)"))) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex(R"(#2 DONE [0-9.]+s\n)"))) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "no escapes in a log file";
}

TEST_F(Progress, QuietPrintsOnlyTheImageId) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo noisy\n");
  for (const char* flag : {"-q", "--quiet", "--progress=quiet"}) {
    auto r = Cairn(Root(), {"build", flag, ctx_.path()});
    ASSERT_EQ(r.exit_code, 0) << flag << r.err;
    EXPECT_TRUE(std::regex_match(r.out, std::regex("sha256:[0-9a-f]{64}\n"))) << flag << r.out;
    EXPECT_EQ(r.err, "") << flag;
  }
  auto bad = Cairn(Root(), {"build", "-q", "--progress", "plain", ctx_.path()});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--quiet and --progress plain"), std::string::npos) << bad.err;
}

TEST_F(Progress, RawJsonIsBuildKitsSolveStatusOneObjectALine) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nRUN echo raw-$((1+1))\n");
  auto r = Cairn(Root(), {"build", "--no-cache", "--progress=rawjson", ctx_.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.err);
  std::map<std::string, json> vertexes;  // digest -> last state
  bool saw_log = false;
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    json j = json::parse(line);  // every line parses on its own
    for (auto& v : j.value("vertexes", json::array())) vertexes[v["digest"]] = v;
    for (auto& l : j.value("logs", json::array())) {
      EXPECT_TRUE(l.contains("vertex") && l.contains("timestamp") && l.contains("data")) << line;
      if (l["data"] == "cmF3LTIK") saw_log = true;  // base64 of "raw-2\n"
    }
  }
  EXPECT_GT(n, 4);
  EXPECT_TRUE(saw_log) << r.err;
  bool run_done = false;
  for (auto& [digest, v] : vertexes) {
    EXPECT_TRUE(std::regex_match(digest, std::regex("sha256:[0-9a-f]{64}")));
    if (v["name"] == "[2/2] RUN echo raw-$((1+1))") {
      run_done = v.contains("started") && v.contains("completed") && !v.contains("error");
      EXPECT_TRUE(std::regex_match(v["completed"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
    }
  }
  EXPECT_TRUE(run_done) << r.err;
}

TEST_F(Progress, CheckPrintsEachFindingWithItsLineAndAFixAndBuildsNothing) {
  WriteTextFile(ctx_ / ".dockerignore", "secret.txt\n");
  WriteTextFile(ctx_ / "secret.txt", "s\n");
  WriteTextFile(ctx_ / "Dockerfile",
                "FROM busybox AS base\nFROM busybox AS base\nCOPY secret.txt /\nENV A=$UNDEFINED_THING\nEXPOSE 80:80\nCMD echo hi\n");
  auto r = Cairn(Root(), {"build", "--check", "-t", "never:built", ctx_.path()});
  EXPECT_EQ(r.exit_code, 0) << "warnings only" << r.err;
  for (const char* rule : {"DuplicateStageName", "CopyIgnoredFile", "UndefinedVar", "ExposeInvalidFormat", "JSONArgsRecommended"})
    EXPECT_NE(r.out.find(std::string("WARN: ") + rule + " - https://docs.docker.com/go/dockerfile/rule/"), std::string::npos)
        << rule << "\n" << r.out;
  EXPECT_NE(r.out.find("Check complete, 5 warnings have been found!"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Usage of undefined variable '$UNDEFINED_THING'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Dockerfile:4\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("   4 | >>> ENV A=$UNDEFINED_THING"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fix: Declare it with ARG or ENV"), std::string::npos) << r.out;
  EXPECT_NE(Cairn(Root(), {"inspect", "never:built"}).exit_code, 0) << "a check builds nothing";

  WriteTextFile(ctx_ / "Dockerfile", "# check=error=true\nFROM busybox\nCMD echo hi\n");
  auto failing = Cairn(Root(), {"build", "--call=check", ctx_.path()});
  EXPECT_EQ(failing.exit_code, 1) << failing.out;
  EXPECT_NE(failing.out.find("ERROR: JSONArgsRecommended"), std::string::npos) << failing.out;

  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nCMD [\"sh\"]\n");
  auto clean = Cairn(Root(), {"build", "--call", "check", ctx_.path()});
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.out, "Check complete, no warnings found.\n");
}

TEST_F(Progress, OutlineAndTargetsDescribeTheDockerfile) {
  WriteTextFile(ctx_ / "Dockerfile",
                "ARG BASE=busybox\n"
                "# base the shared base\n"
                "FROM $BASE AS base\n"
                "# VERSION which release to label\n"
                "ARG VERSION=1.0\n"
                "FROM busybox AS unused\n"
                "ARG UNUSED=x\n"
                "# release the image we ship\n"
                "FROM base AS release\n"
                "RUN --mount=type=secret,id=token,required=true true\n");
  auto outline = Cairn(Root(), {"build", "--call=outline", "--build-arg", "VERSION=2.0", ctx_.path()});
  ASSERT_EQ(outline.exit_code, 0) << outline.err;
  EXPECT_NE(outline.out.find("TARGET:      release\nDESCRIPTION: the image we ship\n"), std::string::npos) << outline.out;
  EXPECT_TRUE(std::regex_search(outline.out, std::regex(R"(\nBUILD ARG +VALUE +DESCRIPTION\nBASE +busybox +\nVERSION +2\.0 +which release to label\n)")))
      << outline.out;
  EXPECT_EQ(outline.out.find("UNUSED"), std::string::npos) << "release does not need stage unused\n" << outline.out;
  EXPECT_TRUE(std::regex_search(outline.out, std::regex(R"(\nSECRET +REQUIRED\ntoken +true\n)"))) << outline.out;

  auto targets = Cairn(Root(), {"build", "--call=targets", ctx_.path()});
  ASSERT_EQ(targets.exit_code, 0) << targets.err;
  EXPECT_TRUE(std::regex_search(targets.out, std::regex(
      R"(^TARGET +DESCRIPTION\nbase +the shared base\nunused +\nrelease \(default\) +the image we ship\n$)"))) << targets.out;

  auto bad = Cairn(Root(), {"build", "--call=lint", ctx_.path()});
  EXPECT_NE(bad.err.find("--call lint: unknown (use build, check, outline or targets)"), std::string::npos) << bad.err;
}

TEST_F(Progress, PushPullAndABuildsPullReportBytesTotalAndRate) {
  store::registry::testing::TestRegistry registry;
  std::string ref = registry.host() + "/team/meter:1";
  std::vector<std::string> env = {"DOCKER_CONFIG=" + (ctx_ / "docker"), "CAIRN_REGISTRIES_CONFIG="};
  ASSERT_EQ(Cairn(Root(), {"tag", "busybox", ref}).exit_code, 0);
  auto push = Cairn(Root(), {"push", ref}, env);
  ASSERT_EQ(push.exit_code, 0) << push.err << registry.log();
  const std::string total = R"(: [0-9.]+[kM]?B in [0-9.]+s \([0-9.]+[kM]?B/s\)\n)";
  EXPECT_TRUE(std::regex_search(push.err, std::regex("(^|\n)push" + total))) << push.err;

  TempDir fresh;
  auto pull = Cairn(fresh.path(), {"pull", ref}, env);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_TRUE(std::regex_search(pull.err, std::regex("(^|\n)pull" + total))) << pull.err;

  TempDir other;
  WriteTextFile(ctx_ / "Dockerfile", "FROM " + ref + "\nRUN true\n");
  auto build = Cairn(other.path(), {"build", "--progress=plain", ctx_.path()}, env);
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_TRUE(std::regex_search(build.err, std::regex("\npull" + total))) << build.err;

  // rawjson: each blob's pull is a BuildKit status, ending complete with all its bytes.
  TempDir third;
  auto raw = Cairn(third.path(), {"build", "--progress=rawjson", ctx_.path()}, env);
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  std::istringstream lines(raw.err);
  int completed = 0;
  for (std::string line; std::getline(lines, line);)
    for (auto& st : json::parse(line).value("statuses", json::array())) {
      EXPECT_TRUE(std::regex_match(st["id"].get<std::string>(), std::regex("pull sha256:[0-9a-f]{64}"))) << line;
      EXPECT_TRUE(st.contains("vertex") && st.contains("started") && st.contains("timestamp")) << line;
      if (st.contains("completed")) {
        ++completed;
        EXPECT_EQ(st["current"], st["total"]) << line;
      }
    }
  EXPECT_GE(completed, 2) << raw.err;  // at least busybox's config and its one layer
}

TEST_F(Progress, OnErrorKeepKeepsTheFailedStepsFilesystemAsAnImage) {
  WriteTextFile(ctx_ / "Dockerfile", "FROM busybox\nWORKDIR /work\nENV STEP=two\nRUN echo partial > part.txt && exit 4\n");
  auto r = Cairn(Root(), {"build", "--progress=plain", "--on-error=keep", ctx_.path()});
  EXPECT_EQ(r.exit_code, 1);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex(R"(kept as image (cairn-failed-step:[0-9a-f]{12}) \(cairn run -it )"))) << r.err;
  EXPECT_NE(r.err.find("Dockerfile:4: RUN echo partial"), std::string::npos) << "the error is still located\n" << r.err;
  std::string image = m[1];
  auto inside = Cairn(Root(), {"run", "--rm", image, "sh", "-c", "pwd; echo $STEP; cat part.txt"});
  EXPECT_EQ(inside.out, "/work\ntwo\npartial\n") << inside.err;
  EXPECT_EQ(Cairn(Root(), {"rmi", image}).exit_code, 0);

  auto no_terminal = Cairn(Root(), {"build", "--on-error=shell", ctx_.path()});
  EXPECT_NE(no_terminal.err.find("--on-error shell needs a terminal"), std::string::npos) << no_terminal.err;
  auto bad = Cairn(Root(), {"build", "--on-error=debug", ctx_.path()});
  EXPECT_NE(bad.err.find("--on-error debug: use shell"), std::string::npos) << bad.err;
}

TEST_F(Progress, OnErrorShellOpensAShellInTheFailedStepWithItsMounts) {
  WriteTextFile(ctx_ / "Dockerfile",
                "FROM busybox\nARG LEVEL=debug\nWORKDIR /src\n"
                "RUN --mount=type=cache,target=/cache --mount=type=secret,id=tok --mount=type=bind,target=/ctx "
                "echo partial-output > /partial.txt && echo from-the-step > /cache/note && false\n");
  WriteTextFile(ctx_ / "context-file", "context-bytes\n");
  TempDir secret;
  WriteTextFile(secret / "tok", "secret-value-7\n");
  Tmux tmux(BuildCommand("--on-error=shell --secret id=tok,src=" + (secret / "tok")), 120, 40);
  std::string prompt = tmux.WaitFor("exit to end the build", 60);
  ASSERT_NE(prompt.find("exit to end the build"), std::string::npos) << prompt;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the shell's prompt
  // The step's filesystem, working directory, build arg and every one of its mounts.
  tmux.Type("cat /partial.txt /cache/note /ctx/context-file; tr a-z A-Z < /run/secrets/tok; "
            "echo pwd-$(pwd) level-$LEVEL shell-$((2+3)); exit");
  std::string done = tmux.WaitFor("EXIT=[0-9]+");
  EXPECT_NE(done.find("\npartial-output"), std::string::npos) << done;
  EXPECT_NE(done.find("\nfrom-the-step"), std::string::npos) << "the cache mount\n" << done;
  EXPECT_NE(done.find("\ncontext-bytes"), std::string::npos) << "the bind mount of the context\n" << done;
  EXPECT_NE(done.find("\nSECRET-VALUE-7"), std::string::npos) << "the secret\n" << done;
  EXPECT_NE(done.find("\npwd-/src level-debug shell-5"), std::string::npos) << done;
  EXPECT_NE(done.find("EXIT=1"), std::string::npos) << "the build still failed\n" << done;
  EXPECT_EQ(Cairn(Root(), {"images"}).out.find("cairn-failed-step"), std::string::npos) << "the shell's image is gone";
}

}  // namespace
}  // namespace cairn::testing

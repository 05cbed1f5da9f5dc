// Ten realistic Dockerfiles (tests/frontend/testdata/<name>/Dockerfile) lowered with a fake
// resolver and compared with their reviewed plans (plan.json next to them). Optional
// options.txt lines: "build-arg K=V", "target NAME", "platform OS/ARCH".
// After an intended change, regenerate with CAIRN_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontend/frontend.h"
#include "plan_helpers.h"
#include "plan_json.h"

namespace cairn::frontend {
namespace {

namespace fs = std::filesystem;
const fs::path kTestdata = fs::path(CAIRN_SOURCE_DIR) / "tests/frontend/testdata";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "line N: want ... / got ..." for the first differing line: the plans are too long to print.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool more_a = static_cast<bool>(std::getline(a, la));
    bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "identical";
    if (la != lb || more_a != more_b) {
      return "plan.json line " + std::to_string(line) + "\n  want: " + (more_a ? la : "<end>") +
             "\n  got:  " + (more_b ? lb : "<end>") +
             "\n(regenerate with CAIRN_UPDATE_GOLDEN=1 if the change is intended)";
    }
  }
}

Options ReadOptions(const fs::path& dir) {
  Options o;
  std::istringstream in(fs::exists(dir / "options.txt") ? ReadAll(dir / "options.txt") : "");
  std::string key, value;
  while (in >> key >> value) {
    if (key == "build-arg") {
      size_t eq = value.find('=');
      o.build_args[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (key == "target") {
      o.target = value;
    } else if (key == "platform") {
      o.platform = value;
    }
  }
  return o;
}

// Every image the testdata names resolves; a few carry the config fields the cases rely on.
ConfigResolver TestdataImages() {
  return [](const std::string& ref, const Platform&) {
    plan::ImageConfig c;
    c.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    c.cmd = std::vector<std::string>{"sh"};
    if (ref.rfind("node:", 0) == 0) {
      c.env.push_back("NODE_VERSION=20.11.1");
      c.entrypoint = std::vector<std::string>{"docker-entrypoint.sh"};
      c.cmd = std::vector<std::string>{"node"};
    }
    if (ref.rfind("nginx:", 0) == 0) {
      c.exposed_ports = {"80/tcp"};
      c.stop_signal = "SIGQUIT";
      c.cmd = std::vector<std::string>{"nginx", "-g", "daemon off;"};
    }
    if (ref == "example/onbuild-python:3") {
      c.workdir = "/usr/src/app";
      c.onbuild = {"COPY requirements.txt /usr/src/app/",
                   "RUN pip install --no-cache-dir -r requirements.txt",
                   "COPY . /usr/src/app"};
    }
    return c;
  };
}

class Testdata : public ::testing::TestWithParam<std::string> {};

TEST_P(Testdata, PlanMatchesReviewedGolden) {
  fs::path dir = kTestdata / GetParam();
  Options options = ReadOptions(dir);
  plan::Plan plan = BuildPlan(ReadAll(dir / "Dockerfile"), options, TestdataImages());
  std::string got = testing::PlanToJson(plan).dump(1) + "\n";
  fs::path golden = dir / "plan.json";
  if (std::getenv("CAIRN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden, std::ios::binary) << got;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " missing: run with CAIRN_UPDATE_GOLDEN=1";
  EXPECT_TRUE(got == ReadAll(golden)) << FirstDifference(ReadAll(golden), got);
}

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kTestdata)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Frontend, Testdata, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(TestdataSet, HasTenCases) { EXPECT_EQ(Cases().size(), 10u); }

}  // namespace
}  // namespace cairn::frontend

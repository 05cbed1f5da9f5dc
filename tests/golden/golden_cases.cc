#include "golden_cases.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/harness.h"

namespace cairn::testing {

void PrepareContext(const std::string& name, const std::string& ctx) {
  std::string src = std::string(CAIRN_SOURCE_DIR) + "/tests/golden/testdata/" + name;
  auto cp = RunCommand({"cp", "-a", src, ctx});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  auto ch = RunCommand({"chmod", "-R", "a=rX,u+w", ctx});
  ASSERT_EQ(ch.exit_code, 0) << ch.err;
}

Digests BuildGolden(const std::string& root, const std::string& ctx, const std::vector<std::string>& extra,
                    const std::vector<std::string>& wrapper, const std::vector<std::string>& env) {
  std::string meta = ctx + ".metadata.json";
  std::vector<std::string> argv = wrapper;
  for (std::string a : {std::string(CAIRN_BINARY), std::string("--root"), root, std::string("build"),
                        std::string("--source-date-epoch"), std::string(kGoldenEpoch), std::string("--metadata-file"),
                        meta})
    argv.push_back(a);
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(ctx);
  auto r = RunCommand(argv, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  std::ifstream in(meta);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str());
  return {j.at("containerimage.config.digest").get<std::string>(), j.at("containerimage.digest").get<std::string>()};
}

}  // namespace cairn::testing

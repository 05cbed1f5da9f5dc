// A test fixture with one real registry for the whole suite and fresh stores per test.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "store/registry/registry.h"
#include "store/store.h"
#include "tests/store/registry/test_registry.h"

namespace cairn::store::registry::testing {

class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { registry_ = new TestRegistry(); }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  void SetUp() override { dir_ = MakeTempDir("/tmp", "cairn-registry-stores-"); }
  void TearDown() override { RemoveAll(dir_); }

  std::unique_ptr<Store> NewStore(const std::string& name) { return std::make_unique<Store>(JoinPath(dir_, name)); }
  static Reference Ref(const std::string& repo_and_tag, const std::string& host = "") {
    return ParseReference((host.empty() ? registry_->host() : host) + "/" + repo_and_tag);
  }
  // The digest `skopeo inspect` reports for docker://<host>/<repo_and_tag>.
  static std::string SkopeoDigest(const std::string& repo_and_tag) {
    std::string out;
    int rc = RunCommand({"skopeo", "inspect", "--tls-verify=false", "docker://" + registry_->host() + "/" + repo_and_tag}, &out);
    if (rc != 0) return "skopeo failed: " + out;
    return nlohmann::json::parse(out.substr(out.find('{'))).value("Digest", "");
  }

  inline static TestRegistry* registry_ = nullptr;
  std::string dir_;
};

}  // namespace cairn::store::registry::testing

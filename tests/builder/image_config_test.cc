#include "builder/image_config.h"

#include <gtest/gtest.h>

namespace cairn::builder {
namespace {

TEST(ImageConfig, RoundTripsDockerFieldNames) {
  plan::ImageConfig c;
  c.user = "app";
  c.env = {"A=1"};
  c.cmd = std::vector<std::string>{"sh"};
  c.workdir = "/app";
  c.labels["org.example"] = "x";
  c.exposed_ports = {"80/tcp"};
  c.volumes = {"/data"};
  c.healthcheck = plan::Healthcheck{{"CMD-SHELL", "true"}, 30000000000, 0, 0, 0, 3};
  nlohmann::json j = ScratchImageConfig(c);
  ApplyConfig(j, c);
  EXPECT_EQ(j["config"]["ExposedPorts"].dump(), R"({"80/tcp":{}})");
  EXPECT_EQ(j["config"]["Volumes"].dump(), R"({"/data":{}})");
  EXPECT_EQ(j["config"]["Healthcheck"]["Interval"], 30000000000);
  EXPECT_FALSE(j["config"].contains("Entrypoint"));  // omitempty, as docker writes it
  plan::ImageConfig back = ConfigFromJson(j);
  EXPECT_EQ(back.user, "app");
  EXPECT_EQ(back.cmd, c.cmd);
  EXPECT_EQ(back.labels, c.labels);
  EXPECT_EQ(back.exposed_ports, c.exposed_ports);
  EXPECT_EQ(back.healthcheck->retries, 3);
}

TEST(Rfc3339, WholeSecondsUtc) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(1700000000), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace cairn::builder

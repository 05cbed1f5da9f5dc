#include "builder/image_config.h"

#include <ctime>

namespace cairn::builder {

using nlohmann::json;

static std::vector<std::string> Strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

static std::string String(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

static plan::Healthcheck HealthcheckFromJson(const json& h) {
  plan::Healthcheck hc;
  hc.test = Strings(h.value("Test", json::array()));
  hc.interval_ns = h.value("Interval", int64_t{0});
  hc.timeout_ns = h.value("Timeout", int64_t{0});
  hc.start_period_ns = h.value("StartPeriod", int64_t{0});
  hc.start_interval_ns = h.value("StartInterval", int64_t{0});
  hc.retries = h.value("Retries", 0);
  return hc;
}

plan::ImageConfig ConfigFromJson(const json& image_config) {
  plan::ImageConfig c;
  c.os = image_config.value("os", std::string("linux"));
  c.architecture = image_config.value("architecture", std::string("amd64"));
  c.variant = String(image_config, "variant");
  c.author = String(image_config, "author");
  auto it = image_config.find("config");
  if (it == image_config.end() || !it->is_object()) return c;
  const json& cfg = *it;
  c.user = String(cfg, "User");
  c.env = Strings(cfg.value("Env", json::array()));
  if (cfg.contains("Entrypoint") && cfg["Entrypoint"].is_array()) c.entrypoint = Strings(cfg["Entrypoint"]);
  if (cfg.contains("Cmd") && cfg["Cmd"].is_array()) c.cmd = Strings(cfg["Cmd"]);
  c.workdir = String(cfg, "WorkingDir");
  if (cfg.contains("Labels") && cfg["Labels"].is_object())
    for (auto& [k, v] : cfg["Labels"].items())
      if (v.is_string()) c.labels[k] = v.get<std::string>();
  if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object())
    for (auto& [k, v] : cfg["ExposedPorts"].items()) c.exposed_ports.insert(k);
  if (cfg.contains("Volumes") && cfg["Volumes"].is_object())
    for (auto& [k, v] : cfg["Volumes"].items()) c.volumes.insert(k);
  c.stop_signal = String(cfg, "StopSignal");
  if (cfg.contains("Healthcheck") && cfg["Healthcheck"].is_object()) c.healthcheck = HealthcheckFromJson(cfg["Healthcheck"]);
  c.onbuild = Strings(cfg.value("OnBuild", json::array()));
  c.shell = Strings(cfg.value("Shell", json::array()));
  c.args_escaped = cfg.value("ArgsEscaped", false);
  return c;
}

static json SetOf(const std::set<std::string>& keys) {
  json o = json::object();
  for (auto& k : keys) o[k] = json::object();
  return o;
}

// Sets or erases one field: docker's encoder uses omitempty on every field of the config.
template <typename T>
static void SetOrErase(json& obj, const char* key, bool present, const T& value) {
  if (present)
    obj[key] = value;
  else
    obj.erase(key);
}

void ApplyConfig(json& image_config, const plan::ImageConfig& c) {
  json& cfg = image_config["config"];
  if (!cfg.is_object()) cfg = json::object();
  SetOrErase(cfg, "User", !c.user.empty(), c.user);
  SetOrErase(cfg, "Env", !c.env.empty(), c.env);
  SetOrErase(cfg, "Entrypoint", c.entrypoint.has_value(), c.entrypoint.value_or(std::vector<std::string>{}));
  SetOrErase(cfg, "Cmd", c.cmd.has_value(), c.cmd.value_or(std::vector<std::string>{}));
  SetOrErase(cfg, "WorkingDir", !c.workdir.empty(), c.workdir);
  SetOrErase(cfg, "Labels", !c.labels.empty(), json(c.labels));
  SetOrErase(cfg, "ExposedPorts", !c.exposed_ports.empty(), SetOf(c.exposed_ports));
  SetOrErase(cfg, "Volumes", !c.volumes.empty(), SetOf(c.volumes));
  SetOrErase(cfg, "StopSignal", !c.stop_signal.empty(), c.stop_signal);
  SetOrErase(cfg, "OnBuild", !c.onbuild.empty(), c.onbuild);
  SetOrErase(cfg, "Shell", !c.shell.empty(), c.shell);
  SetOrErase(cfg, "ArgsEscaped", c.args_escaped, true);
  if (c.healthcheck) {
    json h = {{"Test", c.healthcheck->test}};
    if (c.healthcheck->interval_ns) h["Interval"] = c.healthcheck->interval_ns;
    if (c.healthcheck->timeout_ns) h["Timeout"] = c.healthcheck->timeout_ns;
    if (c.healthcheck->start_period_ns) h["StartPeriod"] = c.healthcheck->start_period_ns;
    if (c.healthcheck->start_interval_ns) h["StartInterval"] = c.healthcheck->start_interval_ns;
    if (c.healthcheck->retries) h["Retries"] = c.healthcheck->retries;
    cfg["Healthcheck"] = h;
  } else {
    cfg.erase("Healthcheck");
  }
  SetOrErase(image_config, "author", !c.author.empty(), c.author);
  image_config["os"] = c.os;
  image_config["architecture"] = c.architecture;
  SetOrErase(image_config, "variant", !c.variant.empty(), c.variant);
}

json ScratchImageConfig(const plan::ImageConfig& defaults) {
  json j = {{"architecture", defaults.architecture},
            {"os", defaults.os},
            {"config", json::object()},
            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
            {"history", json::array()}};
  return j;
}

std::string Rfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace cairn::builder

#include "plan_json.h"

namespace cairn::frontend::testing {
namespace {

using Json = nlohmann::ordered_json;

Json ConfigToJson(const plan::ImageConfig& c) {
  Json j;
  j["user"] = c.user;
  j["env"] = c.env;
  j["entrypoint"] = c.entrypoint ? Json(*c.entrypoint) : Json(nullptr);
  j["cmd"] = c.cmd ? Json(*c.cmd) : Json(nullptr);
  j["workdir"] = c.workdir;
  j["labels"] = c.labels;
  j["exposed_ports"] = c.exposed_ports;
  j["volumes"] = c.volumes;
  j["stop_signal"] = c.stop_signal;
  if (c.healthcheck) {
    const plan::Healthcheck& h = *c.healthcheck;
    j["healthcheck"] = {{"test", h.test},
                        {"interval_ns", h.interval_ns},
                        {"timeout_ns", h.timeout_ns},
                        {"start_period_ns", h.start_period_ns},
                        {"start_interval_ns", h.start_interval_ns},
                        {"retries", h.retries}};
  } else {
    j["healthcheck"] = nullptr;
  }
  j["onbuild"] = c.onbuild;
  j["shell"] = c.shell;
  j["author"] = c.author;
  j["args_escaped"] = c.args_escaped;
  j["platform"] = c.os + "/" + c.architecture + (c.variant.empty() ? "" : "/" + c.variant);
  return j;
}

Json Changes(const Json& before, const Json& after) {
  Json out = Json::object();
  for (auto it = after.begin(); it != after.end(); ++it) {
    if (!before.contains(it.key()) || before[it.key()] != it.value()) out[it.key()] = it.value();
  }
  return out;
}

Json InlineFiles(const std::vector<plan::InlineFile>& files) {
  Json out = Json::array();
  for (const auto& f : files) {
    out.push_back({{"name", f.name}, {"content", f.content}, {"chomp_tabs", f.chomp_tabs}});
  }
  return out;
}

Json ActionToJson(const plan::Action& action) {
  if (auto* run = std::get_if<plan::RunAction>(&action)) {
    Json mounts = Json::array();
    for (const auto& m : run->mounts) mounts.push_back({{"type", m.type}, {"options", plan::KeyedOptions(m)}});
    return {{"run", {{"argv", run->argv},
                     {"build_env", run->build_env},
                     {"network", run->network},
                     {"security", run->security},
                     {"mounts", mounts},
                     {"heredocs", InlineFiles(run->heredocs)}}}};
  }
  if (auto* c = std::get_if<plan::CopyAction>(&action)) {
    return {{c->is_add ? "add" : "copy",
             {{"sources", c->sources},
              {"inline_sources", InlineFiles(c->inline_sources)},
              {"dest", c->dest},
              {"dest_is_dir", c->dest_is_dir},
              {"from", c->from ? plan::KeyText(*c->from) : ""},
              {"chown", c->chown},
              {"chmod", c->chmod},
              {"link", c->link},
              {"parents", c->parents},
              {"excludes", c->excludes},
              {"checksum", c->checksum},
              {"keep_git_dir", c->keep_git_dir},
              {"unpack", c->unpack ? Json(*c->unpack) : Json(nullptr)}}}};
  }
  if (auto* m = std::get_if<plan::MkdirAction>(&action)) return {{"mkdir", m->path}};
  return nullptr;
}

}  // namespace

nlohmann::ordered_json PlanToJson(const plan::Plan& plan) {
  Json j;
  j["target"] = plan.target;
  j["build_order"] = plan.build_order;
  j["warnings"] = plan.warnings;
  Json stages = Json::array();
  for (const plan::Stage& s : plan.stages) {
    Json stage;
    stage["index"] = s.index;
    stage["name"] = s.name;
    stage["line"] = s.location.line;
    stage["base"] = plan::KeyText(s.base);
    stage["platform"] = s.platform;
    Json config = ConfigToJson(s.base_config);
    stage["base_config"] = config;
    Json steps = Json::array();
    for (const plan::Step& step : s.steps) {
      Json after = ConfigToJson(step.config);
      steps.push_back({{"at", std::to_string(step.location.line) + ":" +
                                  std::to_string(step.location.column)},
                       {"display", step.display},
                       {"created_by", step.created_by},
                       {"action", ActionToJson(step.action)},
                       {"config_changes", Changes(config, after)},
                       {"args_in_scope", step.args_in_scope}});
      config = after;
    }
    stage["steps"] = steps;
    stages.push_back(stage);
  }
  j["stages"] = stages;
  return j;
}

}  // namespace cairn::frontend::testing

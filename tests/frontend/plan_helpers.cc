#include "plan_helpers.h"

#include "base/error.h"

namespace cairn::frontend::testing {

FakeImages::FakeImages() {
  plan::ImageConfig busybox;
  busybox.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  busybox.cmd = std::vector<std::string>{"sh"};
  images_["busybox"] = busybox;
  images_["alpine:3.19"] = busybox;
}

ConfigResolver FakeImages::resolver() {
  return [this](const std::string& ref, const Platform& platform) {
    resolved.push_back(ref);
    resolved_platforms.push_back(ToString(platform));
    auto it = images_.find(ref);
    if (it == images_.end()) throw Error("pull " + ref + ": image not found (fake resolver)");
    return it->second;
  };
}

plan::Plan Lower(const std::string& dockerfile, FakeImages& images, Options options) {
  return BuildPlan(dockerfile, options, images.resolver());
}

plan::Plan Lower(const std::string& dockerfile, Options options) {
  FakeImages images;
  return Lower(dockerfile, images, std::move(options));
}

const std::vector<plan::Step>& TargetSteps(const plan::Plan& plan) {
  return plan.stages.at(plan.target).steps;
}

const plan::Step& LastStep(const plan::Plan& plan) { return TargetSteps(plan).back(); }

std::string ErrorOf(const std::string& dockerfile, Options options) {
  try {
    Lower(dockerfile, std::move(options));
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace cairn::frontend::testing

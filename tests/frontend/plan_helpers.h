// Shared helpers for the frontend tests: a fake image-config resolver and short accessors.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "frontend/frontend.h"

namespace cairn::frontend::testing {

// Resolves a few fake images; anything else throws like the real resolver would.
class FakeImages {
 public:
  FakeImages();
  plan::ImageConfig& operator[](const std::string& ref) { return images_[ref]; }
  ConfigResolver resolver();
  std::vector<std::string> resolved;  // refs asked for, in order
  std::vector<std::string> resolved_platforms;  // the platform each was asked for ("linux/arm64")

 private:
  std::map<std::string, plan::ImageConfig> images_;
};

plan::Plan Lower(const std::string& dockerfile, FakeImages& images, Options options = {});
plan::Plan Lower(const std::string& dockerfile, Options options = {});

// The steps of the target stage.
const std::vector<plan::Step>& TargetSteps(const plan::Plan& plan);
const plan::Step& LastStep(const plan::Plan& plan);

template <typename T>
const T& ActionOf(const plan::Step& step) {
  return std::get<T>(step.action);
}

// The message of the ParseError thrown for `dockerfile` ("" if none).
std::string ErrorOf(const std::string& dockerfile, Options options = {});

}  // namespace cairn::frontend::testing

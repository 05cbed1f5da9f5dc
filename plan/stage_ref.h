// What a stage starts from, or what COPY --from / RUN --mount from= reads: another stage of the
// same Dockerfile, or an image by reference. Decoded once, by the frontend; the builder switches
// on the type instead of parsing text.
#pragma once

#include <ostream>
#include <string>
#include <variant>

namespace cairn::plan {

// A stage of this Dockerfile: an index into Plan::stages, always an earlier-lowered stage.
struct StageIndex {
  int index = 0;
  bool operator==(const StageIndex&) const = default;
};

// An image as written after expansion ("busybox", "registry:5000/app:1.2@sha256:..."). "scratch"
// is the empty image, as in docker, which treats the name as reserved.
struct ImageRef {
  std::string name;
  bool operator==(const ImageRef&) const = default;
};

// Default-constructed: ImageRef "", which only a stage the target does not need has (it is listed
// in the Plan but never resolved).
struct StageRef {
  std::variant<ImageRef, StageIndex> target;

  static StageRef Stage(int index) { return {StageIndex{index}}; }
  static StageRef Image(std::string name) { return {ImageRef{std::move(name)}}; }

  // The stage's index, or nullptr when this names an image.
  const int* stage() const {
    const auto* s = std::get_if<StageIndex>(&target);
    return s ? &s->index : nullptr;
  }
  // The image reference, or nullptr when this names a stage.
  const std::string* image() const {
    const auto* i = std::get_if<ImageRef>(&target);
    return i ? &i->name : nullptr;
  }
  bool is_scratch() const { return image() && *image() == "scratch"; }

  bool operator==(const StageRef&) const = default;
};

// "stage:N" or the image reference: the spelling cache keys and plan dumps have always used, so
// that keys recorded before StageRef existed still hit. Not for parsing back.
std::string KeyText(const StageRef& ref);

// For test failure messages (GoogleTest finds it by ADL).
std::ostream& operator<<(std::ostream& out, const StageRef& ref);

}  // namespace cairn::plan

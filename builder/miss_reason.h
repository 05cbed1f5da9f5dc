// Why a step missed the step cache, in words: a pure function of what went into the step's key
// now and what went into it the last time a step with the same parent was built.
//
// Explanations never touch the key or the image: they are read after the key is computed and
// only decide a line of progress output.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace cairn::builder {

// The inputs of one step's cache key, kept readable so two builds can be compared.
struct StepInputs {
  std::string key;                           // the step's cache key
  std::string instruction;                   // as written, e.g. "RUN make"
  std::string action;                        // digest of the expanded action (heredocs, expanded args)
  std::map<std::string, std::string> args;   // build args in scope: name -> value
  std::map<std::string, std::string> env;    // environment: name -> value
  std::string workdir, user, shell;
  std::map<std::string, std::string> files;  // context path -> digest of its entry (COPY/ADD sources)
  std::string sources;                       // the whole sources digest (also COPY --from, bind mounts)
  std::string layer_format;                  // epoch and compressor
};

// What is known about the step that missed.
struct MissFacts {
  StepInputs now;
  // The most recent step built on the same parent key (nullopt: none is remembered).
  std::optional<StepInputs> before;
  // For a stage's first step (its parent is the base itself): the base as named after FROM, its
  // identity now, and the identity the previous build of this stage started from (if known).
  bool first_step = false;
  std::string base_name;  // "image busybox" or "stage builder"
  std::string base_now;
  std::optional<std::string> base_before;
};

// One line naming what changed, e.g. `instruction changed: was "RUN make", now "RUN make all"`,
// `build arg VERSION changed: was "1", now "2"`, `context file src/a.c changed`,
// `base image busybox changed: was sha256:0123456789ab, now sha256:ba9876543210` or
// `no previous build of this step`. Several changes are joined with "; " (at most a few named,
// then "and N more").
std::string ExplainMiss(const MissFacts& facts);

// StepInputs <-> JSON (the explanation sidecar's format). Reading returns nullopt for anything
// that is not a StepInputs object: a damaged sidecar only loses an explanation.
nlohmann::json StepInputsToJson(const StepInputs& inputs);
std::optional<StepInputs> StepInputsFromJson(const nlohmann::json& j);

}  // namespace cairn::builder

// The Plan: what the frontend hands the builder. Plain data, no behaviour.
//
// The frontend lowers a Dockerfile into a Plan: stages of steps with every variable already
// expanded and every image-config change already applied. Each Step carries `config`, the image
// config as it stands *after* the step, so the builder never re-implements Dockerfile semantics:
// it runs RUN/COPY/ADD/WORKDIR actions, snapshots their layers and records history.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "plan/stage_ref.h"

namespace cairn::plan {

// A place in a Dockerfile; line and column are 1-based.
struct Location {
  std::string file;  // as the user named it, e.g. "Dockerfile" or "docker/app.Dockerfile"
  int line = 0;
  int column = 0;
};

// "Dockerfile:3: ", the prefix of an error a step causes (the builder's messages name the line).
std::string Where(const Location& location);

struct Healthcheck {
  std::vector<std::string> test;  // {"NONE"} | {"CMD", args...} | {"CMD-SHELL", cmd}
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

// The parts of an OCI/docker image config a Dockerfile can change.
struct ImageConfig {
  std::string user;
  std::vector<std::string> env;  // "KEY=VALUE", in order of first definition
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string workdir;
  std::map<std::string, std::string> labels;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::set<std::string> volumes;
  std::string stop_signal;
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> onbuild;  // trigger instruction texts, as docker stores them
  std::vector<std::string> shell;    // empty = the default {"/bin/sh", "-c"}
  std::string author;                // MAINTAINER
  bool args_escaped = false;         // docker's ArgsEscaped (Windows only; kept for round-trips)
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
};

// A file whose content is written by the Dockerfile itself (a heredoc).
struct InlineFile {
  std::string name;     // the heredoc word, e.g. "EOF"
  std::string content;  // body, already expanded if the delimiter was unquoted
  bool chomp_tabs = false;
};

struct RunMount {
  std::string type;  // bind | cache | tmpfs | secret | ssh
  std::map<std::string, std::string> options;  // normalised keys: target, source, id, ... (not from)
  std::optional<StageRef> from;                // from=: a stage or an image; none = the build context
};

// The options with from= spelled by KeyText among them, as they were keyed and shown before
// `from` had a type: cache keys stay the same and messages name every option.
std::map<std::string, std::string> KeyedOptions(const RunMount& mount);

struct RunAction {
  // Final argv. Shell form is already wrapped in the stage's SHELL: {"/bin/sh", "-c", "make"}.
  std::vector<std::string> argv;
  std::vector<std::string> build_env;  // "K=V" of ARGs in scope, added to config.env for this RUN only
  std::string network = "default";     // default | none | host: RUN --network, else the build's --network
  std::string security = "sandbox";    // sandbox | insecure
  std::vector<RunMount> mounts;
  std::vector<InlineFile> heredocs;    // RUN <<EOF ... bodies fed to the command
  // The build's --add-host (HOST:IP), --shm-size and --ulimit values, as given: how the
  // container is set up, never the image. Keyed as BuildKit keys an ExecOp: host names without
  // their IPs, the size and the limits as they are.
  std::vector<std::string> add_hosts;
  std::string shm_size;
  std::vector<std::string> ulimits;
};

struct CopyAction {
  bool is_add = false;
  std::vector<std::string> sources;  // expanded; relative to the context, or to `from`'s root
  std::vector<InlineFile> inline_sources;  // COPY <<EOF dest
  std::string dest;                  // expanded; absolute (lowering resolves it against WORKDIR)
  bool dest_is_dir = false;          // the written destination ended in '/'
  // Where sources come from: none = the build context; else a stage's result or an image.
  std::optional<StageRef> from;
  std::string chown;  // "user[:group]" expanded, resolved by the builder against the image
  std::string chmod;  // octal or symbolic, expanded
  bool link = false;
  bool parents = false;
  std::vector<std::string> excludes;
  std::string checksum;      // ADD --checksum
  bool keep_git_dir = false;  // ADD --keep-git-dir
  std::optional<bool> unpack; // ADD --unpack
};

// WORKDIR: create the directory (owned by the config's user) if it is missing.
struct MkdirAction {
  std::string path;  // absolute
};

// Config-only instructions (ENV, CMD, LABEL, ARG, ...): nothing runs, no layer.
struct NoAction {};

using Action = std::variant<NoAction, RunAction, CopyAction, MkdirAction>;

struct Step {
  Location location;
  std::string instruction;  // upper-case keyword, e.g. "RUN"
  std::string display;      // progress text, e.g. "RUN make" (original text, continuations joined)
  std::string created_by;   // history created_by, BuildKit style, e.g. "RUN /bin/sh -c make # buildkit"
  Action action;
  ImageConfig config;       // the image config after this step
  // Build args that this step can see and that count for its cache key (name -> value).
  std::map<std::string, std::string> args_in_scope;
};

struct Stage {
  int index = 0;
  std::string name;  // lower-cased `AS name`, or empty
  Location location; // of its FROM
  // An earlier stage, or an image (ImageRef "scratch" for the empty one); ImageRef "" when the
  // target does not need this stage, which is then neither resolved nor lowered.
  StageRef base;
  // The stages this one reads and so must wait for: its base, COPY --from and RUN --mount from=.
  // Sorted, without duplicates; the frontend computes them while lowering.
  std::vector<int> depends_on;
  std::string platform;  // FROM --platform, expanded; empty = the build's platform
  ImageConfig base_config;  // config the stage starts from (scratch: defaults)
  std::vector<Step> steps;
};

struct Plan {
  std::vector<Stage> stages;
  int target = 0;  // index of the stage whose result is the image
  // Stages the target needs, in an order where every stage follows those it depends on.
  std::vector<int> build_order;
  std::vector<std::string> warnings;  // e.g. "[Warning] One or more build-args [X] were not consumed"
  // The default of a global `ARG SOURCE_DATE_EPOCH=N` when no --build-arg gave the value
  // (expanded, unchecked; empty: none), and where it is written. BuildKit makes it the build's
  // epoch when no flag or environment does (builder/epoch.h).
  std::string source_date_epoch_default;
  Location source_date_epoch_at;
};

}  // namespace cairn::plan

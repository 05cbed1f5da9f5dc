// State shared by the lowering functions (lower.cc drives stages; lower_steps.cc has one LowerX
// per instruction). Internal to frontend/.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.h"
#include "frontend/frontend.h"
#include "frontend/instructions.h"

namespace cairn::frontend {

// Ordered "K=V" environment where a later write to K replaces the value in place.
class EnvList {
 public:
  void Set(const std::string& key, const std::string& value);
  std::optional<std::string> Get(const std::string& key) const;
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  static EnvList FromStrings(const std::vector<std::string>& kvs);
  std::vector<std::string> ToStrings() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// What the instructions of one stage see while it is lowered.
struct StageState {
  plan::Stage stage;
  plan::ImageConfig config;  // the image config so far
  // BuildKit's state env: the image env plus every ARG that has a value; expansion and RUN
  // use it, the image config only gets ENV.
  EnvList state_env;
  std::vector<std::string> arg_names;        // declared ARGs, in order (no duplicates)
  std::map<std::string, std::string> args;   // declared ARGs that have a value
  bool cmd_set = false;                      // CMD given in this stage (ENTRYPOINT keeps it)
  std::set<int> deps;                        // stages this one reads (base, --from, mounts)
  std::set<std::string> consumed_build_args; // --build-args an ARG of this stage declared
};

// Everything that outlives one stage.
struct LowerContext {
  const Dockerfile* file = nullptr;
  const Options* options = nullptr;
  std::map<std::string, std::string> global_args;  // meta ARGs with a value + platform ARGs
  std::set<std::string> global_arg_names;          // every meta ARG, valued or not
  std::set<std::string> consumed_build_args;       // --build-args a meta ARG declared
  std::string source_date_epoch_default;           // a global `ARG SOURCE_DATE_EPOCH=N` (no --build-arg)
  plan::Location source_date_epoch_at;
  const ConfigResolver* resolve = nullptr;
  // One slot per stage, filled on demand: only the stages the target needs are lowered (and
  // only their base images resolved).
  std::vector<std::optional<StageState>> done;
  std::vector<bool> in_progress;                   // for cycle detection
  std::map<std::string, int> stage_names;          // lower-cased name -> index
};

// Lowers stage `index` if it is not yet (recursively lowering what it needs) and returns it.
// Throws ParseError.
StageState& EnsureLowered(LowerContext& ctx, int index);

// Expands one word with the state env (escape = the Dockerfile's). Throws cairn::Error.
std::string Expand(const LowerContext& ctx, const StageState& st, const std::string& word);

// Resolves `--from`/`from=` text: a stage by name or index -> that stage (lowering it if needed
// and recording the dependency); anything else is an image reference. Throws cairn::Error on a
// dependency cycle.
plan::StageRef ResolveFrom(LowerContext& ctx, StageState& st, const std::string& from);

// Applies one instruction: appends its Step (config after it) to st.stage.steps.
// Throws cairn::Error (the caller adds the location).
void LowerInstruction(LowerContext& ctx, StageState& st, const Instruction& instr);

// BuildKit's non-env ARGs and the proxy ARGs usable without declaration.
bool IsProxyArg(const std::string& name);
bool IsNonEnvArg(const std::string& name);

}  // namespace cairn::frontend

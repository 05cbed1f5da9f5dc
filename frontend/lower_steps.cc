// One LowerX per instruction: applies it to the stage state and records its Step (the image
// config after it, the action to run, and BuildKit-style history text).
#include <algorithm>

#include "base/csv_fields.h"
#include "base/error.h"
#include "frontend/duration.h"
#include "frontend/go_quote.h"
#include "frontend/heredoc.h"
#include "frontend/lower_state.h"
#include "frontend/parser.h"
#include "frontend/paths.h"
#include "frontend/shell_lex.h"
#include "frontend/suggest.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

const std::vector<std::string> kDefaultShell = {"/bin/sh", "-c"};

const std::vector<std::string>& Shell(const StageState& st) {
  return st.config.shell.empty() ? kDefaultShell : st.config.shell;
}

// Go's fmt "%q" of a []string: ["a" "b"].
std::string QuoteList(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? " " : "") + GoQuote(items[i]);
  return s + "]";
}

// Go's fmt "%v" of a []string: [a b].
std::string PlainList(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? " " : "") + items[i];
  return s + "]";
}

void Commit(StageState& st, const Instruction& instr, std::string created_by,
            plan::Action action = plan::NoAction{}) {
  plan::Step step;
  step.location = instr.location;
  step.instruction = instr.keyword;
  step.display = instr.original;
  step.created_by = std::move(created_by);
  step.action = std::move(action);
  step.config = st.config;
  step.args_in_scope = st.args;
  st.stage.steps.push_back(std::move(step));
}

std::vector<std::string> WithShell(const StageState& st, bool json,
                                   const std::vector<std::string>& cmd) {
  if (json) return cmd;
  std::vector<std::string> argv = Shell(st);
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

// The ARGs RUN passes to the command on top of the image env (BuildKit's state env minus the
// image env). Proxy settings are not among them: like BuildKit's ProxyEnv they reach the step
// outside the plan (builder::BuildOptions::proxy_env), so no cache key holds them.
std::vector<std::string> BuildEnv(const StageState& st) {
  std::vector<std::string> out;
  EnvList image = EnvList::FromStrings(st.config.env);
  for (const auto& [k, v] : st.state_env.entries()) {
    if (image.Get(k) != v) out.push_back(k + "=" + v);
  }
  return out;
}

// runCommandString: "|2 A=1 B=2 /bin/sh -c make" (every ARG declared in the stage).
std::string RunCommandString(const StageState& st, const std::vector<std::string>& argv) {
  std::vector<std::string> parts;
  for (const std::string& name : st.arg_names) {
    parts.push_back(name + "=" + st.state_env.Get(name).value_or(""));
  }
  if (!parts.empty()) parts.insert(parts.begin(), "|" + std::to_string(parts.size()));
  parts.insert(parts.end(), argv.begin(), argv.end());
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? " " : "") + parts[i];
  return s;
}

plan::InlineFile ToInlineFile(const Heredoc& doc, const std::string& content) {
  plan::InlineFile file;
  file.name = doc.name;
  file.content = doc.chomp ? ChompHeredocContent(content) : content;
  file.chomp_tabs = doc.chomp;
  return file;
}

// Shell-form RUN with heredocs (BuildKit dispatchRun): a command that is only `<<EOF` runs the
// body as a script; otherwise the shell gets the command line followed by the bodies, so it
// handles the here-documents itself.
std::vector<std::string> HeredocArgv(const StageState& st, const RunInstr& run,
                                     std::vector<plan::InlineFile>& files) {
  for (const Heredoc& doc : run.heredocs) files.push_back(ToInlineFile(doc, doc.content));
  const std::string& cmdline = run.cmd[0];
  std::optional<Heredoc> only = run.heredocs.size() == 1 ? ParseHeredocWord(cmdline) : std::nullopt;
  std::vector<std::string> argv = Shell(st);
  if (only && only->name == run.heredocs[0].name) {
    const std::string& body = files[0].content;
    if (StartsWith(body, "#!")) {
      // A script with its own interpreter: write it to a temporary file and execute it.
      argv.push_back("set -e; f=$(mktemp); trap 'rm -f \"$f\"' EXIT; cat > \"$f\" <<'" +
                     run.heredocs[0].name + "'\n" + body + run.heredocs[0].name +
                     "\nchmod +x \"$f\"; \"$f\"");
    } else {
      argv.push_back(body);
    }
    return argv;
  }
  std::string script = cmdline;
  for (const Heredoc& doc : run.heredocs) script += "\n" + doc.content + doc.name;
  argv.push_back(script);
  return argv;
}

std::string NormalizeMountKey(const std::string& key) {
  std::string k = ToLower(key);
  if (k == "src") return "source";
  if (k == "dst" || k == "destination") return "target";
  if (k == "ro") return "readonly";
  if (k == "rw") return "readwrite";
  return k;
}

plan::RunMount ParseMount(LowerContext& ctx, StageState& st, const std::string& spec) {
  plan::RunMount mount;
  mount.type = "bind";
  std::vector<std::string> fields;
  try {
    fields = SplitCsvFields(spec);
  } catch (const Error& e) {
    throw Error(std::string("failed to parse csv mounts: ") + e.what());  // BuildKit's words
  }
  for (std::string field : fields) {
    field = std::string(TrimSpace(field));
    if (field.empty()) continue;
    KeyValueField kv = CutKeyValue(field);
    std::string key = NormalizeMountKey(kv.key);
    std::string value = kv.value.value_or("");
    if (!kv.value) {
      if (key != "readonly" && key != "readwrite" && key != "required") {
        throw Error("invalid field '" + field + "' must be a key=value pair");
      }
      value = "true";
    }
    if (key == "from") {
      if (value.find('$') != std::string::npos) {
        throw Error("'from' doesn't support variable expansion, define alias stage instead");
      }
      mount.from = ResolveFrom(ctx, st, value);
      continue;
    }
    value = Expand(ctx, st, value);
    if (key == "type") {
      static const std::vector<std::string> types = {"bind", "cache", "tmpfs", "secret", "ssh"};
      if (std::find(types.begin(), types.end(), ToLower(value)) == types.end()) {
        std::string hint = Suggest(value, types);
        throw Error("unsupported mount type \"" + value + "\"" + (hint.empty() ? "" : " (did you mean " + hint + "?)"));
      }
      mount.type = ToLower(value);
      continue;
    }
    static const std::vector<std::string> keys = {"source", "target", "readonly", "readwrite", "id",
                                                  "sharing", "required", "size", "mode", "uid",
                                                  "gid", "env", "from", "type"};
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string hint = Suggest(key, keys);
      throw Error("unexpected key '" + key + "' in '" + field + "'" + (hint.empty() ? "" : " (did you mean " + hint + "?)"));
    }
    mount.options[key] = value;
  }
  if (mount.type == "bind" || mount.type == "cache" || mount.type == "tmpfs") {
    if (!mount.options.count("target")) throw Error("mount type=" + mount.type + " requires a target");
  }
  return mount;
}

void LowerRun(LowerContext& ctx, StageState& st, const Instruction& instr, const RunInstr& run) {
  plan::RunAction action;
  if (!run.json && !run.heredocs.empty()) {
    action.argv = HeredocArgv(st, run, action.heredocs);
  } else {
    action.argv = WithShell(st, run.json, run.cmd);
  }
  action.build_env = BuildEnv(st);
  action.network = run.network.empty() ? ctx.options->network : run.network;
  action.add_hosts = ctx.options->add_hosts;
  action.shm_size = ctx.options->shm_size;
  action.ulimits = ctx.options->ulimits;
  // Options cairn parses but cannot honour are refused, never dropped: the step would not do
  // what the Dockerfile says.
  // BuildKit's entitlement: a step on the host's network needs the caller's consent, given
  // with --allow network.host, or implied by the build's own --network host (as buildx does).
  if (run.network == "host" && ctx.options->network != "host" && !ctx.options->allow.count("network.host")) {
    throw Error("RUN --network=host needs the network.host entitlement: pass --allow network.host to cairn build "
                "(as with docker buildx build), or use the default network");
  }
  if (run.security == "insecure") {
    throw Error("RUN --security=insecure is not supported: cairn runs every step sandboxed (docker's "
                "capabilities and seccomp profile); remove the flag (docker buildx build would also need "
                "--allow security.insecure, which cairn refuses)");
  }
  if (!run.devices.empty()) {
    throw Error("RUN --device=" + run.devices.front() + " is not supported: cairn gives steps no host devices; "
                "remove the flag");
  }
  if (!run.security.empty()) action.security = run.security;
  for (const std::string& m : run.mounts) action.mounts.push_back(ParseMount(ctx, st, m));
  std::string created_by = "RUN " + RunCommandString(st, action.argv) + " # buildkit";
  Commit(st, instr, created_by, std::move(action));
}

void LowerCmd(StageState& st, const Instruction& instr, const CmdInstr& cmd) {
  std::vector<std::string> argv = WithShell(st, cmd.json, cmd.cmd);
  st.config.cmd = argv;
  if (cmd.json && argv.empty()) st.config.cmd.reset();  // `CMD []` clears Cmd to null, as in BuildKit
  st.cmd_set = true;
  Commit(st, instr, "CMD " + QuoteList(argv));
}

void LowerEntrypoint(StageState& st, const Instruction& instr, const EntrypointInstr& ep) {
  std::vector<std::string> argv = WithShell(st, ep.json, ep.cmd);
  st.config.entrypoint = argv;
  // An ENTRYPOINT drops the CMD inherited from the base; a CMD of this stage stays.
  if (!st.cmd_set) st.config.cmd.reset();
  Commit(st, instr, "ENTRYPOINT " + QuoteList(argv));
}

void LowerCopy(LowerContext& ctx, StageState& st, const Instruction& instr, const CopyInstr& c) {
  plan::CopyAction action;
  action.is_add = c.is_add;
  for (const std::string& src : c.sources) action.sources.push_back(Expand(ctx, st, src));
  ShellLex body_lex(ShellLexOptions{'\\', false, false, true, false});
  EnvLookup env = [&st](const std::string& k) { return st.state_env.Get(k); };
  for (const Heredoc& doc : c.inline_sources) {
    std::string content = doc.expand ? body_lex.ProcessWord(doc.content, env) : doc.content;
    action.inline_sources.push_back(ToInlineFile(doc, content));
  }
  std::string dest = Expand(ctx, st, c.dest);
  action.dest_is_dir = dest.empty() || dest == "." || dest.back() == '/';
  std::string workdir = st.config.workdir.empty() ? "/" : st.config.workdir;
  action.dest = PathIsAbs(dest) ? CleanPath(dest) : PathJoin(workdir, dest);
  if (c.from.find('$') != std::string::npos) {  // BuildKit's words
    throw Error("variable expansion is not supported for --from, define a new stage with FROM using ARG from "
                "global scope as a workaround");
  }
  if (!c.from.empty()) action.from = ResolveFrom(ctx, st, c.from);
  action.chown = Expand(ctx, st, c.chown);
  action.chmod = Expand(ctx, st, c.chmod);
  action.link = c.link;
  action.parents = c.parents;
  for (const std::string& e : c.excludes) action.excludes.push_back(Expand(ctx, st, e));
  action.checksum = Expand(ctx, st, c.checksum);
  action.keep_git_dir = c.keep_git_dir;
  action.unpack = c.unpack;
  std::string created_by = c.is_add ? "ADD" : "COPY";
  for (const std::string& src : action.sources) created_by += " " + src;
  for (const Heredoc& doc : c.inline_sources) created_by += " <<" + doc.name;
  created_by += " " + dest + " # buildkit";
  Commit(st, instr, created_by, std::move(action));
}

void LowerEnv(LowerContext& ctx, StageState& st, const Instruction& instr, const EnvInstr& env) {
  // Every word sees the environment from before the instruction (`ENV a=1 b=$a` uses the old a).
  std::vector<std::pair<std::string, std::string>> vars;
  for (const KeyValue& kv : env.vars) {
    vars.emplace_back(Expand(ctx, st, kv.key), Expand(ctx, st, kv.value));
  }
  EnvList image = EnvList::FromStrings(st.config.env);
  std::string created_by = "ENV";
  for (const auto& [k, v] : vars) {
    image.Set(k, v);
    st.state_env.Set(k, v);
    created_by += " " + k + "=" + v;
  }
  st.config.env = image.ToStrings();
  Commit(st, instr, created_by);
}

void LowerArg(LowerContext& ctx, StageState& st, const Instruction& instr, const ArgInstr& arg) {
  const auto& build_args = ctx.options->build_args;
  std::string created_by = "ARG";
  for (const ArgInstr::Arg& a : arg.args) {
    std::optional<std::string> value;
    if (auto it = build_args.find(a.name); it != build_args.end()) {
      value = it->second;
      st.consumed_build_args.insert(a.name);
    } else if (a.value) {
      value = Expand(ctx, st, *a.value);
    } else if (auto g = ctx.global_args.find(a.name); g != ctx.global_args.end()) {
      value = g->second;  // `ARG NAME` inside a stage takes the global value
    } else if (a.name == "SOURCE_DATE_EPOCH") {
      value = ctx.options->source_date_epoch;  // BuildKit: the build's epoch, never empty
    }
    if (std::find(st.arg_names.begin(), st.arg_names.end(), a.name) == st.arg_names.end()) {
      st.arg_names.push_back(a.name);
    }
    if (value) {
      st.args[a.name] = *value;
      if (!IsNonEnvArg(a.name)) st.state_env.Set(a.name, *value);
    }
    created_by += " " + a.name + (value ? "=" + *value : "");
  }
  Commit(st, instr, created_by);
}

void LowerWorkdir(LowerContext& ctx, StageState& st, const Instruction& instr,
                  const WorkdirInstr& w) {
  std::string path = Expand(ctx, st, w.path);
  if (path.empty()) throw Error("WORKDIR cannot be empty");
  std::string base = st.config.workdir.empty() ? "/" : st.config.workdir;
  st.config.workdir = PathIsAbs(path) ? CleanPath(path) : PathJoin(base, path);
  Commit(st, instr, "WORKDIR " + st.config.workdir, plan::MkdirAction{st.config.workdir});
}

void LowerLabel(LowerContext& ctx, StageState& st, const Instruction& instr,
                const LabelInstr& label) {
  std::vector<std::pair<std::string, std::string>> kvs;
  for (const KeyValue& kv : label.labels) {
    kvs.emplace_back(Expand(ctx, st, kv.key), Expand(ctx, st, kv.value));
  }
  std::string created_by = "LABEL";
  for (const auto& [k, v] : kvs) {
    st.config.labels[k] = v;
    created_by += " " + k + "=" + v;
  }
  Commit(st, instr, created_by);
}

// "80" -> {"80/tcp"}, "53/UDP" -> {"53/udp"}, "8000-8002" -> three ports (docker's nat package).
std::vector<std::string> PortSpecs(const std::string& spec) {
  size_t slash = spec.find('/');
  std::string range = spec.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : ToLower(spec.substr(slash + 1));
  size_t dash = range.find('-');
  std::string low = range.substr(0, dash);
  std::string high = dash == std::string::npos ? low : range.substr(dash + 1);
  if (!IsDigits(low, 5) || !IsDigits(high, 5)) throw Error("invalid containerPort: " + spec);
  int first = std::stoi(low);
  int last = std::stoi(high);
  if (first < 1 || last > 65535 || last < first) throw Error("invalid port range: " + spec);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    throw Error("invalid proto: " + proto + " in \"" + spec + "\" (use tcp, udp or sctp)");
  }
  std::vector<std::string> out;
  for (int p = first; p <= last; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

void LowerExpose(LowerContext& ctx, StageState& st, const Instruction& instr,
                 const ExposeInstr& expose) {
  std::set<std::string> ports;
  for (const std::string& word : expose.ports) {
    // A word may expand to several ports ("EXPOSE $PORTS", PORTS="3000 4000/udp"): each counts.
    for (const std::string& spec : SplitWhitespace(Expand(ctx, st, word)))
      for (const std::string& p : PortSpecs(spec)) ports.insert(p);
  }
  std::string created_by = "EXPOSE map[";
  bool first = true;
  for (const std::string& p : ports) {  // Go prints map keys sorted
    st.config.exposed_ports.insert(p);
    created_by += (first ? "" : " ") + p + ":{}";
    first = false;
  }
  Commit(st, instr, created_by + "]");
}

void LowerUser(LowerContext& ctx, StageState& st, const Instruction& instr, const UserInstr& u) {
  st.config.user = Expand(ctx, st, u.user);
  Commit(st, instr, "USER " + st.config.user);
}

void LowerVolume(LowerContext& ctx, StageState& st, const Instruction& instr,
                 const VolumeInstr& v) {
  std::vector<std::string> paths;
  for (const std::string& p : v.paths) {
    std::string path = Expand(ctx, st, p);
    if (TrimSpace(path).empty()) throw Error("VOLUME specified can not be an empty string");
    paths.push_back(path);
    st.config.volumes.insert(path);
  }
  Commit(st, instr, "VOLUME " + PlainList(paths));
}

void LowerShell(StageState& st, const Instruction& instr, const ShellInstr& s) {
  st.config.shell = s.shell;
  Commit(st, instr, "SHELL " + PlainList(s.shell));
}

bool ValidSignal(const std::string& s) {

  static const std::set<std::string> names = {
      "ABRT", "ALRM", "BUS",  "CHLD", "CLD",  "CONT", "FPE",    "HUP",  "ILL",  "INT",
      "IO",   "IOT",  "KILL", "PIPE", "POLL", "PROF", "PWR",    "QUIT", "SEGV", "STKFLT",
      "STOP", "SYS",  "TERM", "TRAP", "TSTP", "TTIN", "TTOU",   "URG",  "USR1", "USR2",
      "VTALRM", "WINCH", "XCPU", "XFSZ", "UNUSED"};
  if (IsDigits(s, 2)) return std::stoi(s) >= 1 && std::stoi(s) <= 64;
  std::string name = ToUpper(s);
  if (StartsWith(name, "SIG")) name = name.substr(3);
  if (names.count(name) > 0) return true;
  // RTMIN, RTMIN+3, RTMAX-2
  if (name.substr(0, 5) != "RTMIN" && name.substr(0, 5) != "RTMAX") return false;
  std::string_view offset = std::string_view(name).substr(5);
  return offset.empty() || ((offset[0] == '+' || offset[0] == '-') && IsDigits(offset.substr(1), 2));
}

void LowerStopSignal(LowerContext& ctx, StageState& st, const Instruction& instr,
                     const StopSignalInstr& s) {
  std::string signal = Expand(ctx, st, s.signal);
  if (!ValidSignal(signal)) throw Error("invalid signal: " + signal);
  st.config.stop_signal = signal;
  Commit(st, instr, "STOPSIGNAL " + signal);
}

// Go's %q of an int: a quoted rune literal ('\x03').
std::string QuoteRune(int v) {
  if (v >= 0x20 && v < 0x7F && v != '\'' && v != '\\') return std::string("'") + char(v) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, v < 0x100 ? "'\\x%02x'" : "'\\u%04x'", v);
  return buf;
}

void LowerHealthcheck(StageState& st, const Instruction& instr, const HealthcheckInstr& h) {
  st.config.healthcheck = h.check;
  const plan::Healthcheck& c = h.check;
  std::string created_by = "HEALTHCHECK &{" + QuoteList(c.test) + " " +
                           GoQuote(FormatGoDuration(c.interval_ns)) + " " +
                           GoQuote(FormatGoDuration(c.timeout_ns)) + " " +
                           GoQuote(FormatGoDuration(c.start_period_ns)) + " " +
                           GoQuote(FormatGoDuration(c.start_interval_ns)) + " " +
                           QuoteRune(c.retries) + "}";
  Commit(st, instr, created_by);
}

void LowerOnbuild(StageState& st, const Instruction& instr, const OnbuildInstr& o) {
  st.config.onbuild.push_back(o.expression);
  Commit(st, instr, "ONBUILD " + o.expression);
}

void LowerMaintainer(StageState& st, const Instruction& instr, const MaintainerInstr& m) {
  st.config.author = m.name;
  Commit(st, instr, "MAINTAINER " + m.name);
}

}  // namespace

void LowerInstruction(LowerContext& ctx, StageState& st, const Instruction& instr) {
  const InstructionDetail& d = instr.detail;
  if (auto* x = std::get_if<RunInstr>(&d)) return LowerRun(ctx, st, instr, *x);
  if (auto* x = std::get_if<CmdInstr>(&d)) return LowerCmd(st, instr, *x);
  if (auto* x = std::get_if<EntrypointInstr>(&d)) return LowerEntrypoint(st, instr, *x);
  if (auto* x = std::get_if<CopyInstr>(&d)) return LowerCopy(ctx, st, instr, *x);
  if (auto* x = std::get_if<EnvInstr>(&d)) return LowerEnv(ctx, st, instr, *x);
  if (auto* x = std::get_if<ArgInstr>(&d)) return LowerArg(ctx, st, instr, *x);
  if (auto* x = std::get_if<WorkdirInstr>(&d)) return LowerWorkdir(ctx, st, instr, *x);
  if (auto* x = std::get_if<LabelInstr>(&d)) return LowerLabel(ctx, st, instr, *x);
  if (auto* x = std::get_if<ExposeInstr>(&d)) return LowerExpose(ctx, st, instr, *x);
  if (auto* x = std::get_if<UserInstr>(&d)) return LowerUser(ctx, st, instr, *x);
  if (auto* x = std::get_if<VolumeInstr>(&d)) return LowerVolume(ctx, st, instr, *x);
  if (auto* x = std::get_if<ShellInstr>(&d)) return LowerShell(st, instr, *x);
  if (auto* x = std::get_if<StopSignalInstr>(&d)) return LowerStopSignal(ctx, st, instr, *x);
  if (auto* x = std::get_if<HealthcheckInstr>(&d)) return LowerHealthcheck(st, instr, *x);
  if (auto* x = std::get_if<OnbuildInstr>(&d)) return LowerOnbuild(st, instr, *x);
  if (auto* x = std::get_if<MaintainerInstr>(&d)) return LowerMaintainer(st, instr, *x);
  throw Error(instr.keyword + " cannot be used here");  // FROM is handled by the stage driver
}

}  // namespace cairn::frontend

// Ast nodes -> typed instructions: one ParseX per instruction (BuildKit instructions/parse.go).
#include <functional>
#include <map>

#include "base/error.h"
#include "frontend/duration.h"
#include "frontend/flags.h"
#include "frontend/heredoc.h"
#include "frontend/instructions.h"
#include "frontend/source_error.h"
#include "frontend/suggest.h"
#include "frontend/text.h"

namespace cairn::frontend {
namespace {

// Errors inside one instruction are thrown as cairn::Error and located once, in
// ParseInstruction.
struct Request {
  const Node& node;
  std::vector<std::string> args;
  std::string upper;  // keyword, upper-case
};

[[noreturn]] void Fail(const std::string& message) { throw Error(message); }

// parseBuildStageName: ^[a-z][a-z0-9-_.]*$
bool ValidStageName(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || IsDigit(c) || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// parseOnBuild's (?i)^\s*ONBUILD\s* removed from the original line.
std::string StripOnbuild(std::string_view original) {
  size_t i = 0;
  while (i < original.size() && IsRegexpSpace(original[i])) ++i;
  if (!EqualFold(original.substr(i, 7), "onbuild")) return std::string(original);
  i += 7;
  while (i < original.size() && IsRegexpSpace(original[i])) ++i;
  return std::string(original.substr(i));
}

void NoFlags(const Request& r) { Flags(r.node.flags, {}); }

InstructionDetail ParseFrom(const Request& r) {
  Flags flags(r.node.flags, {{"platform", FlagKind::kString}});
  const auto& a = r.args;
  if (a.size() != 1 && a.size() != 3) Fail("FROM requires either one or three arguments");
  FromInstr from;
  from.image = a[0];
  from.platform = flags.String("platform").value_or("");
  if (a.size() == 3) {
    if (!EqualFold(a[1], "as")) Fail("FROM: expected 'AS' as the second argument, got \"" + a[1] + "\"");
    std::string name = ToLower(a[2]);
    if (!ValidStageName(name)) {
      Fail("invalid name for build stage: \"" + a[2] +
           "\", name can't start with a number or contain symbols");
    }
    from.name = name;
  }
  return from;
}

// Shell-form commands are one string; exec-form ones the JSON elements.
std::vector<std::string> CommandArgs(const Request& r) { return r.args; }

InstructionDetail ParseRun(const Request& r) {
  Flags flags(r.node.flags, {{"mount", FlagKind::kList},
                             {"network", FlagKind::kString},
                             {"security", FlagKind::kString},
                             {"device", FlagKind::kList}});
  if (r.args.empty()) Fail("RUN requires at least one argument");
  RunInstr run;
  run.json = r.node.json;
  run.cmd = CommandArgs(r);
  run.mounts = flags.List("mount");
  run.network = flags.String("network").value_or("");
  if (!run.network.empty() && run.network != "default" && run.network != "none" &&
      run.network != "host") {
    Fail("unsupported network mode \"" + run.network + "\" (use default, none or host)");
  }
  run.security = flags.String("security").value_or("");
  if (!run.security.empty() && run.security != "sandbox" && run.security != "insecure") {
    Fail("unsupported security mode \"" + run.security + "\" (use sandbox or insecure)");
  }
  run.devices = flags.List("device");
  run.heredocs = r.node.heredocs;
  return run;
}

InstructionDetail ParseCmd(const Request& r) {
  NoFlags(r);
  return CmdInstr{r.node.json, CommandArgs(r)};
}

InstructionDetail ParseEntrypoint(const Request& r) {
  NoFlags(r);
  return EntrypointInstr{r.node.json, CommandArgs(r)};
}

// Splits sources and destination; heredoc words become inline sources.
void SourcesAndDest(const Request& r, CopyInstr& copy) {
  if (r.args.size() < 2) {
    Fail(r.upper + " requires at least two arguments, but only one was provided. Destination "
                   "could not be determined");
  }
  std::vector<Heredoc> docs = r.node.heredocs;
  size_t next_doc = 0;
  for (size_t i = 0; i + 1 < r.args.size(); ++i) {
    const std::string& word = r.args[i];
    std::optional<Heredoc> h;
    if (!r.node.json && next_doc < docs.size()) h = ParseHeredocWord(word);
    if (h && h->name == docs[next_doc].name) {
      copy.inline_sources.push_back(docs[next_doc++]);
    } else {
      copy.sources.push_back(word);
    }
  }
  copy.dest = r.args.back();
  if (!r.node.json && next_doc < docs.size() && ParseHeredocWord(copy.dest)) {
    Fail(r.upper + " cannot accept a heredoc as a destination");
  }
}

InstructionDetail ParseCopy(const Request& r) {
  Flags flags(r.node.flags, {{"from", FlagKind::kString},
                             {"chown", FlagKind::kString},
                             {"chmod", FlagKind::kString},
                             {"link", FlagKind::kBool},
                             {"parents", FlagKind::kBool},
                             {"exclude", FlagKind::kList}});
  CopyInstr copy;
  SourcesAndDest(r, copy);
  copy.from = flags.String("from").value_or("");
  copy.chown = flags.String("chown").value_or("");
  copy.chmod = flags.String("chmod").value_or("");
  copy.link = flags.Bool("link");
  copy.parents = flags.Bool("parents");
  copy.excludes = flags.List("exclude");
  return copy;
}

InstructionDetail ParseAdd(const Request& r) {
  Flags flags(r.node.flags, {{"chown", FlagKind::kString},
                             {"chmod", FlagKind::kString},
                             {"link", FlagKind::kBool},
                             {"keep-git-dir", FlagKind::kBool},
                             {"checksum", FlagKind::kString},
                             {"unpack", FlagKind::kBool},
                             {"exclude", FlagKind::kList}});
  CopyInstr copy;
  copy.is_add = true;
  SourcesAndDest(r, copy);
  copy.chown = flags.String("chown").value_or("");
  copy.chmod = flags.String("chmod").value_or("");
  copy.link = flags.Bool("link");
  copy.keep_git_dir = flags.Bool("keep-git-dir");
  copy.checksum = flags.String("checksum").value_or("");
  copy.unpack = flags.OptionalBool("unpack");
  copy.excludes = flags.List("exclude");
  return copy;
}

// ENV and LABEL arguments come in (key, value, separator) triples.
std::vector<KeyValue> KeyValues(const Request& r) {
  if (r.args.empty()) Fail(r.upper + " requires at least one argument");
  if (r.args.size() % 3 != 0) Fail("bad input to " + r.upper + ", too many arguments");
  std::vector<KeyValue> out;
  for (size_t i = 0; i + 2 < r.args.size(); i += 3) out.push_back({r.args[i], r.args[i + 1]});
  return out;
}

InstructionDetail ParseEnv(const Request& r) {
  NoFlags(r);
  EnvInstr env{KeyValues(r)};
  for (const KeyValue& kv : env.vars) {
    if (kv.key.empty()) Fail("ENV names can not be blank");
  }
  return env;
}

InstructionDetail ParseLabel(const Request& r) {
  NoFlags(r);
  return LabelInstr{KeyValues(r)};
}

InstructionDetail ParseArg(const Request& r) {
  // BuildKit never validates ARG flags.
  if (r.args.empty()) Fail("ARG requires at least one argument");
  ArgInstr arg;
  for (const std::string& word : r.args) {
    size_t eq = word.find('=');
    ArgInstr::Arg a;
    a.name = word.substr(0, eq);
    if (eq != std::string::npos) a.value = word.substr(eq + 1);
    if (a.name.empty()) Fail("ARG names can not be blank");
    arg.args.push_back(std::move(a));
  }
  return arg;
}

InstructionDetail ParseWorkdir(const Request& r) {
  NoFlags(r);
  if (r.args.size() != 1) Fail("WORKDIR requires exactly one argument");
  return WorkdirInstr{r.args[0]};
}

InstructionDetail ParseExpose(const Request& r) {
  NoFlags(r);
  if (r.args.empty()) Fail("EXPOSE requires at least one argument");
  return ExposeInstr{r.args};
}

InstructionDetail ParseUser(const Request& r) {
  NoFlags(r);
  if (r.args.size() != 1) Fail("USER requires exactly one argument");
  return UserInstr{r.args[0]};
}

InstructionDetail ParseVolume(const Request& r) {
  NoFlags(r);
  if (r.args.empty()) Fail("VOLUME requires at least one argument");
  VolumeInstr volume;
  for (const std::string& v : r.args) {
    if (TrimSpace(v).empty()) Fail("VOLUME specified can not be an empty string");
    volume.paths.push_back(v);
  }
  return volume;
}

InstructionDetail ParseShell(const Request& r) {
  NoFlags(r);
  if (!r.node.json) Fail("SHELL requires the arguments to be in JSON form");
  if (r.args.empty()) Fail("SHELL requires at least one argument");
  return ShellInstr{r.args};
}

InstructionDetail ParseStopSignal(const Request& r) {
  // BuildKit never validates STOPSIGNAL flags.
  if (r.args.size() != 1) Fail("STOPSIGNAL requires exactly one argument");
  return StopSignalInstr{r.args[0]};
}

int64_t IntervalFlag(const Flags& flags, const std::string& name) {
  std::string value = flags.String(name).value_or("");
  if (value.empty()) return 0;
  int64_t ns = 0;
  if (!ParseGoDuration(value, ns)) Fail("time: invalid duration \"" + value + "\" in --" + name);
  if (ns != 0 && ns < 1000000) Fail("Interval \"" + name + "\" cannot be less than 1ms");
  if (ns < 0) Fail("Interval \"" + name + "\" cannot be negative");
  return ns;
}

InstructionDetail ParseHealthcheck(const Request& r) {
  if (r.args.empty()) Fail("HEALTHCHECK requires an argument");
  std::string type = ToUpper(r.args[0]);
  HealthcheckInstr out;
  if (type == "NONE") {
    // BuildKit never validates flags of HEALTHCHECK NONE.
    if (r.args.size() != 1) Fail("HEALTHCHECK NONE takes no arguments");
    out.check.test = {"NONE"};
    return out;
  }
  if (type != "CMD") Fail("Unknown type \"" + r.args[0] + "\" in HEALTHCHECK (try CMD)");
  Flags flags(r.node.flags, {{"interval", FlagKind::kString},
                             {"timeout", FlagKind::kString},
                             {"start-period", FlagKind::kString},
                             {"start-interval", FlagKind::kString},
                             {"retries", FlagKind::kString}});
  if (r.args.size() < 2) Fail("Missing command after HEALTHCHECK CMD");
  if (r.node.json) {
    out.check.test = {"CMD"};
    out.check.test.insert(out.check.test.end(), r.args.begin() + 1, r.args.end());
  } else {
    out.check.test = {"CMD-SHELL", r.args[1]};
  }
  out.check.interval_ns = IntervalFlag(flags, "interval");
  out.check.timeout_ns = IntervalFlag(flags, "timeout");
  out.check.start_period_ns = IntervalFlag(flags, "start-period");
  out.check.start_interval_ns = IntervalFlag(flags, "start-interval");
  if (auto retries = flags.String("retries")) {
    std::string_view digits = *retries;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    if (!IsDigits(digits, 9)) Fail("invalid --retries value \"" + *retries + "\"");
    out.check.retries = std::stoi(*retries);
    if (out.check.retries < 0) Fail("--retries cannot be negative (" + *retries + ")");
  }
  return out;
}

InstructionDetail ParseOnbuild(const Request& r) {
  NoFlags(r);
  if (r.node.sub.empty()) Fail("ONBUILD requires at least one argument");
  std::string trigger = ToUpper(r.node.sub[0].keyword);
  if (trigger == "ONBUILD") Fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger == "FROM" || trigger == "MAINTAINER") {
    Fail(trigger + " isn't allowed as an ONBUILD trigger");
  }
  std::string expression = StripOnbuild(r.node.original);
  for (const Heredoc& doc : r.node.heredocs) expression += "\n" + doc.content + doc.name;
  return OnbuildInstr{expression};
}

InstructionDetail ParseMaintainer(const Request& r) {
  NoFlags(r);
  if (r.args.size() != 1) Fail("MAINTAINER requires exactly one argument");
  return MaintainerInstr{r.args[0]};
}

using ParseFn = InstructionDetail (*)(const Request&);

const std::map<std::string, ParseFn>& Parsers() {
  static const std::map<std::string, ParseFn> table = {
      {"FROM", ParseFrom},         {"RUN", ParseRun},
      {"CMD", ParseCmd},           {"ENTRYPOINT", ParseEntrypoint},
      {"COPY", ParseCopy},         {"ADD", ParseAdd},
      {"ENV", ParseEnv},           {"ARG", ParseArg},
      {"WORKDIR", ParseWorkdir},   {"LABEL", ParseLabel},
      {"EXPOSE", ParseExpose},     {"USER", ParseUser},
      {"VOLUME", ParseVolume},     {"SHELL", ParseShell},
      {"STOPSIGNAL", ParseStopSignal}, {"HEALTHCHECK", ParseHealthcheck},
      {"ONBUILD", ParseOnbuild},   {"MAINTAINER", ParseMaintainer},
  };
  return table;
}

std::string UnknownInstruction(const std::string& keyword) {
  std::vector<std::string> names;
  for (const auto& [name, fn] : Parsers()) names.push_back(name);
  std::string message = "unknown instruction \"" + keyword + "\"";
  std::string suggestion = Suggest(keyword, names);
  if (!suggestion.empty()) message += " (did you mean " + suggestion + "?)";
  return message;
}

}  // namespace

Instruction ParseInstruction(const Node& node, const Ast& ast) {
  Instruction out;
  out.location = {ast.file, node.start_line, node.column};
  out.keyword = ToUpper(node.keyword);
  out.original = node.original;
  auto it = Parsers().find(out.keyword);
  if (it == Parsers().end()) {
    throw LocatedError(ast.lines, out.location, UnknownInstruction(node.keyword));
  }
  try {
    out.detail = it->second(Request{node, node.args, out.keyword});
  } catch (const ParseError&) {
    throw;
  } catch (const Error& e) {
    throw LocatedError(ast.lines, out.location, e.what());
  }
  return out;
}

Dockerfile ParseDockerfile(const Ast& ast) {
  Dockerfile file;
  file.lines = ast.lines;
  file.file = ast.file;
  file.escape = ast.directives.escape;
  for (const Node& node : ast.nodes) {
    Instruction instr = ParseInstruction(node, ast);
    if (std::holds_alternative<FromInstr>(instr.detail)) {
      file.stages.push_back({std::move(instr), {}});
    } else if (file.stages.empty()) {
      if (!std::holds_alternative<ArgInstr>(instr.detail)) {
        throw LocatedError(ast.lines, instr.location,
                           "no build stage in current context: only ARG may come before the "
                           "first FROM (found " + instr.keyword + ")");
      }
      file.meta_args.push_back(std::move(instr));
    } else {
      file.stages.back().commands.push_back(std::move(instr));
    }
  }
  if (file.stages.empty()) {
    throw LocatedError(ast.lines, {ast.file, ast.end_line, 1},
                       "dockerfile contains no stages to build: it has no FROM instruction, and every "
                       "build needs a base (FROM scratch for an empty one)");
  }
  return file;
}

}  // namespace cairn::frontend

// Typed instructions: the Ast checked against each instruction's rules (BuildKit
// instructions/parse.go), one struct and one parse function per instruction, each with its
// Location. Nothing is expanded yet: words keep their quotes and $VARs for the lowering.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "plan/plan.h"
#include "frontend/ast.h"

namespace cairn::frontend {

struct KeyValue {
  std::string key;    // unexpanded
  std::string value;  // unexpanded
};

struct FromInstr {
  std::string image;     // unexpanded
  std::string name;      // lower-cased `AS name`, or empty
  std::string platform;  // unexpanded --platform, or empty
};
struct RunInstr {
  bool json = false;
  std::vector<std::string> cmd;  // exec form: argv; shell form: one string
  std::vector<std::string> mounts;  // raw --mount values
  std::string network;             // empty = default
  std::string security;            // empty = sandbox
  std::vector<Heredoc> heredocs;
};
struct CmdInstr {
  bool json = false;
  std::vector<std::string> cmd;
};
struct EntrypointInstr {
  bool json = false;
  std::vector<std::string> cmd;
};
struct CopyInstr {
  bool is_add = false;
  std::vector<std::string> sources;  // unexpanded, heredoc sources excluded
  std::vector<Heredoc> inline_sources;
  std::string dest;                  // unexpanded
  std::string from, chown, chmod, checksum;
  bool link = false, parents = false, keep_git_dir = false;
  std::optional<bool> unpack;
  std::vector<std::string> excludes;
};
struct EnvInstr {
  std::vector<KeyValue> vars;
};
struct ArgInstr {
  struct Arg {
    std::string name;
    std::optional<std::string> value;  // unexpanded default
  };
  std::vector<Arg> args;
};
struct WorkdirInstr {
  std::string path;
};
struct LabelInstr {
  std::vector<KeyValue> labels;
};
struct ExposeInstr {
  std::vector<std::string> ports;
};
struct UserInstr {
  std::string user;
};
struct VolumeInstr {
  std::vector<std::string> paths;
};
struct ShellInstr {
  std::vector<std::string> shell;
};
struct StopSignalInstr {
  std::string signal;
};
struct HealthcheckInstr {
  plan::Healthcheck check;  // test = {"NONE"} | {"CMD", ...} | {"CMD-SHELL", cmd}
};
struct OnbuildInstr {
  std::string expression;  // the trigger as docker stores it: "RUN make"
};
struct MaintainerInstr {
  std::string name;
};

using InstructionDetail =
    std::variant<FromInstr, RunInstr, CmdInstr, EntrypointInstr, CopyInstr, EnvInstr, ArgInstr,
                 WorkdirInstr, LabelInstr, ExposeInstr, UserInstr, VolumeInstr, ShellInstr,
                 StopSignalInstr, HealthcheckInstr, OnbuildInstr, MaintainerInstr>;

struct Instruction {
  plan::Location location;
  std::string keyword;   // upper-case, e.g. "COPY"
  std::string original;  // the logical line as written (for progress output)
  InstructionDetail detail;
};

struct StageInstructions {
  Instruction from;  // detail is FromInstr
  std::vector<Instruction> commands;
};

struct Dockerfile {
  std::vector<Instruction> meta_args;  // ARGs before the first FROM
  std::vector<StageInstructions> stages;
  std::vector<std::string> lines;      // physical lines, for error snippets
  std::string file;
  char escape = '\\';
};

// Checks and types one node. Throws ParseError located at the node (unknown instruction with a
// suggestion, bad flags, wrong argument counts, ...).
Instruction ParseInstruction(const Node& node, const Ast& ast);

// The whole file: ARGs before the first FROM, then stages. Throws ParseError (e.g. an instruction
// other than ARG before the first FROM).
Dockerfile ParseDockerfile(const Ast& ast);

}  // namespace cairn::frontend

// COPY/ADD --chmod: an octal mode ("755", "0644") or chmod(1) symbolic clauses ("u+x",
// "go-w", "u=rwx,go=rx", "a+X"), as BuildKit accepts them.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace cairn::builder {

class ChmodSpec {
 public:
  // Throws Error naming the text and the accepted forms (the caller adds the Dockerfile line).
  static ChmodSpec Parse(const std::string& text);

  // The mode an entry gets: the octal mode itself, or the clauses applied in order to the
  // source's permission bits, like chmod(1). A clause without who ("+x") means "a" and, unlike
  // chmod(1), ignores the umask: the image must not depend on the builder's environment.
  mode_t Apply(mode_t source_mode, bool is_dir) const;

 private:
  struct Op {
    char op;          // '+', '-', '='
    mode_t who;       // mask of the u/g/o bits addressed (07777-style, incl. s/t bits)
    mode_t perm;      // literal rwxst bits already spread over the addressed classes
    bool cap_x;       // 'X': x where a directory or any x was set
    char copy_from;   // 'u', 'g', 'o' or 0: "g=u" copies another class's bits
  };
  bool octal_ = false;
  mode_t mode_ = 0;
  std::vector<Op> ops_;
};

}  // namespace cairn::builder

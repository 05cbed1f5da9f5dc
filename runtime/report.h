// The one message the container's processes send to Run() over the sync pipe.
//
// The pipe is the only way a child may report: it never throws (see base/error.h). A setup failure
// is {kSetupError, errno, what}; the parent turns it into cairn::Error("<what>: <strerror>"). When
// the command has ended, PID 1 sends {kExited, code, signal}. Each report is written with one
// write() smaller than PIPE_BUF, so reports never interleave.
#pragma once

#include <limits.h>

namespace cairn::runtime {

struct ChildReport {
  enum Kind : int { kSetupError = 1, kExited = 2 };
  int kind = 0;
  int err = 0;        // kSetupError: the errno of the failed call
  int exit_code = 0;  // kExited
  int signal = 0;     // kExited: the signal that killed the command, or 0
  char what[1000] = {};  // kSetupError: "mount overlay on /tmp/cairn-ctr-x/root"
};
static_assert(sizeof(ChildReport) <= PIPE_BUF, "a report must be written atomically");

}  // namespace cairn::runtime

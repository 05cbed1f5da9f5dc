// The one error-handling convention of cairn.
//
// A failure a caller cannot recover from locally is thrown as cairn::Error. Its message is
// complete and meant for a person: what failed, on which path / line / reference, and, where
// there is one, what to do ("open /x/Dockerfile: No such file or directory (pass -f FILE)").
// Messages are built where the facts are known and wrapped at most once per boundary
// (`Wrap("building stage web", e)`), never re-worded on the way up. Only cli/ catches Error, prints
// "cairn: <message>" and exits non-zero. Code that runs in a forked child after clone() never
// throws: it reports {errno, message} to the parent over a pipe and _exits (see runtime/).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cairn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// "<what> <path>: <strerror(errno)>" from the current errno, e.g. SysError("open", "/etc/x").
Error SysError(std::string_view what, std::string_view path);
// Same with an explicit errno value.
Error SysError(std::string_view what, std::string_view path, int err);

// Prefixes context onto an error: "<context>: <original message>".
Error Wrap(std::string_view context, const std::exception& e);

}  // namespace cairn

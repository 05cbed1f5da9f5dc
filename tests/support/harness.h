// Helpers for integration tests that drive the real `cairn` binary (and reference tools).
#pragma once

#include <string>
#include <vector>

namespace cairn::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv (no shell), with extra "K=V" environment entries, and collects its output.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

// A fresh directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes a file, creating parent directories.
void WriteTextFile(const std::string& path, const std::string& text);

// `cairn --root ROOT args...`
CommandResult Cairn(const std::string& root, const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {});

// Imports the deterministic busybox base image as "busybox:latest" into the store at root.
void ImportBusybox(const std::string& root);

// The store scripts/examples-base imported the Debian 12 base into: $CAIRN_EXAMPLES_ROOT, else
// $CAIRN_ROOT, else /var/lib/cairn. scripts/test makes it once per build tree
// (build/examples-root), so every test that needs Debian shares one debootstrap.
std::string ExamplesRoot();

// Loads that Debian 12 base (debian-gcc:bookworm: minbase + gcc, libc6-dev; apt lists removed)
// into the store at root, tagged `tag`. Returns "" when it is there, else why it is not, for
// the caller's GTEST_SKIP (it names the command that makes the base).
std::string LoadDebianBase(const std::string& root, const std::string& tag = "debian:bookworm");

// Whether Debian's archive (deb.debian.org:80) answers a TCP connect within a few seconds: tests
// that apt-get inside RUN skip with a message when it does not.
bool DebianArchiveReachable();
// Whether host:port answers a TCP connect within a few seconds.
bool TcpReachable(const std::string& host, const std::string& port);

}  // namespace cairn::testing

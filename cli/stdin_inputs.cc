#include "cli/stdin_inputs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "base/fs.h"
#include "store/layer_extract.h"

namespace cairn::cli {
namespace {

// Copies fd to a new file at path; returns its first bytes (for the archive check).
std::string Spool(int fd, const std::string& path, size_t keep) {
  UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) throw SysError("open", path);
  std::string head;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("read", "standard input");
    if (n == 0) break;
    if (head.size() < keep) head.append(buf, std::min(static_cast<size_t>(n), keep - head.size()));
    WriteAll(out.get(), buf, static_cast<size_t>(n), path);
  }
  return head;
}

// docker's archive.IsArchive: a compressed stream or a tar header ("ustar" at offset 257, as
// GNU, POSIX and old ustar writers all put it).
bool IsArchive(const std::string& head) {
  auto starts = [&](const char* magic, size_t n) { return head.size() >= n && std::memcmp(head.data(), magic, n) == 0; };
  return starts("\x1f\x8b", 2) || starts("BZh", 3) || starts("\xfd" "7zXZ\0", 6) || starts("\x28\xb5\x2f\xfd", 4) ||
         (head.size() >= 262 && head.compare(257, 5, "ustar") == 0);
}

}  // namespace

StdinInputs StdinInputs::Context(store::Store& store, int fd) {
  StdinInputs in(store.NewScratchDir("build-stdin-"));
  in.context_dir_ = JoinPath(in.scratch_, "context");
  MakeDirs(in.context_dir_, 0755);
  std::string spooled = JoinPath(in.scratch_, "stdin");
  std::string head = Spool(fd, spooled, 512);
  if (!IsArchive(head)) {
    in.dockerfile_path_ = spooled;  // `docker build - < Dockerfile`: no context at all
    return in;
  }
  UniqueFd tar(::open(spooled.c_str(), O_RDONLY | O_CLOEXEC));
  if (!tar) throw SysError("open", spooled);
  // Layer whiteout names mean nothing in a context: .wh.x is an ordinary file there.
  store::ExtractTarFd(tar.get(), "the build context on stdin", in.context_dir_, store::ExtractOptions{.whiteouts = false});
  ::unlink(spooled.c_str());
  return in;
}

StdinInputs StdinInputs::Dockerfile(store::Store& store, int fd) {
  StdinInputs in(store.NewScratchDir("build-stdin-"));
  in.dockerfile_path_ = JoinPath(in.scratch_, "Dockerfile");
  Spool(fd, in.dockerfile_path_, 0);
  return in;
}

StdinInputs::StdinInputs(StdinInputs&& other) noexcept
    : scratch_(std::move(other.scratch_)),
      context_dir_(std::move(other.context_dir_)),
      dockerfile_path_(std::move(other.dockerfile_path_)) {
  other.scratch_.clear();
}

StdinInputs::~StdinInputs() {
  if (scratch_.empty()) return;
  try {
    RemoveAll(scratch_);
  } catch (const Error&) {
    // Best effort: the store sweeps a dead process's scratch on its next open.
  }
}

}  // namespace cairn::cli

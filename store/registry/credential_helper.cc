// Running docker-credential-<name> and reading its replies.
#include "store/registry/credential_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fs.h"

extern char** environ;

namespace cairn::store::registry {
namespace {

struct HelperRun {
  int status = -1;  // exit code, or 128 + signal
  std::string out, err;
};

// A helper name is one path component: config.json must not make us run "../../bin/x".
std::string Program(const std::string& helper) {
  if (helper.empty() || helper.find('/') != std::string::npos)
    throw Error("docker config names credential helper \"" + helper + "\"; a helper is a name such as \"pass\" or \"ecr-login\"");
  return "docker-credential-" + helper;
}

// Writes `input` to fd with SIGPIPE blocked in this thread, so a helper that exits without
// reading its stdin is an EPIPE here, not the death of cairn. A pending SIGPIPE is consumed.
void WriteInput(int fd, const std::string& input) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool broken = false;
  for (size_t done = 0; done < input.size();) {
    ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken = true;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (broken) {
    timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

HelperRun Run(const std::string& helper, const std::string& action, const std::string& input) {
  std::string program = Program(helper);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    Error e = SysError("pipe", program);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      if (fd >= 0) ::close(fd);
    throw e;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv = {program.data(), const_cast<char*>(action.c_str()), nullptr};
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  for (int fd : {in[0], out[1], err[1]}) ::close(fd);
  UniqueFd to_child(in[1]), from_out(out[0]), from_err(err[0]);
  if (rc != 0)
    throw Error("credential helper " + program + ": " + std::strerror(rc) +
                (rc == ENOENT ? " (not on PATH; install it, or remove \"" + helper + "\" from docker's config.json)" : ""));
  WriteInput(to_child.get(), input);
  to_child.Reset();
  HelperRun run;
  pollfd fds[2] = {{from_out.get(), POLLIN, 0}, {from_err.get(), POLLIN, 0}};
  for (int open = 2; open > 0;) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? run.out : run.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// What a failed helper said, short, with `secret` masked: a helper may echo its input.
std::string Said(const HelperRun& run, const std::string& secret = "") {
  std::string said = run.out + (run.out.empty() || run.err.empty() ? "" : "; ") + run.err;
  if (!secret.empty())
    for (size_t at; (at = said.find(secret)) != std::string::npos;) said.replace(at, secret.size(), "****");
  while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
  if (said.size() > 300) said = said.substr(0, 300) + "...";
  return said.empty() ? "exit status " + std::to_string(run.status) : said;
}

// The helpers' own wording for "nothing stored" (credentials.errCredentialsNotFound).
bool SaysNotFound(const HelperRun& run) {
  return run.out.find("credentials not found") != std::string::npos ||
         run.err.find("credentials not found") != std::string::npos;
}

}  // namespace

std::optional<HelperCredentials> HelperGet(const std::string& helper, const std::string& server_url) {
  HelperRun run = Run(helper, "get", server_url);
  if (run.status != 0) {
    if (SaysNotFound(run)) return std::nullopt;
    throw Error("credential helper docker-credential-" + helper + " get " + server_url + " failed: " + Said(run));
  }
  nlohmann::json reply = nlohmann::json::parse(run.out, nullptr, false);
  // The reply holds the secret: never show it, only say what shape was expected.
  if (reply.is_discarded() || !reply.is_object() || !reply.contains("Username") || !reply["Username"].is_string() ||
      !reply.contains("Secret") || !reply["Secret"].is_string())
    throw Error("credential helper docker-credential-" + helper + " get " + server_url +
                ": the reply is not {\"ServerURL\", \"Username\", \"Secret\"} JSON");
  HelperCredentials c{reply["Username"].get<std::string>(), reply["Secret"].get<std::string>()};
  if (c.secret.empty()) return std::nullopt;
  return c;
}

void HelperStore(const std::string& helper, const std::string& server_url, const HelperCredentials& credentials) {
  nlohmann::json request = {{"ServerURL", server_url}, {"Username", credentials.username}, {"Secret", credentials.secret}};
  HelperRun run = Run(helper, "store", request.dump());
  if (run.status != 0)
    throw Error("credential helper docker-credential-" + helper + " store " + server_url + " failed: " +
                Said(run, credentials.secret));
}

bool HelperErase(const std::string& helper, const std::string& server_url) {
  HelperRun run = Run(helper, "erase", server_url);
  if (run.status == 0) return true;
  if (SaysNotFound(run)) return false;
  throw Error("credential helper docker-credential-" + helper + " erase " + server_url + " failed: " + Said(run));
}

}  // namespace cairn::store::registry

#include "tests/support/git_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "tests/support/harness.h"

namespace cairn::testing {

namespace {

// git http-backend is a CGI program; http.server's CGI handler cannot run it (it wants a
// script under cgi-bin and drops the Status header), so this runs it per request.
constexpr const char* kHttpBackend = R"PY(
import base64, http.server, os, subprocess, sys
root, port, auth = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self): self.cgi()
    def do_POST(self): self.cgi()
    def cgi(self):
        if auth and self.headers.get('Authorization', '') != 'Basic ' + base64.b64encode(auth.encode()).decode():
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="git"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        path, _, query = self.path.partition('?')
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL='1', PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, CONTENT_LENGTH=str(len(body)),
                   CONTENT_TYPE=self.headers.get('Content-Type', ''), REMOTE_ADDR='127.0.0.1')
        out = subprocess.run(['git', 'http-backend'], input=body, env=env, capture_output=True).stdout
        head, _, rest = out.partition(b'\r\n\r\n')
        status, headers = 200, []
        for line in head.decode().split('\r\n'):
            key, _, value = line.partition(':')
            if key.lower() == 'status': status = int(value.split()[0])
            elif key: headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers: self.send_header(key, value)
        self.send_header('Content-Length', str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
)PY";

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

pid_t Spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid > 0) setpgid(pid, pid);  // also here, so Stop() never races the child's own call
  if (pid == 0) {
    setpgid(0, 0);  // git runs git-daemon as a child: the group is stopped as one
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void WaitUntilListening(int port, const char* what) {
  for (int i = 0; i < 200; ++i) {
    if (TcpReachable("127.0.0.1", std::to_string(port))) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << what << " did not start on port " << port;
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

}  // namespace

GitServer::GitServer(const std::string& base_dir, const std::string& user, const std::string& password) {
  git_port_ = FreePort();
  git_pid_ = Spawn({"git", "daemon", "--reuseaddr", "--export-all", "--base-path=" + base_dir, "--listen=127.0.0.1",
                    "--port=" + std::to_string(git_port_), base_dir});
  script_ = base_dir + "/../git-http-backend.py";
  WriteTextFile(script_, kHttpBackend);
  http_port_ = FreePort();
  http_pid_ = Spawn({"python3", script_, base_dir, std::to_string(http_port_), user.empty() ? "" : user + ":" + password});
  WaitUntilListening(git_port_, "git daemon");
  WaitUntilListening(http_port_, "git http-backend's server");
}

GitServer::~GitServer() {
  Stop(git_pid_);
  Stop(http_pid_);
  std::remove(script_.c_str());
}

std::string GitServer::GitUrl(const std::string& name) const {
  return "git://127.0.0.1:" + std::to_string(git_port_) + "/" + name;
}

std::string GitServer::HttpUrl(const std::string& name, const std::string& userinfo) const {
  return "http://" + (userinfo.empty() ? "" : userinfo + "@") + "127.0.0.1:" + std::to_string(http_port_) + "/" + name;
}

SshServer::SshServer(const std::string& dir, const std::string& authorized_keys) : dir_(dir) {
  WriteTextFile(dir + "/authorized_keys", authorized_keys);  // also makes dir
  auto key = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cairn-test-host", "-f", dir + "/host_key"});
  EXPECT_EQ(key.exit_code, 0) << key.err;
  port_ = FreePort();
  WriteTextFile(dir + "/sshd_config", "ListenAddress 127.0.0.1\nPort " + std::to_string(port_) + "\nHostKey " + dir +
                                          "/host_key\nAuthorizedKeysFile " + dir + "/authorized_keys\n"
                                          "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                                          "StrictModes no\nPermitRootLogin prohibit-password\nPidFile none\n"
                                          "LogLevel VERBOSE\n");
  ::mkdir("/run/sshd", 0755);  // sshd's privilege separation directory, as Debian's unit makes it
  pid_ = Spawn({"/usr/sbin/sshd", "-D", "-f", dir + "/sshd_config", "-E", dir + "/sshd.log"});
  WaitUntilListening(port_, "sshd");
}

SshServer::~SshServer() { Stop(pid_); }

std::string SshServer::Url(const std::string& path) const {
  return "ssh://root@127.0.0.1:" + std::to_string(port_) + path;
}

namespace {
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

std::string SshServer::KnownHostsLine() const {
  std::string pub = Slurp(dir_ + "/host_key.pub");
  return "[127.0.0.1]:" + std::to_string(port_) + " " + pub.substr(0, pub.find(" cairn-test-host")) + "\n";
}

std::string SshServer::Log() const { return Slurp(dir_ + "/sshd.log"); }

void Git(const std::string& dir, const std::vector<std::string>& args, const std::string& date) {
  std::vector<std::string> argv = {"git", "-C", dir, "-c", "user.name=cairn test", "-c", "user.email=test@cairn.invalid",
                                   "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv, {"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date});
  ASSERT_EQ(r.exit_code, 0) << "git " << args[0] << ": " << r.err;
}

}  // namespace cairn::testing

#include "runtime/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "base/error.h"

namespace cairn::runtime {

namespace {

std::atomic<int> g_winch_fd{-1};  // the running relay's pipe (one terminal per process)

void OnWinch(int) {
  int saved = errno;
  int fd = g_winch_fd.load();
  if (fd >= 0) {
    char c = 0;
    ssize_t ignored = ::write(fd, &c, 1);
    (void)ignored;
  }
  errno = saved;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

UniqueFd ReceiveFd(int socket) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n <= 0) return UniqueFd();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return UniqueFd();
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

TerminalRelay::TerminalRelay(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  int sized = in_fd_ >= 0 && ::isatty(in_fd_) ? in_fd_ : ::isatty(out_fd_) ? out_fd_ : -1;
  if (sized >= 0) ::ioctl(sized, TIOCGWINSZ, &size_);
  // Raw mode on the user's terminal (as docker run -t): keys go to the container unprocessed,
  // and output is not processed twice (the container's pty already turned "\n" into "\r\n").
  raw_fd_ = sized;
  termios mode;
  if (raw_fd_ >= 0 && ::tcgetattr(raw_fd_, &mode) == 0) {
    saved_ = mode;
    ::cfmakeraw(&mode);
    ::tcsetattr(raw_fd_, TCSADRAIN, &mode);
  }
  if (sized >= 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      winch_read_ = UniqueFd(fds[0]);
      winch_write_ = UniqueFd(fds[1]);
      g_winch_fd = winch_write_.get();
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = OnWinch;
      sa.sa_flags = SA_RESTART;
      ::sigaction(SIGWINCH, &sa, nullptr);
    }
  }
}

TerminalRelay::~TerminalRelay() { Finish(); }

void TerminalRelay::Start(UniqueFd master) {
  master_ = std::move(master);
  thread_ = std::thread([this] { Relay(); });
}

void TerminalRelay::Relay() {
  bool reading_input = in_fd_ >= 0;
  char buf[16384];
  for (;;) {
    pollfd p[3] = {{master_.get(), POLLIN, 0}, {reading_input ? in_fd_ : -1, POLLIN, 0}, {winch_read_.get(), POLLIN, 0}};
    if (::poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents) {
      // Output first: on hangup, read until EIO so nothing the command wrote is lost.
      ssize_t n = ::read(master_.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EIO: no process holds the terminal any more
      if (!WriteAll(out_fd_, buf, static_cast<size_t>(n))) out_fd_ = -1;  // keep draining
      continue;
    }
    if (p[1].revents) {
      ssize_t n = ::read(in_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        reading_input = false;  // end of input: the command sees no more keys
        continue;
      }
      WriteAll(master_.get(), buf, static_cast<size_t>(n));
    }
    if (p[2].revents) {
      char drain[64];
      while (::read(winch_read_.get(), drain, sizeof drain) > 0) {
      }
      winsize ws;
      if (::ioctl(raw_fd_, TIOCGWINSZ, &ws) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &ws);
    }
  }
}

void TerminalRelay::Finish() {
  if (thread_.joinable()) thread_.join();
  if (winch_write_) {
    signal(SIGWINCH, SIG_DFL);
    g_winch_fd = -1;
    winch_write_.Reset();
  }
  if (saved_) {
    ::tcsetattr(raw_fd_, TCSADRAIN, &*saved_);
    saved_.reset();
  }
  master_.Reset();
}

}  // namespace cairn::runtime

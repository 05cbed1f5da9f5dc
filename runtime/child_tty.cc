// ContainerSpec::tty, the container's side: a pty of the container's own devpts, so that `tty`
// names /dev/pts/N as the container sees it; the master goes to Run() over plan.tty_socket.
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/child_steps.h"
#include "runtime/child_support.h"

namespace cairn::runtime::child {

namespace {

void SendFd(int socket, int fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  std::memset(control, 0, sizeof control);
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (::sendmsg(socket, &msg, MSG_NOSIGNAL) != 1) Fail(errno, "send the terminal to cairn");
}

}  // namespace

void OpenTerminal(ChildPlan& plan) {
  int master = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Fail(errno, "open /dev/pts/ptmx");
  int unlock = 0;
  Must(::ioctl(master, TIOCSPTLCK, &unlock), "unlock the terminal");
  if (plan.tty_size.ws_row && plan.tty_size.ws_col) Must(::ioctl(master, TIOCSWINSZ, &plan.tty_size), "set the window size");
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Fail(errno, "open the terminal's slave");
  SendFd(plan.tty_socket, master);
  ::close(master);
  ::close(plan.tty_socket);
  plan.tty_socket = -1;
  plan.tty_slave = slave;
  plan.stdout_fd = plan.stderr_fd = slave;
  // Without -i the terminal still is stdin (docker -t), but nothing is ever typed into it.
  plan.stdin_fd = slave;
}

void TakeTerminal(const ChildPlan& plan) {
  if (!plan.tty) return;
  // A new session whose controlling terminal is the pty: ^C typed by the user becomes SIGINT
  // for the command's foreground process group, and job control works in a shell.
  if (::setsid() < 0) Fail(errno, "setsid");
  Must(::ioctl(0, TIOCSCTTY, 0), "make the terminal the controlling terminal");
}

}  // namespace cairn::runtime::child

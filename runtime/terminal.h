// ContainerSpec::tty, the caller's side: receives the pty master from the container and relays
// between it and the caller's descriptors until the container's last process closes the pty.
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include <optional>
#include <thread>

#include "base/fs.h"

namespace cairn::runtime {

// Receives one descriptor sent with SCM_RIGHTS; an invalid UniqueFd when the peer closed the
// socket without sending (the container failed before it made its terminal).
UniqueFd ReceiveFd(int socket);

class TerminalRelay {
 public:
  // in_fd: what the user types (-1: nothing, docker run -t without -i); out_fd: where the
  // terminal's output goes. The user's terminal (in_fd, else out_fd, if either is one) is put in
  // raw mode (every key, ^C included, goes to the container) until Finish(), and its window
  // size is followed.
  TerminalRelay(int in_fd, int out_fd);
  ~TerminalRelay();  // Finish()
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;

  // The caller's window size, all zero when in_fd and out_fd are not terminals.
  winsize Size() const { return size_; }
  // Starts relaying (a thread) through master.
  void Start(UniqueFd master);
  // Waits until the terminal is hung up (every process of the container has ended: call after
  // the container's init is reaped), with all output relayed; restores the user's terminal. Never throws.
  void Finish();

 private:
  void Relay();

  int in_fd_, out_fd_;
  winsize size_{};
  int raw_fd_ = -1;               // the user's terminal (in_fd, else out_fd), in raw mode
  std::optional<termios> saved_;  // its mode before
  UniqueFd master_;
  UniqueFd winch_read_, winch_write_;  // SIGWINCH wakes the relay through this pipe
  std::thread thread_;
};

}  // namespace cairn::runtime

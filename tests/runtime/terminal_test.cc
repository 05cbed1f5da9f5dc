// ContainerSpec::tty: the command runs on a pty of the container's own /dev/pts.
#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "tests/runtime/fixture.h"

namespace cairn::runtime::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(ContainerTest, TtyGivesTheCommandATerminalOfItsOwnDevPts) {
  ContainerSpec spec = Spec({"/bin/sh", "-c", "tty; test -t 0 && test -t 1 && test -t 2 && echo all-terminals; exit 3"});
  spec.tty = true;
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.status.exit_code, 3);
  // The terminal turns "\n" into "\r\n", as docker run -t shows.
  EXPECT_EQ(r.out, "/dev/pts/0\r\nall-terminals\r\n");
  EXPECT_EQ(r.err, "");  // stderr went to the terminal too
}

TEST_F(ContainerTest, TtyRelaysInputAndTheCommandLeadsItsSession) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::string typed = "echo typed-$((40+2))\nexit 4\n";
  ASSERT_EQ(::write(write_end.get(), typed.data(), typed.size()), static_cast<ssize_t>(typed.size()));
  write_end.Reset();
  ContainerSpec spec = Spec({"/bin/sh", "-c", "ps -o pid,sid,comm | grep -q '^ *2 *2 ' || echo not-leader; sh"});
  spec.tty = true;
  spec.stdin_fd = read_end.get();
  Result r = RunCaptured(spec);
  EXPECT_EQ(r.status.exit_code, 4);
  EXPECT_THAT(r.out, HasSubstr("typed-42\r\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("not-leader")));
}

TEST_F(ContainerTest, WithoutTtyNothingIsATerminal) {
  Result r = Sh("tty; test -t 0 || echo not-a-terminal");
  EXPECT_THAT(r.out, HasSubstr("not a tty\nnot-a-terminal\n"));
}

}  // namespace
}  // namespace cairn::runtime::testing

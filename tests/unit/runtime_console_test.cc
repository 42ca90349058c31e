// The foreground relay of process.terminal (RelayConsole) on a pty of the test's own, with a
// child playing the container's PID 1. No root needed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "core/fd.h"
#include "runtime/console.h"

namespace ctv::runtime {
namespace {

// A pty whose slave is the controlling terminal and stdio of a forked child running `script`
// with /bin/sh, like a container's PID 1 with process.terminal.
struct PtyChild {
  Fd master;
  pid_t pid = -1;
};

PtyChild StartOnPty(const char* script, unsigned short rows = 0, unsigned short cols = 0) {
  PtyChild c;
  c.master = Fd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(c.master.Valid());
  EXPECT_EQ(::grantpt(c.master.Get()), 0);
  EXPECT_EQ(::unlockpt(c.master.Get()), 0);
  std::string slave_path = ::ptsname(c.master.Get());
  if (rows) {
    winsize ws{rows, cols, 0, 0};
    ::ioctl(c.master.Get(), TIOCSWINSZ, &ws);
  }
  c.pid = ::fork();
  if (c.pid == 0) {
    ::setsid();
    int s = ::open(slave_path.c_str(), O_RDWR);
    if (s < 0 || ::ioctl(s, TIOCSCTTY, 0) != 0) ::_exit(120);
    for (int fd = 0; fd < 3; ++fd) ::dup2(s, fd);
    ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
    ::_exit(121);
  }
  return c;
}

std::string ReadAllFrom(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

int Reap(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(ConsoleRelay, CopiesBothWaysAndEndsWithTheProcess) {
  PipePair in = MakePipe().value(), out = MakePipe().value();
  ASSERT_TRUE(WriteAll(in.write.Get(), "hello\n", "input").has_value());
  in.write.Reset();  // end of input: the relay sends the pty's EOF character
  PtyChild c = StartOnPty("test -t 0 && echo tty; read l; echo got:$l; cat; echo eof-seen; exit 7");
  RelayOptions o;
  o.master = c.master.Get();
  o.in = in.read.Get();
  o.out = out.write.Get();
  o.pid = c.pid;
  ASSERT_TRUE(RelayConsole(o).has_value());
  // The relay does not reap: the caller still gets the exit status.
  EXPECT_EQ(Reap(c.pid), 7);
  out.write.Reset();
  std::string text = ReadAllFrom(out.read.Get());
  EXPECT_NE(text.find("tty\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("got:hello\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eof-seen\r\n"), std::string::npos) << text;  // cat saw the EOF
}

TEST(ConsoleRelay, KeepsOutputWrittenJustBeforeExit) {
  PipePair out = MakePipe().value();
  Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  PtyChild c = StartOnPty("i=0; while [ $i -lt 300 ]; do echo line$i; i=$((i+1)); done");
  RelayOptions o;
  o.master = c.master.Get();
  o.in = null.Get();
  o.out = out.write.Get();
  o.pid = c.pid;
  // The pipe must not fill up while the relay runs: read it on the side.
  std::string text;
  pid_t reader = -1;
  PipePair result = MakePipe().value();
  reader = ::fork();
  if (reader == 0) {
    out.write.Reset();
    std::string all = ReadAllFrom(out.read.Get());
    (void)!::write(result.write.Get(), all.data(), all.size());
    ::_exit(0);
  }
  out.read.Reset();
  result.write.Reset();
  ASSERT_TRUE(RelayConsole(o).has_value());
  EXPECT_EQ(Reap(c.pid), 0);
  out.write.Reset();
  text = ReadAllFrom(result.read.Get());
  Reap(reader);
  EXPECT_NE(text.find("line0\r\n"), std::string::npos);
  EXPECT_NE(text.find("line299\r\n"), std::string::npos) << text.substr(text.size() - 100);
}

TEST(ConsoleRelay, WindowSizeOfATerminal) {
  PtyChild c = StartOnPty("exit 0", 33, 101);
  WindowSize ws = TerminalSize(c.master.Get());
  EXPECT_EQ(ws.rows, 33);
  EXPECT_EQ(ws.cols, 101);
  PipePair p = MakePipe().value();
  EXPECT_EQ(TerminalSize(p.read.Get()).rows, 0);  // not a terminal
  EXPECT_FALSE(CopyWindowSize(p.read.Get(), c.master.Get()));
  Reap(c.pid);
}

}  // namespace
}  // namespace ctv::runtime

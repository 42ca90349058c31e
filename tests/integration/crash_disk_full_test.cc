// Full and read-only disks (issue 15, item 5): a small tmpfs the test mounts (and unmounts, RAII)
// as ctvrt's state dir and as ctvbench's state and results dirs, filled up or remounted read-only.
// Each command fails with an error naming the path and the cause, leaves nothing half-written (no
// container dir, cgroup or temp file; no results file or a whole one), and an interrupted run
// leaves a whole results file or none.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "results/results.h"
#include "tests/integration/crash_support.h"
#include "tests/integration/vm_test_env.h"
#include "tests/test_util.h"

namespace ctv::crash {
namespace {

// A tmpfs of `size` mounted on a fresh temp dir; unmounted (lazily, so a test failure with a
// file still open cannot leak it) when the object dies.
class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::string& size) {
    std::string opts = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", dir_.Path().c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.Path().c_str(), MNT_DETACH);
  }
  bool Mounted() const { return mounted_; }
  const std::string& Path() const { return dir_.Path(); }
  std::string operator/(const std::string& rel) const { return dir_ / rel; }
  // Fills the filesystem: writes until ENOSPC.
  void Fill() {
    Fd fd(::open((dir_ / "filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    std::string block(4096, 'x');
    while (::write(fd.Get(), block.data(), block.size()) > 0) {
    }
  }
  bool RemountReadOnly() {
    return ::mount(nullptr, dir_.Path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }

 private:
  test::TempDir dir_;
  bool mounted_ = false;
};

// Every file under `dir` (recursively), "filler" excepted.
std::vector<std::string> FilesUnder(const std::string& dir) {
  auto r = RunCommand({"sh", "-c", "cd " + dir + " && find . -mindepth 1 ! -name filler"});
  std::vector<std::string> out;
  if (!r) return out;
  std::istringstream in(r->out);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// `ctvrt run -d` with its state root on a full (or read-only) filesystem.
void ExpectCtvrtRefuses(SmallTmpfs& fs, const std::string& cause) {
  std::string root = fs / "containers";
  std::string id = testing::TestId();
  FaultRun r =
      RunWithFault({test::Bin("ctvrt"), "--root", root, "--store", Env().runtime->StoreRoot(),
                    "run", "-d", "--name", id, Env().runtime->Image(), "sleep", "600"},
                   "");
  EXPECT_FALSE(r.status.Success());
  EXPECT_EQ(r.status.code, 1) << r.status.ToString();
  EXPECT_NE(r.err.find(fs.Path()), std::string::npos) << "the error names no path: " << r.err;
  EXPECT_NE(r.err.find(cause), std::string::npos) << r.err;
  for (const std::string& l : testing::Leftovers(root, id)) ADD_FAILURE() << id << ": " << l;
  auto files = FilesUnder(fs.Path());
  for (const std::string& f : files)
    EXPECT_TRUE(f == "./containers") << "left on the full filesystem: " << f;
}

TEST(DiskFull, CtvrtStateDirFull) {
  CTV_REQUIRE_ROOT();
  SmallTmpfs fs("256k");
  ASSERT_TRUE(fs.Mounted());
  ASSERT_TRUE(fs::MakeDirs(fs / "containers", 0711));
  fs.Fill();
  ExpectCtvrtRefuses(fs, "ENOSPC");
}

TEST(DiskFull, CtvrtStateDirReadOnly) {
  CTV_REQUIRE_ROOT();
  SmallTmpfs fs("256k");
  ASSERT_TRUE(fs.Mounted());
  ASSERT_TRUE(fs::MakeDirs(fs / "containers", 0711));
  ASSERT_TRUE(fs.RemountReadOnly());
  ExpectCtvrtRefuses(fs, "EROFS");
}

// ctvbench's results dir full / read-only: the run is refused before the first sample (exit 2,
// README: an --out that cannot be written), naming the results file and the cause; neither the
// file nor a temp file of it exists.
void ExpectResultsRefused(SmallTmpfs& fs, const std::string& cause) {
  test::VmTestEnv env(/*own_state=*/true);
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  std::string out = fs / "r.json";
  FaultRun r = RunWithFault({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "host",
                             "-n", "2", "-w", "0", "--quiet", "--image", env.Context().image_dir,
                             "--state-dir", env.Context().state_dir, "--out", out},
                            "");
  EXPECT_EQ(r.status.ToString(), "exit 2") << r.err;
  EXPECT_NE(r.err.find(out), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(cause), std::string::npos) << r.err;
  EXPECT_EQ(Joined(FilesUnder(fs.Path())), "") << "left in the results dir";
}

TEST(DiskFull, ResultsDirFull) {
  CTV_REQUIRE_ROOT();
  SmallTmpfs fs("256k");
  ASSERT_TRUE(fs.Mounted());
  fs.Fill();
  ExpectResultsRefused(fs, "ENOSPC");
}

TEST(DiskFull, ResultsDirReadOnly) {
  CTV_REQUIRE_ROOT();
  SmallTmpfs fs("256k");
  ASSERT_TRUE(fs.Mounted());
  ASSERT_TRUE(fs.RemountReadOnly());
  ExpectResultsRefused(fs, "EROFS");
}

// ctvbench's state dir (containers, net, vm) on a full filesystem: the ctvrt driver's launch
// fails with the path named; nothing of the run stays there.
TEST(DiskFull, CtvbenchStateDirFull) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv env(/*own_state=*/true);
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  SmallTmpfs fs("256k");
  ASSERT_TRUE(fs.Mounted());
  fs.Fill();
  test::TempDir out;
  FaultRun r =
      RunWithFault({test::Bin("ctvbench"), "run", "--suite", "startup", "--driver", "ctvrt", "-n",
                    "2", "-w", "0", "--quiet", "--image", env.Context().image_dir, "--state-dir",
                    fs.Path(), "--out", out / "r.json"},
                   "");
  // The driver cannot start an instance: it is reported skipped with the cause (stdout's
  // summary), and the run measured nothing (exit 3).
  EXPECT_EQ(r.status.ToString(), "exit 3") << r.out << r.err;
  EXPECT_NE(r.out.find(fs.Path()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ENOSPC"), std::string::npos) << r.out;
  for (const std::string& f : FilesUnder(fs.Path())) {
    // Empty directories of the layout may stay; no file may.
    struct stat st;
    if (::lstat((fs.Path() + "/" + f).c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
      ADD_FAILURE() << "left: " << f;
  }
}

// A writer SIGKILLed after writing its output and before renaming it into place (the fault point
// core.atomic_file_written, core/atomic_file.h): the file it was replacing is whole and no temp
// file is left (before: `<out>.tmp.<pid>.<n>` stayed). Unarmed, the same command replaces it.
TEST(DiskFull, WriterKilledBeforeTheRenameLeavesTheOldFileAndNoTemp) {
  test::TempDir dir;
  const std::string out = dir / "bench.csv";
  ASSERT_TRUE(WriteFile(out, "old export\n"));
  const std::vector<std::string> argv = {test::Bin("ctvbench"), "export",
                                         test::Source("tests/fixtures/results/base.json"),
                                         "--format", "csv", "-o", out};
  FaultRun r = RunWithFault(argv, "core.atomic_file_written");
  ASSERT_TRUE(r.fired) << r.status.ToString() << ": " << r.err;
  EXPECT_EQ(r.status.ToString(), "killed by SIGKILL");
  auto kept = ReadFile(out);
  ASSERT_TRUE(kept) << kept.error().ToString();
  EXPECT_EQ(*kept, "old export\n");
  EXPECT_EQ(Joined(FilesUnder(dir.Path())), "./bench.csv\n") << "left beside the output";
  FaultRun ok = RunWithFault(argv, "");
  EXPECT_TRUE(ok.status.Success()) << ok.err;
  auto replaced = ReadFile(out);
  ASSERT_TRUE(replaced) << replaced.error().ToString();
  EXPECT_NE(replaced->find("startup.total"), std::string::npos) << *replaced;
  EXPECT_EQ(Joined(FilesUnder(dir.Path())), "./bench.csv\n");
}

// Ctrl-C in the middle of a run: exit 130 and a results file that is whole (marked interrupted)
// or none; never a temp file or a truncated file.
TEST(DiskFull, InterruptedRunLeavesAWholeResultsFileOrNone) {
  CTV_REQUIRE_ROOT();
  test::VmTestEnv env(/*own_state=*/true);
  if (!env.Missing().empty()) GTEST_SKIP() << env.Missing();
  test::TempDir dir;
  for (int delay_ms : {300, 1500}) {
    SCOPED_TRACE(delay_ms);
    std::string out = dir / ("r" + std::to_string(delay_ms) + ".json");
    SpawnOptions so;
    so.argv = {test::Bin("ctvbench"),
               "run",
               "--suite",
               "startup",
               "--driver",
               "host",
               "-n",
               "100000",
               "-w",
               "0",
               "--quiet",
               "--image",
               env.Context().image_dir,
               "--state-dir",
               env.Context().state_dir,
               "--out",
               out};
    auto child = Spawn(so);
    ASSERT_TRUE(child);
    ::usleep(delay_ms * 1000);
    ASSERT_TRUE(child->Signal(SIGINT));
    auto st = child->WaitFor(std::chrono::seconds(60));
    ASSERT_TRUE(st && *st) << "ctvbench did not stop on SIGINT";
    // Before its handler is installed (still starting: nothing launched yet) SIGINT's default
    // action ends it, which a shell reports as 130 too.
    std::string how = (*st)->ToString();
    EXPECT_TRUE(how == "exit 130" || how == "killed by SIGINT") << how;
    if (fs::Exists(out)) {
      auto r = results::LoadResults(out);
      ASSERT_TRUE(r) << "a results file that does not load: " << r.error().ToString();
      ASSERT_FALSE(r->suites.empty());
      EXPECT_TRUE(r->suites.back().interrupted);
    }
  }
  auto names = fs::ListDir(dir.Path());
  ASSERT_TRUE(names);
  for (const std::string& n : *names)
    EXPECT_EQ(n.find(".tmp."), std::string::npos) << "temp file left: " << n;
}

}  // namespace
}  // namespace ctv::crash

// The ctvbench command line: bad input gives one clear line naming the valid forms, exit 2.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace ctv {
namespace {

CommandOutput Ctvbench(std::vector<std::string> args) {
  args.insert(args.begin(), test::Bin("ctvbench"));
  return test::RunOrDie(args);
}

TEST(Cli, UnknownSuiteNamesTheValidOnes) {
  auto o = Ctvbench({"run", "--suite", "warp"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("unknown suite 'warp' (suites: startup"), std::string::npos) << o.err;
}

TEST(Cli, UnknownDriverNamesTheValidOnes) {
  auto o = Ctvbench({"run", "--suite", "startup", "--driver", "docker"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("unknown driver 'docker' (drivers: host"), std::string::npos) << o.err;
}

TEST(Cli, UnknownCommandNamesTheValidOnes) {
  auto o = Ctvbench({"benchmark"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("unknown command 'benchmark' (commands: run, list, doctor"),
            std::string::npos)
      << o.err;
}

TEST(Cli, BadNumberIsRefused) {
  auto o = Ctvbench({"run", "--suite", "startup", "--repetitions", "0"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("--repetitions"), std::string::npos) << o.err;
}

TEST(Cli, NotANumberSaysWhatIsExpected) {
  auto o = Ctvbench({"run", "--suite", "startup", "-n", "abc"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("-n/--repetitions abc: expected a whole number from 1 to 100000"),
            std::string::npos)
      << o.err;
}

// An option is judged against what the suite will really run: the devices suite boots machine
// pc (IDE), so disk=64 is fine there; asking for microvm too is the real conflict.
TEST(Cli, OptionsAreJudgedAgainstTheSuitesOwnDefaults) {
  // Past option validation, the run stops at the (missing) image: nothing boots here.
  auto ok = Ctvbench({"run", "--suite", "devices", "--driver", "qemu", "--option", "qemu.disk=64",
                      "--image", "/nonexistent/image", "-n", "1", "-w", "0"});
  EXPECT_NE(ok.status.ToString(), "exit 2") << ok.err;
  EXPECT_EQ(ok.err.find("microvm"), std::string::npos) << ok.err;
  EXPECT_NE(ok.err.find("/nonexistent/image"), std::string::npos) << ok.err;
  auto conflict = Ctvbench({"run", "--suite", "devices", "--driver", "qemu", "--option",
                            "qemu.disk=64", "--option", "qemu.machine=microvm"});
  EXPECT_EQ(conflict.status.ToString(), "exit 2");
  EXPECT_NE(conflict.err.find("microvm"), std::string::npos) << conflict.err;
}

TEST(Cli, UnknownOptionIsRefused) {
  auto o = Ctvbench({"run", "--suite", "startup", "--turbo"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("--turbo"), std::string::npos) << o.err;
}

// Suite parameters (density's --max...) belong to the suites that declare them: given to another
// suite they would be ignored, so they are refused; bad values name the option and the form.
TEST(Cli, SuiteParametersAreCheckedAgainstTheirSuite) {
  auto other = Ctvbench({"run", "--suite", "startup", "--max", "5"});
  EXPECT_EQ(other.status.ToString(), "exit 2");
  EXPECT_NE(other.err.find("--max is a parameter of the density suite, not of startup"),
            std::string::npos)
      << other.err;
  auto bad = Ctvbench({"run", "--suite", "density", "--budget", "lots"});
  EXPECT_EQ(bad.status.ToString(), "exit 2");
  EXPECT_NE(bad.err.find("--budget lots"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("8GiB"), std::string::npos) << bad.err;
  auto batch = Ctvbench({"run", "--suite", "footprint", "--batch", "1"});
  EXPECT_EQ(batch.status.ToString(), "exit 2");
  EXPECT_NE(batch.err.find("from 2 to 1000"), std::string::npos) << batch.err;
  auto help = Ctvbench({"run", "--help"});
  EXPECT_NE(help.out.find("--ramp-time"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("(density)"), std::string::npos) << help.out;
}

TEST(Cli, MissingSuiteIsRefused) {
  auto o = Ctvbench({"run"});
  EXPECT_EQ(o.status.ToString(), "exit 2");
  EXPECT_NE(o.err.find("--suite"), std::string::npos) << o.err;
}

TEST(Cli, DriverOptionsAreCheckedBeforeAnythingRuns) {
  struct Case {
    std::string option, message;
  } cases[] = {
      {"foo", "expected DRIVER.KEY=VALUE"},
      {"docker.x=1", "unknown driver 'docker' (drivers: host"},
      {"host.x=1", "unknown (host options: unshare=0|1)"},
      {"host.unshare=2", "expected 0 or 1"},
      {"qemu.machine=warp", "expected pc, q35 or microvm"},
      {"vm.colour=blue", "colour"},
      {"ctvrt.init=2", "expected 0 or 1"},
  };
  for (const auto& c : cases) {
    auto o = Ctvbench({"run", "--suite", "startup", "--option", c.option});
    EXPECT_EQ(o.status.ToString(), "exit 2") << c.option;
    EXPECT_NE(o.err.find(c.message), std::string::npos) << c.option << ": " << o.err;
  }
}

TEST(Cli, HelpTeachesAndSucceeds) {
  auto o = Ctvbench({"--help"});
  EXPECT_EQ(o.status.ToString(), "exit 0");
  EXPECT_NE(o.out.find("ctvbench run --suite startup"), std::string::npos);
  auto run = Ctvbench({"run", "--help"});
  EXPECT_NE(run.out.find("--repetitions"), std::string::npos);
}

TEST(Cli, ListShowsTheHostDriverAsAvailable) {
  auto o = Ctvbench({"list"});
  EXPECT_EQ(o.status.ToString(), "exit 0");
  EXPECT_NE(o.out.find("startup"), std::string::npos);
  EXPECT_NE(o.out.find("host       host      yes"), std::string::npos) << o.out;
  // Each driver's kind and its options, as the driver declares them.
  EXPECT_NE(o.out.find("ctvrt      container yes"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("--option qemu.machine=microvm|pc|q35"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace ctv

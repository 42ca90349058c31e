// Integration-test environment for the runtime: a private state root and layer store (removed at
// the end), the test image, container guards and leak checks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fd.h"
#include "core/process.h"
#include "runtime/lifecycle.h"
#include "tests/support/runtime_image.h"

namespace ctv::testing {

// Skips the test (with the reason) unless running as root with overlayfs.
#define CTV_REQUIRE_ROOT()                                 \
  do {                                                     \
    std::string why = ::ctv::testing::MissingCapability(); \
    if (!why.empty()) GTEST_SKIP() << why;                 \
  } while (0)
std::string MissingCapability();

class RuntimeEnv {
 public:
  RuntimeEnv();   // builds the busybox+probe image
  ~RuntimeEnv();  // gc of the state root, then removes everything
  const std::string& StateRoot() const { return state_root_; }
  const std::string& StoreRoot() const { return store_root_; }
  const std::string& Image() const { return image_; }
  // Layer dirs of the image (unpacked into the private store).
  Result<std::vector<std::string>> Layers();
  // A spec for `args` in the image with default isolation and a fresh "ctvt..." id.
  Result<runtime::ContainerSpec> Spec(std::vector<std::string> args);
  // Runs the ctvrt CLI with --root/--store set.
  Result<CommandOutput> Ctvrt(std::vector<std::string> args, int timeout_s = 60);
  std::vector<std::string> CtvrtArgv(std::vector<std::string> args) const;
  // For `create` and `run -d` of a bundle, which pass their stdio to the container (runc's
  // pass-through): a captured pipe would stay open as long as the container runs, so stdio go to
  // files in `dir` (out, err), read back into the result.
  Result<CommandOutput> CtvrtToFiles(std::vector<std::string> args, const std::string& dir);

 private:
  TempDir dir_;
  std::string state_root_, store_root_, image_;
};

// The one RuntimeEnv of a test binary: built on first use (the image is built once), removed by a
// gtest global environment after the last test.
RuntimeEnv& SharedRuntimeEnv();

// Deletes the container (force) on scope exit, whatever the test did.
class ContainerGuard {
 public:
  ContainerGuard(std::string root, std::string id) : root_(std::move(root)), id_(std::move(id)) {}
  ~ContainerGuard();

 private:
  std::string root_, id_;
};

// Everything a container could leave behind: state dir, cgroup dirs (every hierarchy), mounts
// naming the state root, processes in its cgroups or with `pid`. Empty when clean.
std::vector<std::string> Leftovers(const std::string& state_root, const std::string& id,
                                   pid_t pid = 0);
// Unique test container id ("ctvt" + random).
std::string TestId();
// Fails the current test once per thing `id` left behind (Leftovers).
void ExpectNoLeftovers(const std::string& state_root, const std::string& id);

// A bundle dir a test builds (rootfs + config.json); the test edits `config` before Write().
struct TestBundle {
  TempDir dir;
  nlohmann::json config;
  const std::string& Path() const { return dir.Path(); }
  Status Write() { return WriteFile(dir.Path() + "/config.json", config.dump()); }
};

// The capability list `runc spec` writes (all five sets).
nlohmann::json RuncSpecCaps();
// A bundle as `runc spec` writes it (rootfs: the test image's busybox layer plus ctv-probe at
// /usr/local/bin), running `args`; tests edit `config` before Write().
std::unique_ptr<TestBundle> RuncSpecBundle(RuntimeEnv& env, std::vector<std::string> args);
// Writes `b`, runs it in the foreground (`ctvrt run --bundle`) and parses its stdout as JSON
// (ctv-probe procinfo); `err` gets its stderr.
nlohmann::json RunProcinfo(RuntimeEnv& env, TestBundle& b, std::string* err = nullptr);

}  // namespace ctv::testing

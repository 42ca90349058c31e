#include "bench/drivers/peer_launch.h"

#include <fcntl.h>

#include <algorithm>

#include "bench/drivers/peer_common.h"
#include "bench/drivers/probe_output.h"
#include "core/clock.h"

namespace ctv::bench::peers {

Status LaunchCommand::Start(const Spawner& spawn, std::vector<std::string> argv,
                            const std::string& stderr_path, std::vector<Mark>& marks) {
  stderr_path_ = stderr_path;
  Fd err = CTV_TRY(OpenFile(stderr_path_, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  PipePair out = CTV_TRY(MakePipe());
  SpawnOptions so;
  so.argv = std::move(argv);
  so.stdout_fd = out.write.Get();
  so.stderr_fd = err.Get();
  so.new_process_group = true;
  // The instance's own directory (where its stderr file lives): whatever the runtime or its monitor
  // drops in its working directory (podman's conmon writes `oom` on an OOM kill) goes with it.
  so.cwd = stderr_path_.substr(0, stderr_path_.rfind('/'));
  marks = {{"launch", MonotonicNs()}};
  child_ = CTV_TRY(spawn(so));
  marks.push_back({"spawn", MonotonicNs()});
  out.write.Reset();
  stdout_ = std::move(out.read);
  reader_.emplace(stdout_.Get());
  return Ok();
}

Status LaunchCommand::WaitReady(std::chrono::milliseconds timeout, std::vector<Mark>& marks) {
  if (!reader_) return MakeError("wait for ready", object_, "instance not started");
  Status s = WaitForReadyMarker(*reader_, timeout, marks, output_);
  if (!s) return WithWords(std::move(s).error());
  return Ok();
}

Result<WorkloadExit> LaunchCommand::WaitExit(std::chrono::milliseconds timeout,
                                             std::vector<Mark>& marks) {
  if (!reader_) return MakeError("wait for exit", object_, "instance not started");
  int64_t deadline = MonotonicNs() + timeout.count() * 1'000'000;
  if (Status s = DrainOutput(*reader_, timeout, output_); !s) return WithWords(std::move(s).error());
  int64_t left = std::max<int64_t>(1, (deadline - MonotonicNs()) / 1'000'000);
  auto st = CTV_TRY(child_.WaitFor(std::chrono::milliseconds(left)));
  if (!st) return Error{ETIMEDOUT, "wait for the exit of " + name_ + " container", object_};
  marks.push_back({"exit", MonotonicNs()});
  return WorkloadExit{*st, output_};
}

Error LaunchCommand::WithWords(Error e) const {
  std::string said = TailOfFile(stderr_path_);
  if (!said.empty()) e.context += (e.context.empty() ? "" : "; ") + name_ + " said: " + said;
  return e;
}

}  // namespace ctv::bench::peers

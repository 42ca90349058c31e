#include "bench/suites/instances.h"

#include <algorithm>
#include <thread>

#include "core/clock.h"

namespace ctv::bench {

Result<std::unique_ptr<Instance>> StartIdle(Driver& d, const std::string& name,
                                            const std::map<std::string, std::string>& options) {
  InstanceSpec spec;
  spec.name = name;
  spec.options = options;
  spec.probe_args = {"ready"};
  std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
  CTV_CHECK(inst->Start());
  CTV_CHECK(inst->WaitReady(kIdleReadyTimeout));
  return inst;
}

double LaunchToReadyMs(const Instance& inst) {
  const auto& m = inst.Marks();
  auto ready = std::find_if(m.begin(), m.end(), [](const Mark& x) { return x.name == "ready"; });
  if (m.empty() || m.front().name != "launch" || ready == m.end()) return 0;
  return static_cast<double>(ready->t_ns - m.front().t_ns) / 1e6;
}

GroupStart StartIdleGroup(Driver& d, const std::vector<std::string>& names,
                          const std::map<std::string, std::string>& options) {
  GroupStart g;
  std::vector<std::unique_ptr<Instance>> created;
  for (const std::string& name : names) {
    InstanceSpec spec;
    spec.name = name;
    spec.options = options;
    spec.probe_args = {"ready"};
    auto inst = d.Create(spec);
    if (inst)
      created.push_back(std::move(inst).value());
    else
      g.failures.push_back(std::move(inst).error());
  }
  // Started back to back from this thread, then waited for together: a driver's Start() may
  // clone (ctvrt launches in-process), and a child cloned while another thread of this process
  // holds a lock (malloc's) would wait for it forever. Start() returns once the launch is under
  // way (a runtime CLI or QEMU spawned; ctvrt: the workload exec'd), so the launches still
  // overlap where the driver lets them: what "start P at once" means to a user.
  std::vector<Status> status(created.size());
  const int64_t t0 = MonotonicNs();
  for (size_t i = 0; i < created.size(); ++i) status[i] = created[i]->Start();
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < created.size(); ++i)
      if (status[i])
        threads.emplace_back([&, i] { status[i] = created[i]->WaitReady(kIdleReadyTimeout); });
  }  // joined
  g.wall_ms = static_cast<double>(MonotonicNs() - t0) / 1e6;
  for (size_t i = 0; i < created.size(); ++i) {
    if (!status[i]) {
      g.failures.push_back(status[i].error());
      continue;  // released below with `created`
    }
    g.launch_ms.push_back(LaunchToReadyMs(*created[i]));
    g.started.push_back(std::move(created[i]));
  }
  return g;
}

void StopAll(std::vector<std::unique_ptr<Instance>>& instances,
             std::chrono::milliseconds per_instance) {
  for (auto it = instances.rbegin(); it != instances.rend(); ++it)
    if (*it) (void)(*it)->Stop(per_instance);
  while (!instances.empty()) instances.pop_back();  // newest destroyed first
}

}  // namespace ctv::bench

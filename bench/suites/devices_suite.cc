#include "bench/suites/devices_suite.h"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/interrupt.h"
#include "bench/suites/driver_result.h"

namespace ctv::bench {
namespace {

using namespace std::chrono_literals;

// A TCG boot of machine pc plus the read: seconds. A hung guest is an error, not a sample.
constexpr auto kExitTimeout = 180s;
constexpr const char* kModels[] = {"emulated", "virtio"};

struct OneRead {
  nlohmann::json probe;  // blkread's JSON
  std::map<std::string, std::string> facts;  // Instance::Facts()
};

// The last line of `out` that is a JSON object.
nlohmann::json LastJsonLine(const std::string& out) {
  size_t end = out.size();
  while (end > 0) {
    size_t start = out.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    if (out.compare(start, 1, "{") == 0) {
      auto j = nlohmann::json::parse(out.substr(start, end - start), nullptr, false);
      if (!j.is_discarded()) return j;
    }
    if (start == 0) break;
    end = start - 1;
  }
  return nlohmann::json();
}

Result<OneRead> ReadOnce(Driver& d, const std::string& name,
                         const std::map<std::string, std::string>& options, int mib) {
  InstanceSpec spec;
  spec.name = name;
  spec.options = options;
  spec.probe_args = {"blkread", "--mib", std::to_string(mib)};
  std::unique_ptr<Instance> inst = CTV_TRY(d.Create(spec));
  CTV_CHECK(inst->Start());
  WorkloadExit exit = CTV_TRY(inst->WaitExit(kExitTimeout));
  OneRead one;
  one.facts = inst->Facts();
  one.probe = LastJsonLine(exit.output);
  if (!exit.status.Success() || !one.probe.is_object() || one.probe.value("mode", "") != "blkread" ||
      !one.probe.contains("mib_per_s"))
    return MakeError("run ctv-probe blkread in", name,
                     exit.status.ToString() + ", output: " + exit.output.substr(0, 400));
  return one;
}

class DevicesSuite final : public Suite {
 public:
  std::string Name() const override { return "devices"; }
  std::string Description() const override {
    return "guest disk read (O_DIRECT, MiB/s): emulated IDE/SATA vs paravirtual virtio-blk, per VM "
           "driver (machine pc by default); under TCG both are emulated in software, so the "
           "ratio is not a KVM host's";
  }

  std::map<std::string, std::string> OptionDefaults(const Driver& d) const override {
    if (d.Kind() != DriverKind::kVm) return {};
    return {{"machine", "pc"}, {"disk", std::to_string(kDefaultDiskMib)}};
  }

  Result<results::SuiteResult> Run(const SuiteOptions& o) override {
    results::SuiteResult out;
    out.name = Name();
    out.repetitions = o.repetitions;
    out.warmup = o.warmup;
    for (size_t k = 0; k < o.drivers.size(); ++k) {
      Driver* d = o.drivers[k];
      auto rows = CTV_TRY(RunDriver(*d, o, static_cast<int>(o.drivers.size() - k)));
      for (auto& r : rows) out.results.push_back(std::move(r));
      if (Interrupted()) {  // Ctrl-C: keep what was measured, start no other driver
        out.interrupted = true;
        break;
      }
    }
    return out;
  }

 private:
  struct Row {
    results::DriverResult r;
    std::map<std::string, std::string> options;
    std::vector<double> samples;
    int mib = 0;
  };

  Result<std::vector<results::DriverResult>> RunDriver(Driver& d, const SuiteOptions& o,
                                                       int drivers_left) {
    std::map<std::string, std::string> base = UserOptions(o, d);
    if (d.Kind() != DriverKind::kVm) {
      results::DriverResult r = NewResult(d, base);
      r.skipped = "not a VM driver: the devices suite compares a guest's emulated and paravirtual "
                  "devices (" + DriverKindName(d.Kind()) + " drivers have no device models)";
      return std::vector<results::DriverResult>{r};
    }
    for (const auto& [key, value] : OptionDefaults(d)) base.try_emplace(key, value);
    Availability a = d.Check();
    bool prepared = false;
    std::string prepare_error;
    std::vector<Row> rows;
    for (const char* model : kModels) {
      Row row;
      row.options = base;
      row.options["devices"] = model;
      row.r = NewResult(d, row.options);
      row.r.accelerator = a.accelerator;
      if (Status s = d.ValidateOptions(row.options); !s) {
        row.r.skipped = s.error().ToString();
        rows.push_back(std::move(row));
        continue;
      }
      row.mib = std::atoi(row.options["disk"].c_str());  // valid now
      row.r.parameters["read_mib"] = std::to_string(row.mib);
      if (!a.available) {
        row.r.skipped = a.reason;
      } else if (!prepared && prepare_error.empty()) {
        if (Status p = d.Prepare(); p)
          prepared = true;
        else
          prepare_error = "preparation failed: " + p.error().ToString();
      }
      if (!row.r.skipped && !prepare_error.empty()) row.r.skipped = prepare_error;
      rows.push_back(std::move(row));
    }
    int total = o.warmup + o.repetitions;
    const int64_t start = MonotonicNs();
    for (int i = 0; i < total && !Interrupted(); ++i) {
      int measured = std::max(0, i - o.warmup);
      if (OutOfBudget(o, start, i, measured, drivers_left)) {
        for (Row& row : rows) row.r.details["budget"] = BudgetNote(measured, o.repetitions);
        break;
      }
      bool warm = i < o.warmup;
      if (o.progress) o.progress({d.Name() + " emulated+virtio", i, total, warm});
      for (Row& row : rows) {
        if (row.r.skipped) continue;
        if (Interrupted()) break;
        const std::string& model = row.options["devices"];
        auto one = ReadOnce(d, fmt::format("ctv-dev-{}-{}-{}-{}", d.Name(), model, ::getpid(), i),
                            row.options, row.mib);
        if (!one) {
          if (Interrupted()) break;
          row.r.skipped = fmt::format("repetition {} failed: {}", i + 1, one.error().ToString());
          continue;
        }
        RecordFacts(one->facts, row.r);
        for (const char* k : {"device", "driver", "controller_driver"})
          if (one->probe.contains(k)) row.r.details[std::string("guest_") + k] = one->probe[k];
        if (!warm) row.samples.push_back(one->probe["mib_per_s"].get<double>());
      }
    }
    if (o.progress) o.progress({d.Name() + " emulated+virtio", total, total, false});
    std::vector<results::DriverResult> out;
    for (Row& row : rows) {
      if (!row.r.skipped && row.samples.empty())  // interrupted during the warm-up
        row.r.skipped = "interrupted before the first measured repetition";
      if (!row.r.skipped)
        row.r.metrics.push_back(results::MakeMetric(
            "devices.disk_read", "MiB/s",
            fmt::format("{} MiB read from the guest's {} scratch disk with O_DIRECT in 1 MiB "
                        "blocks, divided by the guest's CLOCK_MONOTONIC from the first read to "
                        "the last (ctv-probe blkread)",
                        row.mib, row.r.parameters["disk_model"]),
            row.samples, /*lower_is_better=*/false));
      out.push_back(std::move(row.r));
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Suite> MakeDevicesSuite() { return std::make_unique<DevicesSuite>(); }

}  // namespace ctv::bench

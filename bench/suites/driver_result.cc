#include "bench/suites/driver_result.h"

#include "bench/driver.h"
#include "core/interrupt.h"

namespace ctv::bench {

results::DriverResult NewResult(const Driver& d, const std::map<std::string, std::string>& options) {
  results::DriverResult r;
  r.driver = d.Name();
  r.kind = DriverKindName(d.Kind());
  r.parameters = d.EffectiveParameters(options);
  return r;
}

std::map<std::string, std::string> UserOptions(const SuiteOptions& o, const Driver& d) {
  auto it = o.driver_options.find(d.Name());
  return it == o.driver_options.end() ? std::map<std::string, std::string>{} : it->second;
}

std::string CheckAndPrepare(Driver& d, results::DriverResult& r) {
  Availability a = d.Check();
  r.accelerator = a.accelerator;
  if (!a.available) return a.reason;
  if (Status s = d.Prepare(); !s) return "preparation failed: " + s.error().ToString();
  return "";
}

void RunEachDriver(const SuiteOptions& o, results::SuiteResult& out,
                   const std::function<results::DriverResult(Driver&, int)>& run) {
  for (size_t k = 0; k < o.drivers.size(); ++k) {
    out.results.push_back(run(*o.drivers[k], static_cast<int>(o.drivers.size() - k)));
    if (Interrupted()) {
      out.interrupted = true;
      return;
    }
  }
}

void RecordFacts(const std::map<std::string, std::string>& facts, results::DriverResult& r) {
  for (const auto& [key, value] : facts) {
    if (value.empty()) continue;
    if (key == fact::kAccelerator)
      r.accelerator = value;
    else if (key == fact::kDiskCache)
      r.parameters["host_cache"] = value;
    else if (key == fact::kDiskCacheNote)
      r.details["host_cache_note"] = value;
    else
      r.details[key] = value;
  }
}

}  // namespace ctv::bench

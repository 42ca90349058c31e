#include "bench/suites/driver_result.h"

#include "bench/driver.h"

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

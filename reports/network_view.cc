// The network suite's view: the TCP round-trip time of every path as a box chart (host loopback,
// a namespace's bridge and DNAT, the same through each container driver), so the cost of each
// layer stands next to the floor.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using results::DriverResult;
using results::Metric;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "network";
constexpr const char* kMetric = "network.tcp_rr";

class NetworkView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override {
    return "Network: TCP round trips through loopback, bridge and DNAT";
  }

  std::vector<ChartSpec> Charts(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    ChartSpec c;
    c.id = "network-tcp-rr";
    c.kind = ChartKind::kBox;
    std::vector<const DriverResult*> ds;
    size_t lo = SIZE_MAX, hi = 0;
    std::string interval, unit;
    for (const auto& d : s->results) {
      const Metric* m = d.skipped ? nullptr : FindMetric(d, kMetric);
      if (!m || m->stats.n == 0) continue;
      auto path = d.parameters.find("path");
      c.series.push_back({d.driver + "\n" + (path == d.parameters.end() ? "" : path->second),
                          DriverColor(d), m->samples, {}, {}, {}});
      ds.push_back(&d);
      lo = std::min(lo, m->stats.n);
      hi = std::max(hi, m->stats.n);
      interval = m->interval;
      unit = m->unit;
    }
    if (c.series.empty()) return {};
    c.unit = unit;
    c.title = fmt::format("TCP 1-byte request/response round trip ({}), n={} per path\n{}", unit,
                          lo == hi ? std::to_string(lo) : fmt::format("{}..{}", lo, hi),
                          "each sample: the median of many round trips on one connection");
    c.y_label = fmt::format("round trip ({}, lower is better)", unit);
    c.caption = fmt::format(
        "Paths: loopback = a host process on 127.0.0.1 (the floor); bridge = the server in a "
        "network namespace behind bridge + veth; dnat = the same through its port mapping "
        "(nftables DNAT + conntrack); host = a container sharing the host's network. Measured "
        "(last row): {}. Box: quartiles and median; dots: every sample.",
        interval);
    return {c};
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeNetworkView() { return std::make_unique<NetworkView>(); }

}  // namespace ctv::reports

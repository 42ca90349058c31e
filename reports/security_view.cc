// The security suite's view: one side-by-side table, an attempt per row and a driver per column
// (denied with its errno / allowed / skipped), the counts per driver, and for every confined
// driver (container or sandbox) the attempts it allows that another confined driver in the same
// run denies. Everything is computed from the results' details (bench/suites/security_suite.h);
// no driver is named here.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using nlohmann::json;
using results::DriverResult;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "security";

struct Attempt {
  std::string result, errno_name, detail;
};

// attempt name -> outcome, and the names in the probe's order.
std::map<std::string, Attempt> Attempts(const DriverResult& d, std::vector<std::string>* order) {
  std::map<std::string, Attempt> out;
  auto b = d.details.find("breakout");
  if (b == d.details.end() || !b->is_object() || !b->contains("attempts")) return out;
  for (const json& a : (*b)["attempts"]) {
    if (!a.is_object()) continue;
    std::string name = a.value("name", "");
    if (name.empty()) continue;
    if (order && std::find(order->begin(), order->end(), name) == order->end())
      order->push_back(name);
    out[name] = {a.value("result", ""), a.value("errno_name", ""), a.value("detail", "")};
  }
  return out;
}

std::string Column(const DriverResult& d) {
  std::string s = d.driver;
  if (d.accelerator != "none" && !d.accelerator.empty()) s += " (" + d.accelerator + ")";
  return s;
}

bool Confined(const DriverResult& d) { return IsContainerDriver(d) || IsSandboxDriver(d); }

class SecurityView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override {
    return "Security: breakout attempts from inside a default instance";
  }
  std::vector<ChartSpec> Charts(const RunResults&) const override { return {}; }

  std::vector<Table> Tables(const RunResults& run) const override {
    const SuiteResult* s = FindSuite(run, kSuite);
    if (!s) return {};
    std::vector<const DriverResult*> ran;
    std::vector<std::string> order;
    std::vector<std::map<std::string, Attempt>> by_driver;
    Table side;
    side.header = {"attempt"};
    std::string skipped_note, own_kernel;
    for (const auto& d : s->results) {
      if (d.skipped) {
        skipped_note += fmt::format("{}{}: {}", skipped_note.empty() ? "" : "; ", d.driver,
                                    *d.skipped);
        continue;
      }
      ran.push_back(&d);
      by_driver.push_back(Attempts(d, &order));
      side.header.push_back(Column(d));
      if (d.details.value("own_kernel", false))
        own_kernel += (own_kernel.empty() ? "" : ", ") + d.driver;
    }
    if (ran.empty()) {
      Table t;
      t.caption = "No driver ran the breakout attempts: " + skipped_note;
      return {t};
    }
    std::vector<int> denied(ran.size(), 0), tried(ran.size(), 0);
    for (const std::string& name : order) {
      std::vector<Cell> row{Cell(name)};
      for (size_t i = 0; i < ran.size(); ++i) {
        auto it = by_driver[i].find(name);
        if (it == by_driver[i].end()) {
          row.push_back(Cell("—", "muted"));
          continue;
        }
        const Attempt& a = it->second;
        if (a.result == "denied") {
          ++denied[i];
          ++tried[i];
          row.push_back(Cell("denied" + (a.errno_name.empty() ? "" : " (" + a.errno_name + ")"),
                             "good"));
        } else if (a.result == "allowed") {
          ++tried[i];
          row.push_back(Cell("allowed", IsHostBaseline(*ran[i]) ? "muted" : "bad"));
        } else {
          row.push_back(Cell("skipped: " + a.detail, "muted"));
        }
      }
      side.rows.push_back(std::move(row));
    }
    std::vector<Cell> total{Cell("denied")};
    for (size_t i = 0; i < ran.size(); ++i)
      total.push_back(Cell(fmt::format("{} of {}", denied[i], tried[i])));
    side.rows.push_back(std::move(total));
    side.caption = fmt::format(
        "Breakout attempts inside a default instance of each driver (ctv-probe breakout, one "
        "instance each; errno as returned inside). Every attempt is harmless when allowed; the "
        "host column is the unconfined floor (root on the host).{}{}",
        own_kernel.empty()
            ? ""
            : " " + own_kernel +
                  " ran its own kernel (boot id differs from the host's): there \"allowed\" acted "
                  "on the guest's kernel, not the host's.",
        skipped_note.empty() ? "" : " Not run: " + skipped_note + ".");
    std::vector<Table> tables{side};

    // Confined drivers compared with each other: what one allows that another denies.
    Table gaps;
    gaps.caption =
        "For each container or sandbox driver: the attempts it allows that another container or "
        "sandbox driver of this run denies (empty: it denies at least what every other one "
        "denies).";
    gaps.header = {"driver", "allows, where another denies"};
    for (size_t i = 0; i < ran.size(); ++i) {
      if (!Confined(*ran[i])) continue;
      std::string list;
      for (const std::string& name : order) {
        auto mine = by_driver[i].find(name);
        if (mine == by_driver[i].end() || mine->second.result != "allowed") continue;
        std::string by;
        for (size_t j = 0; j < ran.size(); ++j) {
          if (j == i || !Confined(*ran[j])) continue;
          auto other = by_driver[j].find(name);
          if (other != by_driver[j].end() && other->second.result == "denied")
            by += (by.empty() ? "" : ", ") + ran[j]->driver;
        }
        if (!by.empty()) list += fmt::format("{}{} (denied by {})", list.empty() ? "" : "; ", name, by);
      }
      gaps.rows.push_back({Cell(ran[i]->driver), list.empty() ? Cell("none", "good")
                                                              : Cell(list, "bad")});
    }
    if (!gaps.rows.empty()) tables.push_back(std::move(gaps));
    return tables;
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeSecurityView() { return std::make_unique<SecurityView>(); }

}  // namespace ctv::reports

#include "reports/report.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <set>

#include "core/fd.h"
#include "core/fs_tree.h"
#include "reports/claims.h"
#include "reports/format.h"
#include "reports/html_writer.h"
#include "reports/suite_view.h"

namespace ctv::reports {

using results::DriverResult;
using results::RunResults;

namespace {

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Key(const std::string& suite, const DriverResult& d) {
  return suite + "\x1f" + d.driver + "\x1f" + d.accelerator + "\x1f" + ParamsString(d.parameters);
}

}  // namespace

RunResults MergeRuns(const std::vector<NamedRun>& runs) {
  RunResults out;
  if (runs.empty()) return out;
  out = runs[0].run;
  if (runs.size() == 1) return out;
  std::set<std::string> seen;
  bool collide = false;
  for (const auto& nr : runs)
    for (const auto& s : nr.run.suites)
      for (const auto& d : s.results) collide = !seen.insert(Key(s.name, d)).second || collide;
  out.suites.clear();
  for (const auto& nr : runs) {
    for (const auto& s : nr.run.suites) {
      results::SuiteResult* target = nullptr;
      for (auto& t : out.suites)
        if (t.name == s.name) target = &t;
      if (!target) {
        out.suites.push_back(s);
        out.suites.back().results.clear();
        target = &out.suites.back();
      }
      for (auto d : s.results) {
        if (collide) d.parameters["run"] = BaseName(nr.name);
        target->results.push_back(std::move(d));
      }
    }
  }
  return out;
}

namespace {

std::string Bytes(uint64_t b) {
  return fmt::format("{:.1f} GiB", static_cast<double>(b) / (1024.0 * 1024 * 1024));
}

Section EnvironmentSection(const std::vector<NamedRun>& runs) {
  Section s{"environment", "Environment", {}};
  Table t;
  t.caption = "Where the figures were measured (from each results file's environment).";
  t.header = {"field"};
  for (const auto& r : runs) t.header.push_back(BaseName(r.name));
  auto row = [&](const std::string& field, auto get) {
    std::vector<Cell> cells = {Cell(field)};
    for (const auto& r : runs) cells.push_back(Cell(get(r.run)));
    t.rows.push_back(std::move(cells));
  };
  row("started at", [](const RunResults& r) { return r.started_at; });
  row("finished at", [](const RunResults& r) { return r.finished_at; });
  row("command", [](const RunResults& r) {
    std::string c;
    for (const auto& a : r.command) c += (c.empty() ? "" : " ") + a;
    return c;
  });
  row("ctvbench revision", [](const RunResults& r) { return r.environment.ctvbench_revision; });
  row("hostname", [](const RunResults& r) { return r.environment.hostname; });
  row("kernel", [](const RunResults& r) {
    return r.environment.kernel_release + " " + r.environment.kernel_version;
  });
  row("arch", [](const RunResults& r) { return r.environment.arch; });
  row("CPU", [](const RunResults& r) {
    return fmt::format("{} ({} CPUs)", r.environment.cpu_model, r.environment.cpu_count);
  });
  row("memory", [](const RunResults& r) { return Bytes(r.environment.memory_bytes); });
  row("cgroup mode", [](const RunResults& r) {
    std::string c;
    for (const auto& x : r.environment.cgroup_controllers) c += (c.empty() ? "" : " ") + x;
    return r.environment.cgroup_mode + (c.empty() ? "" : " (controllers: " + c + ")");
  });
  row("KVM", [](const RunResults& r) {
    const auto& k = r.environment.kvm;
    return fmt::format(
        "/dev/kvm {}; module {}; usable: {}{}", k.device_present ? "present" : "absent",
        k.module.empty() ? "none" : k.module, k.usable, k.why.empty() ? "" : " (" + k.why + ")");
  });
  row("accelerators used", [](const RunResults& r) {
    std::vector<const DriverResult*> ds;
    for (const auto& s : r.suites)
      for (const auto& d : s.results)
        if (!d.skipped) ds.push_back(&d);
    return AcceleratorSummary(ds);
  });
  row("KSM", [](const RunResults& r) -> std::string {
    if (!r.environment.ksm_enabled) return "not available";
    return *r.environment.ksm_enabled ? "on (pages may be merged across VMs)" : "off";
  });
  std::set<std::string> tools;
  for (const auto& r : runs)
    for (const auto& [k, v] : r.run.environment.tools) tools.insert(k);
  for (const auto& tool : tools)
    row("tool: " + tool, [&](const RunResults& r) {
      auto it = r.environment.tools.find(tool);
      return it == r.environment.tools.end() ? std::string("absent") : it->second;
    });
  std::set<std::string> hosts;
  for (const auto& r : runs)
    hosts.insert(r.run.environment.hostname + " / " + r.run.environment.cpu_model + " / " +
                 r.run.environment.kernel_release);
  if (hosts.size() > 1)
    s.blocks.push_back(Paragraph{
        fmt::format("These files come from {} different hosts (hostname / CPU / kernel): figures "
                    "on one chart are not directly comparable.",
                    hosts.size()),
        "warn"});
  s.blocks.push_back(std::move(t));
  return s;
}

Cell VerdictCell(ClaimVerdict v) {
  const char* tone = v == ClaimVerdict::kHolds         ? "good"
                     : v == ClaimVerdict::kNuanced     ? "warn"
                     : v == ClaimVerdict::kDoesNotHold ? "bad"
                                                       : "muted";
  return Cell(ClaimVerdictName(v), tone);
}

Section ClaimsSection(const RunResults& run) {
  Section s{"claims", "Lecture claims vs. measurements", {}};
  s.blocks.push_back(Paragraph{
      "Each measurable claim of the lecture notes, judged from these results only. \"Not "
      "measured yet\" names the suite that would measure it; \"cannot be measured here\" names "
      "what this host lacks; a VM figure measured under TCG is "
      "software emulation and says so.",
      ""});
  Table t;
  t.header = {"claim", "measured by", "measured", "verdict", "why"};
  for (const auto& row : EvaluateClaims(run))
    t.rows.push_back({row.claim.statement, row.claim.measured_by, row.check.measured,
                      VerdictCell(row.check.verdict), row.check.explanation});
  s.blocks.push_back(std::move(t));
  return s;
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '-';
  return out;
}

}  // namespace

Result<ReportOutput> WriteReport(const std::vector<NamedRun>& runs, const std::string& out_dir) {
  if (runs.empty()) return MakeError("write report", out_dir, "no results files given");
  CTV_CHECK(fs::MakeDirs(out_dir));
  RunResults run = MergeRuns(runs);
  ReportOutput out;

  Page page;
  page.title = "ctvbench report: containers vs virtual machines";
  std::string files;
  for (const auto& r : runs) files += (files.empty() ? "" : ", ") + BaseName(r.name);
  page.subtitle =
      fmt::format("{} - host {} - kernel {} - started {}", files, run.environment.hostname,
                  run.environment.kernel_release, run.started_at);
  // Claims first (the point of the page), then the evidence, then where it was measured.
  page.sections.push_back(ClaimsSection(run));

  // Registered views first (their order), then any other suite with its statistics.
  std::vector<std::unique_ptr<SuiteView>> views;
  std::set<std::string> done;
  for (const SuiteView* v : SuiteViews())
    if (FindSuite(run, v->Suite())) {
      views.push_back(ViewFor(v->Suite()));
      done.insert(v->Suite());
    }
  for (const auto& s : run.suites)
    if (done.insert(s.name).second) views.push_back(ViewFor(s.name));

  for (const auto& v : views) {
    Section sec{"suite-" + Slug(v->Suite()), v->Title(), {}};
    for (const ChartSpec& spec : v->Charts(run)) {
      std::string png = CTV_TRY(RenderChart(spec, out_dir));
      out.pngs.push_back(png);
      sec.blocks.push_back(Figure{png, spec.title, spec.caption});
    }
    for (auto& t : v->Tables(run)) sec.blocks.push_back(std::move(t));
    page.sections.push_back(std::move(sec));
  }

  page.sections.push_back(EnvironmentSection(runs));
  out.index_html = out_dir + "/index.html";
  CTV_CHECK(WriteFileAtomic(out.index_html, CTV_TRY(RenderHtml(page))));

  Page claims;
  claims.title = "ctvbench: lecture claims vs. measurements";
  claims.subtitle = page.subtitle;
  claims.sections.push_back(ClaimsSection(run));
  claims.sections.push_back(EnvironmentSection(runs));
  out.claims_html = out_dir + "/claims.html";
  CTV_CHECK(WriteFileAtomic(out.claims_html, CTV_TRY(RenderHtml(claims))));
  return out;
}

}  // namespace ctv::reports

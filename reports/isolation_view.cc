// The isolation suite's view: per driver, one table namespace by namespace (inside, outside, the
// host's value, isolated/shared computed from them), the lifecycle cases, and the claims about
// host PIDs, hostnames, the shared kernel, PID 1 exit, the writable layer and port conflicts.
#include "reports/isolation_view.h"

#include <fmt/format.h>

#include <algorithm>

#include "reports/format.h"
#include "reports/suite_view.h"

namespace ctv::reports {
namespace {

using nlohmann::json;
using results::DriverResult;
using results::RunResults;
using results::SuiteResult;

constexpr const char* kSuite = "isolation";
constexpr const char* kNsKinds[] = {"pid", "uts", "ipc", "net", "mnt", "user", "cgroup", "time"};

const json& Empty() {
  static const json kEmpty = json::object();
  return kEmpty;
}
const json& Obj(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : Empty();
}
std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}
int64_t Int(const json& j, const char* key, int64_t dflt = -1) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}
uint64_t Inode(const json& view, const char* kind) {
  const json& ns = Obj(view, "ns");
  auto it = ns.find(kind);
  return it != ns.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}
std::string List(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return "";
  std::string out;
  for (const auto& v : *it)
    if (v.is_string()) out += (out.empty() ? "" : ", ") + v.get<std::string>();
  return out;
}
std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }
int64_t IpcObjects(const json& v) {
  int64_t n = 0;
  for (const char* k : {"ipc_shm", "ipc_sem", "ipc_msg"}) n += std::max<int64_t>(0, Int(v, k, 0));
  return n;
}

// What one namespace kind looks like from one view (inside or the host's own).
std::string Facet(const char* kind, const json& v) {
  std::string k = kind;
  if (v.empty()) return "-";
  if (k == "pid")
    return fmt::format("PID {}, {} processes visible, PID 1 is \"{}\"", Int(v, "pid"),
                       Int(v, "visible_pids"), Str(v, "pid1_comm"));
  if (k == "uts") return "hostname \"" + Str(v, "hostname") + "\"";
  if (k == "ipc") return fmt::format("{} System V IPC objects", IpcObjects(v));
  if (k == "net") return "interfaces " + List(v, "interfaces") + "; " + List(v, "addresses");
  if (k == "mnt")
    return fmt::format("{} mounts, / is {} {} ({})", Int(v, "mount_count"), Str(v, "root_fs"),
                       Str(v, "root_source"), Str(v, "root_dev"));
  if (k == "user")
    return fmt::format("uid {} gid {}, uid_map \"{}\"", Int(v, "uid"), Int(v, "gid"),
                       Str(v, "uid_map"));
  if (k == "cgroup") return FirstLine(Str(v, "cgroup"));
  return "";
}

std::string WithInode(std::string text, uint64_t ino) {
  std::string i = ino ? fmt::format("ns {}", ino) : "ns ?";
  return text.empty() ? i : text + "; " + i;
}

// Own kernel: a boot id other than the host's. Without boot ids (an old probe, a kernel that
// does not offer one), a different uname release or version says the same; else unknown.
std::optional<bool> OwnKernel(const json& in, const json& host) {
  std::string a = Str(in, "boot_id"), b = Str(host, "boot_id");
  if (!a.empty() && !b.empty()) return a != b;
  if (Str(in, "kernel_release").empty() || Str(host, "kernel_release").empty()) return std::nullopt;
  if (Str(in, "kernel_release") != Str(host, "kernel_release") ||
      Str(in, "kernel_version") != Str(host, "kernel_version"))
    return true;
  return std::nullopt;
}

}  // namespace

std::vector<IsolationRow> IsolationRows(const json& isolation) {
  const json& in = Obj(isolation, "inside");
  const json& out = Obj(isolation, "outside");
  const json& host = Obj(isolation, "host");
  std::vector<IsolationRow> rows;
  std::optional<bool> own = OwnKernel(in, host);
  bool outside_is_workload = Str(out, "pid_source") == "workload";
  std::string outside_who =
      outside_is_workload
          ? fmt::format("its PID 1 is host PID {} (NSpid {})", Int(out, "pid"), Str(out, "nspid"))
      : Int(out, "pid") > 0
          ? fmt::format("no workload PID: instance process {}host PID {}",
                        Str(out, "comm").empty() ? "" : Str(out, "comm") + ", ", Int(out, "pid"))
          : "no host process named";
  for (const char* kind : kNsKinds) {
    IsolationRow r;
    r.aspect = kind;
    uint64_t i = Inode(in, kind), h = Inode(host, kind), o = Inode(out, kind);
    r.inside = WithInode(Facet(kind, in), i);
    r.host = WithInode(Facet(kind, host), h);
    std::string ocg = std::string(kind) == "cgroup" ? FirstLine(Str(out, "cgroup")) + "; " : "";
    r.outside = Int(out, "pid") > 0 ? ocg + WithInode(outside_who, o) : outside_who;
    if (own && *own) {
      r.verdict = kIsolated;
      r.evidence =
          "own kernel (boot id differs from the host's): its namespace numbers belong to "
          "another kernel";
    } else if (i == 0 || h == 0) {
      r.verdict = kUnknown;
      r.evidence = "namespace inode missing inside or on the host";
    } else if (i != h) {
      r.verdict = kIsolated;
      r.evidence = fmt::format("inode {} inside != {} on the host", i, h);
    } else {
      r.verdict = kShared;
      r.evidence = fmt::format("inode {} inside == the host's", i);
    }
    if (outside_is_workload && o != 0 && i != 0 && !(own && *own))
      r.evidence += o == i ? "; the host sees the same inode on its PID 1"
                           : fmt::format("; but the host sees inode {} on its PID 1", o);
    rows.push_back(std::move(r));
  }
  IsolationRow k;
  k.aspect = "kernel";
  auto kernel = [](const json& v) {
    std::string boot = Str(v, "boot_id");
    return Str(v, "kernel_release") + ", boot id " + (boot.empty() ? "none" : boot.substr(0, 8));
  };
  k.inside = kernel(in);
  k.host = kernel(host);
  k.outside = "-";
  k.verdict = !own ? kUnknown : *own ? kIsolated : kShared;
  k.evidence = !own   ? "no boot id to compare and the same uname"
               : *own ? "a kernel of its own: boot id (or uname) differs from the host's"
                      : "the host's kernel: same boot id";
  rows.push_back(std::move(k));
  // Confinement: what the workload may do on the kernel it runs on.
  auto confine = [&](const char* aspect, std::string a, std::string b, const char* what) {
    IsolationRow r;
    r.aspect = aspect;
    r.counted = false;
    r.inside = a;
    r.host = b;
    r.outside = "-";
    if (own && *own) {
      r.verdict = "own kernel";
      r.evidence = std::string(what) + " of another kernel: not comparable with the host's";
    } else if (a.empty() || b.empty()) {
      r.verdict = kUnknown;
    } else {
      r.verdict = a == b ? "as host" : "confined";
      r.evidence =
          std::string(what) + (a == b ? " equal to the host's" : " differ from the host's");
    }
    rows.push_back(std::move(r));
  };
  auto num = [](const json& v, const char* key) {
    int64_t x = Int(v, key);
    return x < 0 ? std::string() : std::to_string(x);
  };
  confine("capabilities", Str(in, "cap_eff"), Str(host, "cap_eff"), "effective capabilities");
  confine("seccomp", num(in, "seccomp"), num(host, "seccomp"),
          "seccomp mode (0 none, 1 strict, 2 filter)");
  confine("no_new_privs", num(in, "no_new_privs"), num(host, "no_new_privs"), "no_new_privs");
  return rows;
}

IsolationCounts CountRows(const std::vector<IsolationRow>& rows) {
  IsolationCounts c;
  for (const auto& r : rows) {
    if (!r.counted) continue;
    if (r.verdict == kIsolated)
      ++c.isolated;
    else if (r.verdict == kShared)
      ++c.shared;
    else
      ++c.unknown;
  }
  return c;
}

namespace {

std::string Case(const DriverResult& d) {
  auto it = d.parameters.find("case");
  return it == d.parameters.end() ? "" : it->second;
}

// The results of one case, measured or skipped.
std::vector<const DriverResult*> CaseResults(const RunResults& run, const std::string& c) {
  std::vector<const DriverResult*> out;
  if (const SuiteResult* s = FindSuite(run, kSuite))
    for (const auto& d : s->results)
      if (Case(d) == c) out.push_back(&d);
  return out;
}

const json* Details(const DriverResult& d, const char* key) {
  auto it = d.details.find(key);
  return it != d.details.end() && it->is_object() ? &*it : nullptr;
}

double MetricValue(const DriverResult& d, const char* name) {
  const results::Metric* m = FindMetric(d, name);
  return m && m->stats.n > 0 ? m->stats.median : -1;
}

std::string Skips(const std::vector<const DriverResult*>& ds) {
  std::string out;
  for (const DriverResult* d : ds)
    if (d->skipped) out += (out.empty() ? "" : "; ") + d->driver + ": " + *d->skipped;
  return out.empty() ? "" : ". Not measured: " + out + ".";
}

class IsolationView : public SuiteView {
 public:
  std::string Suite() const override { return kSuite; }
  std::string Title() const override {
    return "Isolation: what each driver isolates, inside vs outside";
  }
  std::vector<ChartSpec> Charts(const RunResults&) const override { return {}; }

  std::vector<Table> Tables(const RunResults& run) const override {
    std::vector<Table> tables;
    std::vector<const DriverResult*> ns = CaseResults(run, "namespaces");
    for (const DriverResult* d : CaseResults(run, "userns"))
      if (!d->skipped) ns.push_back(d);  // a userns row only where a driver took the option
    for (const DriverResult* d : ns) {
      Table t;
      if (d->skipped) {
        t.caption = fmt::format("{} ({}): not measured: {}", d->driver, d->kind, *d->skipped);
        t.header = {"aspect", "verdict"};
        tables.push_back(std::move(t));
        continue;
      }
      const json* iso = Details(*d, "isolation");
      std::vector<IsolationRow> rows = IsolationRows(iso ? *iso : json::object());
      IsolationCounts n = CountRows(rows);
      t.caption = fmt::format(
          "{} ({}){}: namespace by namespace, inside the instance (ctv-probe hostinfo), as the "
          "host "
          "sees it, and the host's own value. Isolated {}, shared {}{} (of the 8 namespaces and "
          "the kernel), computed from the inode numbers and boot ids in the results.",
          d->driver + (d->accelerator == "none" || d->accelerator.empty()
                           ? ""
                           : " (" + d->accelerator + ")"),
          d->kind,
          d->parameters.count("userns") ? ", user namespace " + d->parameters.at("userns") : "",
          n.isolated, n.shared, n.unknown ? fmt::format(", unknown {}", n.unknown) : "");
      t.header = {"aspect", "isolated / shared", "inside", "outside (host's view)",
                  "host",   "evidence"};
      for (const auto& r : rows) {
        std::string tone = r.verdict == kIsolated || r.verdict == "confined" ? "good"
                           : r.verdict == kShared || r.verdict == "as host"  ? "bad"
                                                                             : "muted";
        std::string mark = r.verdict == kIsolated ? "✔ isolated"
                           : r.verdict == kShared ? "✘ shared"
                                                  : r.verdict;
        t.rows.push_back({r.aspect, Cell(mark, tone), r.inside, r.outside, r.host, r.evidence});
      }
      tables.push_back(std::move(t));
    }
    Table life;
    life.caption =
        "Lifecycle evidence per driver: PID 1 exit (host processes of the instance still alive "
        "afterwards), writable layer vs volume after removal, a second instance on a taken host "
        "port.";
    life.header = {"driver", "case", "result", "evidence"};
    for (const char* c : {"pid1_exit", "storage", "port_conflict"})
      for (const DriverResult* d : CaseResults(run, c)) {
        if (d->skipped) {
          life.rows.push_back(
              {d->driver, c, Cell("(skipped)", "muted"), Cell(*d->skipped, "muted")});
          continue;
        }
        life.rows.push_back({d->driver, c, LifecycleResult(*d, c), LifecycleEvidence(*d, c)});
      }
    if (!life.rows.empty()) tables.push_back(std::move(life));
    if (const SuiteResult* s = FindSuite(run, kSuite)) tables.push_back(StatsTable(*s));
    return tables;
  }

  std::vector<ClaimCheck> Claims(const RunResults& run) const override {
    std::vector<ClaimCheck> out;
    if (!FindSuite(run, kSuite)) return out;
    if (auto c = HostPid(run)) out.push_back(*c);
    if (auto c = Hostname(run)) out.push_back(*c);
    if (auto c = Kernel(run)) out.push_back(*c);
    if (auto c = Pid1Exit(run)) out.push_back(*c);
    if (auto c = Ephemeral(run)) out.push_back(*c);
    if (auto c = PortConflict(run)) out.push_back(*c);
    return out;
  }

 private:
  static Cell LifecycleResult(const DriverResult& d, const std::string& c) {
    if (c == "pid1_exit") {
      double left = MetricValue(d, "lifecycle.survivors");
      return left == 0 ? Cell("stopped: nothing left", "good")
                       : Cell(fmt::format("{:.0f} process(es) survived", left), "bad");
    }
    if (c == "storage") {
      bool gone = MetricValue(d, "storage.layer_files_left") == 0;
      bool kept = MetricValue(d, "storage.volume_files_kept") == 1;
      return Cell(
          fmt::format("layer {}, volume {}", gone ? "gone" : "LEFT", kept ? "kept" : "LOST"),
          gone && kept ? "good" : "bad");
    }
    bool refused = MetricValue(d, "network.port_conflict_refused") == 1;
    return refused ? Cell("second refused", "good") : Cell("second also started", "bad");
  }

  static std::string LifecycleEvidence(const DriverResult& d, const std::string& c) {
    if (c == "pid1_exit") {
      const json* e = Details(d, "pid1_exit");
      if (!e) return "";
      return fmt::format("watched host PIDs {}; alive {} ms after exit: {}; child {}",
                         e->value("watched_host_pids", json::array()).dump(), Int(*e, "waited_ms"),
                         e->value("alive_after", json::array()).dump(),
                         e->contains("child_host_pid")
                             ? fmt::format("host PID {} {}", Int(*e, "child_host_pid"),
                                           e->value("child_survived", false) ? "survived" : "gone")
                             : Str(*e, "child_host_pid_note"));
    }
    if (c == "storage") {
      const json* e = Details(d, "storage");
      if (!e) return "";
      return fmt::format(
          "layer {} (file there while running: {}; dir after removal: {}); volume "
          "{} holds \"{}\"",
          Str(*e, "writable_layer"), e->value("layer_file_while_running", false),
          e->value("layer_dir_after_removal", false), Str(*e, "volume_host_dir"),
          FirstLine(Str(*e, "volume_file_after_removal")));
    }
    const json* e = Details(d, "port_conflict");
    if (!e) return "";
    // details.host_port: chosen at run time (held_port.h); parameters.port in older files.
    std::string port = d.details.contains("host_port") && d.details.at("host_port").is_number()
                           ? std::to_string(d.details.at("host_port").get<int>())
                       : d.parameters.count("port") ? d.parameters.at("port")
                                                    : "?";
    return fmt::format("port {}: first {}, second {}: {}", port, Str(*e, "first"),
                       Str(*e, "second"), Str(*e, "second_error"));
  }

  // Namespace rows of every measured container/sandbox/vm result, with the result.
  struct Judged {
    const DriverResult* d;
    const json* iso;
    std::vector<IsolationRow> rows;
  };
  static std::vector<Judged> Measured(const RunResults& run) {
    std::vector<Judged> out;
    for (const DriverResult* d : CaseResults(run, "namespaces")) {
      if (d->skipped) continue;
      const json* iso = Details(*d, "isolation");
      if (!iso) continue;
      out.push_back({d, iso, IsolationRows(*iso)});
    }
    return out;
  }
  static const IsolationRow* Row(const Judged& j, const std::string& aspect) {
    for (const auto& r : j.rows)
      if (r.aspect == aspect) return &r;
    return nullptr;
  }

  static std::optional<ClaimCheck> HostPid(const RunResults& run) {
    ClaimCheck c{"process.host_pid", ClaimVerdict::kHolds, "", ""};
    int seen = 0, good = 0;
    std::string host_text;
    for (const Judged& j : Measured(run)) {
      const json& in = Obj(*j.iso, "inside");
      const json& out = Obj(*j.iso, "outside");
      if (IsHostBaseline(*j.d)) {
        host_text = fmt::format("; host baseline: PID {} inside = PID {} seen by the host",
                                Int(in, "pid"), Int(out, "pid"));
        continue;
      }
      if (!IsContainerDriver(*j.d) || Str(out, "pid_source") != "workload") continue;
      ++seen;
      const IsolationRow* pid = Row(j, "pid");
      bool ok = Int(in, "pid") == 1 && Int(out, "pid") > 1 && pid && pid->verdict == kIsolated;
      good += ok;
      c.measured +=
          fmt::format("{}{}: PID {} inside, host PID {} (NSpid {}), pid ns {} vs host {}",
                      c.measured.empty() ? "" : "; ", j.d->driver, Int(in, "pid"), Int(out, "pid"),
                      Str(out, "nspid"), Inode(in, "pid"), Inode(Obj(*j.iso, "host"), "pid"));
    }
    if (!seen) return std::nullopt;
    c.measured += host_text;
    if (good == seen) {
      c.explanation =
          "In every container the probe is PID 1 of its own PID namespace, and the host sees the "
          "same process as an ordinary PID with that namespace's inode: a host process, not a "
          "machine.";
    } else {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = fmt::format(
          "{} of {} container runtimes gave the workload PID 1 in a PID namespace of its own.",
          good, seen);
    }
    return c;
  }

  static std::optional<ClaimCheck> Hostname(const RunResults& run) {
    ClaimCheck c{"namespace.hostname", ClaimVerdict::kHolds, "", ""};
    int seen = 0, own = 0;
    std::string host_name;
    for (const Judged& j : Measured(run)) {
      if (!IsContainerDriver(*j.d)) continue;
      const IsolationRow* uts = Row(j, "uts");
      const IsolationRow* pid = Row(j, "pid");
      if (!uts) continue;
      ++seen;
      std::string h = Str(Obj(*j.iso, "inside"), "hostname");
      host_name = Str(Obj(*j.iso, "host"), "hostname");
      bool ok = uts->verdict == kIsolated && pid && pid->verdict == kIsolated && h != host_name;
      own += ok;
      c.measured += fmt::format("{}{}: \"{}\", uts {}, pid {}", c.measured.empty() ? "" : "; ",
                                j.d->driver, h, uts->verdict, pid ? pid->verdict : "?");
    }
    if (!seen) return std::nullopt;
    c.measured += fmt::format(" (host: \"{}\")", host_name);
    if (own == seen) {
      c.explanation =
          "Every container had its own UTS and PID namespaces (inode numbers other "
          "than the host's) and its own hostname, on the host's kernel.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = fmt::format("{} of {} containers shared the host's UTS or PID namespace.",
                                  seen - own, seen);
    }
    return c;
  }

  static std::optional<ClaimCheck> Kernel(const RunResults& run) {
    ClaimCheck c{"kernel.shared", ClaimVerdict::kHolds, "", ""};
    int cs = 0, c_shared = 0, vs = 0, v_own = 0;
    std::string sandbox;
    for (const Judged& j : Measured(run)) {
      const IsolationRow* k = Row(j, "kernel");
      if (!k) continue;
      std::string text = fmt::format("{}: {} ({})", j.d->driver, k->inside, k->verdict);
      if (IsContainerDriver(*j.d)) {
        ++cs;
        c_shared += k->verdict == kShared;
      } else if (IsVmDriver(*j.d)) {
        ++vs;
        v_own += k->verdict == kIsolated;
      } else if (IsSandboxDriver(*j.d)) {
        sandbox += "; " + text + " - a sandbox reports a kernel of its own";
        continue;
      } else {
        continue;
      }
      c.measured += (c.measured.empty() ? "" : "; ") + text;
    }
    if (!cs && !vs) return std::nullopt;
    const auto m = Measured(run);
    if (!m.empty()) c.measured += " (host: " + Row(m[0], "kernel")->host + ")";
    c.measured += sandbox;
    if (cs && c_shared != cs) {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "A container ran on a kernel other than the host's (another boot id).";
    } else if (vs && v_own != vs) {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "A VM reported the host's boot id: not a kernel of its own.";
    } else if (!cs || !vs) {
      c.verdict = ClaimVerdict::kNuanced;
      c.explanation = !cs ? "Each VM ran its own kernel; no container was measured."
                          : "Containers ran the host's kernel (same boot id); no VM was measured.";
    } else {
      c.explanation =
          "Containers reported the host's boot id (its kernel); each VM its own, even "
          "when it booted the same kernel build.";
    }
    return c;
  }

  static std::optional<ClaimCheck> Pid1Exit(const RunResults& run) {
    ClaimCheck c{"lifecycle.pid1_exit", ClaimVerdict::kHolds, "", ""};
    int seen = 0, stopped = 0;
    std::string host;
    for (const DriverResult* d : CaseResults(run, "pid1_exit")) {
      if (d->skipped) continue;
      double left = MetricValue(*d, "lifecycle.survivors");
      if (left < 0) continue;
      std::string text = fmt::format("{}: {:.0f} survivor(s)", d->driver, left);
      if (IsHostBaseline(*d)) {
        host = "; host baseline: " + text + " (an orphan lives on)";
        continue;
      }
      if (!IsContainerDriver(*d)) {
        c.measured += (c.measured.empty() ? "" : "; ") + text;
        continue;
      }
      ++seen;
      stopped += left == 0;
      c.measured += (c.measured.empty() ? "" : "; ") + text;
    }
    if (!seen) return std::nullopt;
    c.measured += host;
    if (stopped == seen) {
      c.explanation =
          "When PID 1 exited, every container stopped and its other process (the "
          "sleeping child) was gone too: the kernel kills a PID namespace with its "
          "init.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = fmt::format("{} of {} containers left processes behind after PID 1 exited.",
                                  seen - stopped, seen);
    }
    c.measured += Skips(CaseResults(run, "pid1_exit"));
    return c;
  }

  static std::optional<ClaimCheck> Ephemeral(const RunResults& run) {
    ClaimCheck c{"storage.ephemeral", ClaimVerdict::kHolds, "", ""};
    int seen = 0, good = 0;
    for (const DriverResult* d : CaseResults(run, "storage")) {
      if (d->skipped || !IsContainerDriver(*d)) continue;
      double left = MetricValue(*d, "storage.layer_files_left");
      double kept = MetricValue(*d, "storage.volume_files_kept");
      if (left < 0 || kept < 0) continue;
      ++seen;
      good += left == 0 && kept == 1;
      c.measured += fmt::format("{}{}: {:.0f} layer file(s) left, {:.0f} volume file(s) kept",
                                c.measured.empty() ? "" : "; ", d->driver, left, kept);
    }
    if (!seen) return std::nullopt;
    if (good == seen) {
      c.explanation =
          "The file written to the root file system was in the writable layer while "
          "the container ran and gone with it after removal; the volume's file was "
          "still on the host.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "A container's layer file outlived its removal, or its volume lost data.";
    }
    c.measured += Skips(CaseResults(run, "storage"));
    return c;
  }

  static std::optional<ClaimCheck> PortConflict(const RunResults& run) {
    ClaimCheck c{"network.port_conflict", ClaimVerdict::kHolds, "", ""};
    int seen = 0, refused = 0;
    for (const DriverResult* d : CaseResults(run, "port_conflict")) {
      if (d->skipped) continue;
      double r = MetricValue(*d, "network.port_conflict_refused");
      if (r < 0) continue;
      ++seen;
      refused += r == 1;
      const json* e = Details(*d, "port_conflict");
      c.measured += fmt::format(
          "{}{}: second instance {}{}", c.measured.empty() ? "" : "; ", d->driver,
          r == 1 ? "refused" : "started",
          e && !Str(*e, "second_error").empty() ? " (\"" + Str(*e, "second_error") + "\")" : "");
    }
    if (!seen) return std::nullopt;
    if (refused == seen) {
      c.explanation =
          "With the host port already mapped by a running container, the second one "
          "asking for it failed with an error naming the port.";
    } else {
      c.verdict = ClaimVerdict::kDoesNotHold;
      c.explanation = "A second container started on a host port another one already held.";
    }
    c.measured += Skips(CaseResults(run, "port_conflict"));
    return c;
  }
};

}  // namespace

std::unique_ptr<SuiteView> MakeIsolationView() { return std::make_unique<IsolationView>(); }

}  // namespace ctv::reports

#include "results/results.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/fd.h"

namespace ctv::results {

using nlohmann::json;

Metric MakeMetric(std::string name, std::string unit, std::string interval,
                  std::vector<double> samples, bool lower_is_better) {
  Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.interval = std::move(interval);
  m.lower_is_better = lower_is_better;
  m.samples = std::move(samples);
  m.stats = Summarize(m.samples);
  m.warnings = TrustWarnings(m.stats);
  return m;
}

namespace {

json StatsJson(const Summary& s) {
  return {{"n", s.n},         {"median", s.median}, {"p95", s.p95},       {"min", s.min},
          {"max", s.max},     {"mean", s.mean},     {"stddev", s.stddev}, {"cv", s.cv}};
}

json MetricJson(const Metric& m) {
  return {{"name", m.name},
          {"unit", m.unit},
          {"interval", m.interval},
          {"lower_is_better", m.lower_is_better},
          {"samples", m.samples},
          {"stats", StatsJson(m.stats)},
          {"warnings", m.warnings}};
}

json EnvJson(const Environment& e) {
  json j = {{"hostname", e.hostname},
            {"kernel_release", e.kernel_release},
            {"kernel_version", e.kernel_version},
            {"arch", e.arch},
            {"cpu_model", e.cpu_model},
            {"cpu_count", e.cpu_count},
            {"memory_bytes", e.memory_bytes},
            {"cgroup_mode", e.cgroup_mode},
            {"cgroup_controllers", e.cgroup_controllers},
            {"kvm",
             {{"device_present", e.kvm.device_present},
              {"module", e.kvm.module},
              {"usable", e.kvm.usable},
              {"why", e.kvm.why}}},
            {"ksm_enabled", e.ksm_enabled ? json(*e.ksm_enabled) : json(nullptr)},
            {"tools", e.tools},
            {"ctvbench_revision", e.ctvbench_revision}};
  return j;
}

// Reads typed fields out of a JSON object, remembering where it is so errors name the field.
class Reader {
 public:
  Reader(const json& j, std::string path, const std::string& source)
      : j_(j), path_(std::move(path)), source_(source) {}

  Error Bad(const std::string& key, const std::string& what) const {
    return MakeError("read results", source_, fmt::format("field `{}`: {}", Join(key), what));
  }
  std::string Join(const std::string& key) const {
    if (key.empty()) return path_.empty() ? "(top level)" : path_;
    return path_.empty() ? key : path_ + "." + key;
  }
  const json* Find(const std::string& key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  Result<const json*> Need(const std::string& key, json::value_t type) const {
    const json* v = Find(key);
    if (!v) return Bad(key, "missing");
    bool ok = v->type() == type ||
              (type == json::value_t::number_float && v->is_number()) ||
              (type == json::value_t::number_integer && v->is_number_integer());
    if (!ok) return Bad(key, fmt::format("expected {}, found {}", TypeName(type), v->type_name()));
    return v;
  }
  Result<std::string> Str(const std::string& key) const {
    const json* v = CTV_TRY(Need(key, json::value_t::string));
    return v->get<std::string>();
  }
  std::string StrOr(const std::string& key, const std::string& dflt) const {
    const json* v = Find(key);
    return v && v->is_string() ? v->get<std::string>() : dflt;
  }
  Result<int64_t> Int(const std::string& key) const {
    const json* v = CTV_TRY(Need(key, json::value_t::number_integer));
    return v->get<int64_t>();
  }
  Result<double> Num(const std::string& key) const {
    const json* v = CTV_TRY(Need(key, json::value_t::number_float));
    return v->get<double>();
  }
  Result<std::vector<std::string>> Strings(const std::string& key) const {
    const json* v = CTV_TRY(Need(key, json::value_t::array));
    std::vector<std::string> out;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) return Bad(fmt::format("{}[{}]", key, i), "expected a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  Reader Child(const json& j, const std::string& key) const { return Reader(j, Join(key), source_); }

 private:
  static const char* TypeName(json::value_t t) {
    switch (t) {
      case json::value_t::string: return "a string";
      case json::value_t::array: return "an array";
      case json::value_t::object: return "an object";
      case json::value_t::boolean: return "true or false";
      case json::value_t::number_integer: return "an integer";
      default: return "a number";
    }
  }
  const json& j_;
  std::string path_;
  const std::string& source_;
};

Result<Metric> ParseMetric(const Reader& r, const json& j) {
  Metric m;
  m.name = CTV_TRY(r.Str("name"));
  m.unit = CTV_TRY(r.Str("unit"));
  if (m.unit.empty()) return r.Bad("unit", "empty: every figure needs a unit");
  m.interval = CTV_TRY(r.Str("interval"));
  if (const json* lib = r.Find("lower_is_better")) {
    if (!lib->is_boolean()) return r.Bad("lower_is_better", "expected true or false");
    m.lower_is_better = lib->get<bool>();
  }
  const json* s = CTV_TRY(r.Need("samples", json::value_t::array));
  for (size_t i = 0; i < s->size(); ++i) {
    if (!(*s)[i].is_number()) return r.Bad(fmt::format("samples[{}]", i), "expected a number");
    m.samples.push_back((*s)[i].get<double>());
  }
  if (r.Find("warnings")) m.warnings = CTV_TRY(r.Strings("warnings"));
  m.stats = Summarize(m.samples);  // recomputed: the samples are the truth
  (void)j;
  return m;
}

// Files written before `kind` existed held only these drivers: the host floor, ctvrt (and the
// network suite's netns rows) as containers, and the two VM drivers, which always named a real
// accelerator. The one place that knows driver names, and only for such old files.
std::string LegacyKind(const std::string& driver, const std::string& accelerator) {
  if (driver == "host") return "host";
  if (accelerator == "kvm" || accelerator == "tcg") return "vm";
  return "container";
}

Result<DriverResult> ParseDriverResult(const Reader& r, const json& j) {
  DriverResult d;
  d.driver = CTV_TRY(r.Str("driver"));
  d.accelerator = CTV_TRY(r.Str("accelerator"));
  if (r.Find("kind")) {
    d.kind = CTV_TRY(r.Str("kind"));
    if (d.kind != "host" && d.kind != "container" && d.kind != "sandbox" && d.kind != "vm")
      return r.Bad("kind", "expected host, container, sandbox or vm, got \"" + d.kind + "\"");
  } else {
    d.kind = LegacyKind(d.driver, d.accelerator);
  }
  if (const json* p = r.Find("parameters")) {
    if (!p->is_object()) return r.Bad("parameters", "expected an object");
    for (auto it = p->begin(); it != p->end(); ++it) {
      if (!it->is_string()) return r.Bad("parameters." + it.key(), "expected a string");
      d.parameters[it.key()] = it->get<std::string>();
    }
  }
  if (const json* s = r.Find("skipped"); s && !s->is_null()) {
    if (!s->is_string()) return r.Bad("skipped", "expected a string or null");
    d.skipped = s->get<std::string>();
  }
  const json* ms = CTV_TRY(r.Need("metrics", json::value_t::array));
  for (size_t i = 0; i < ms->size(); ++i) {
    std::string key = fmt::format("metrics[{}]", i);
    if (!(*ms)[i].is_object()) return r.Bad(key, "expected an object");
    d.metrics.push_back(CTV_TRY(ParseMetric(r.Child((*ms)[i], key), (*ms)[i])));
  }
  if (const json* det = r.Find("details")) d.details = *det;
  (void)j;
  return d;
}

Result<Environment> ParseEnv(const Reader& r) {
  Environment e;
  e.hostname = r.StrOr("hostname", "");
  e.kernel_release = CTV_TRY(r.Str("kernel_release"));
  e.kernel_version = r.StrOr("kernel_version", "");
  e.arch = r.StrOr("arch", "");
  e.cpu_model = CTV_TRY(r.Str("cpu_model"));
  e.cpu_count = static_cast<int>(CTV_TRY(r.Int("cpu_count")));
  e.memory_bytes = static_cast<uint64_t>(CTV_TRY(r.Int("memory_bytes")));
  e.cgroup_mode = CTV_TRY(r.Str("cgroup_mode"));
  if (r.Find("cgroup_controllers")) e.cgroup_controllers = CTV_TRY(r.Strings("cgroup_controllers"));
  if (const json* k = r.Find("kvm"); k && k->is_object()) {
    Reader kr = r.Child(*k, "kvm");
    // Not k->value(): it throws when the field exists with another type.
    if (const json* dp = kr.Find("device_present")) {
      if (!dp->is_boolean()) return kr.Bad("device_present", "expected true or false");
      e.kvm.device_present = dp->get<bool>();
    }
    e.kvm.module = kr.StrOr("module", "");
    e.kvm.usable = kr.StrOr("usable", "unknown");
    e.kvm.why = kr.StrOr("why", "");
  }
  if (const json* k = r.Find("ksm_enabled"); k && k->is_boolean()) e.ksm_enabled = k->get<bool>();
  if (const json* t = r.Find("tools"); t && t->is_object())
    for (auto it = t->begin(); it != t->end(); ++it)
      if (it->is_string()) e.tools[it.key()] = it->get<std::string>();
  e.ctvbench_revision = r.StrOr("ctvbench_revision", "unknown");
  return e;
}

}  // namespace

json ToJson(const RunResults& r) {
  json suites = json::array();
  for (const auto& s : r.suites) {
    json results = json::array();
    for (const auto& d : s.results) {
      json metrics = json::array();
      for (const auto& m : d.metrics) metrics.push_back(MetricJson(m));
      results.push_back({{"driver", d.driver},
                         {"kind", d.kind.empty() ? LegacyKind(d.driver, d.accelerator) : d.kind},
                         {"accelerator", d.accelerator},
                         {"parameters", d.parameters},
                         {"skipped", d.skipped ? json(*d.skipped) : json(nullptr)},
                         {"metrics", metrics},
                         {"details", d.details}});
    }
    json suite = {{"name", s.name},
                  {"repetitions", s.repetitions},
                  {"warmup", s.warmup},
                  {"results", results}};
    if (s.interrupted) suite["interrupted"] = true;
    suites.push_back(std::move(suite));
  }
  return {{"schema", kSchemaName},
          {"schema_version", r.schema_version},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at},
          {"command", r.command},
          {"environment", EnvJson(r.environment)},
          {"suites", suites}};
}

Result<RunResults> FromJson(const json& j, const std::string& source) {
  if (!j.is_object())
    return MakeError("read results", source, "not a ctvbench results file (top level is not an object)");
  Reader r(j, "", source);
  std::string schema = r.StrOr("schema", "");
  if (schema != kSchemaName)
    return MakeError("read results", source,
                     fmt::format("not a ctvbench results file (field `schema` is \"{}\", expected \"{}\")",
                                 schema, kSchemaName));
  RunResults out;
  out.schema_version = static_cast<int>(CTV_TRY(r.Int("schema_version")));
  if (out.schema_version != kSchemaVersion)
    return MakeError("read results", source,
                     fmt::format("schema_version {} is not supported (this ctvbench reads version {})",
                                 out.schema_version, kSchemaVersion));
  out.started_at = CTV_TRY(r.Str("started_at"));
  out.finished_at = r.StrOr("finished_at", "");
  if (r.Find("command")) out.command = CTV_TRY(r.Strings("command"));
  const json* env = CTV_TRY(r.Need("environment", json::value_t::object));
  out.environment = CTV_TRY(ParseEnv(r.Child(*env, "environment")));
  const json* suites = CTV_TRY(r.Need("suites", json::value_t::array));
  for (size_t i = 0; i < suites->size(); ++i) {
    std::string key = fmt::format("suites[{}]", i);
    const json& sj = (*suites)[i];
    if (!sj.is_object()) return r.Bad(key, "expected an object");
    Reader sr = r.Child(sj, key);
    SuiteResult s;
    s.name = CTV_TRY(sr.Str("name"));
    s.repetitions = static_cast<int>(CTV_TRY(sr.Int("repetitions")));
    s.warmup = static_cast<int>(CTV_TRY(sr.Int("warmup")));
    if (const json* in = sr.Find("interrupted")) {
      if (!in->is_boolean()) return sr.Bad("interrupted", "expected true or false");
      s.interrupted = in->get<bool>();
    }
    const json* rs = CTV_TRY(sr.Need("results", json::value_t::array));
    for (size_t k = 0; k < rs->size(); ++k) {
      std::string rkey = fmt::format("results[{}]", k);
      if (!(*rs)[k].is_object()) return sr.Bad(rkey, "expected an object");
      s.results.push_back(CTV_TRY(ParseDriverResult(sr.Child((*rs)[k], rkey), (*rs)[k])));
    }
    out.suites.push_back(std::move(s));
  }
  return out;
}

Status SaveResults(const std::string& path, const RunResults& r) {
  return WriteFileAtomic(path, ToJson(r).dump(2) + "\n");
}

Result<RunResults> LoadResults(const std::string& path) {
  std::string text = CTV_TRY(ReadFile(path));
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // Where it broke, as a person finds it in an editor: line and column of the byte.
    size_t at = std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    size_t line = 1 + std::count(text.begin(), text.begin() + at, '\n');
    size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    size_t column = line_start == std::string::npos || at == 0 ? at + 1 : at - line_start;
    return MakeError("read results", path,
                     fmt::format("not valid JSON at line {}, column {}", line, column));
  }
  return FromJson(j, path);
}

}  // namespace ctv::results

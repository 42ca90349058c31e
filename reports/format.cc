#include "reports/format.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace ctv::reports {

std::string Num(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 1e7 || a < 1e-4) return fmt::format("{:.3g}", v);
  if (a >= 1000) return fmt::format("{:.0f}", v);
  if (a >= 100) return fmt::format("{:.1f}", v);
  if (a >= 10) return fmt::format("{:.2f}", v);
  if (a >= 1) return fmt::format("{:.3f}", v);
  return fmt::format("{:.3g}", v);
}

std::string Percent(double fraction) {
  if (std::isinf(fraction)) return fraction > 0 ? "+inf%" : "-inf%";
  return fmt::format("{:+.1f}%", fraction * 100);
}

bool ParseThreshold(const std::string& s, double* out) {
  if (s.empty()) return false;
  bool pct = s.back() == '%';
  std::string num = pct ? s.substr(0, s.size() - 1) : s;
  char* end = nullptr;
  double v = std::strtod(num.c_str(), &end);
  if (num.empty() || *end != '\0' || !(v >= 0) || !std::isfinite(v)) return false;
  if (pct) {
    v /= 100;
  } else if (v >= 1) {
    return false;
  }
  *out = v;
  return true;
}

std::string ParamsString(const std::map<std::string, std::string>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += ' ';
    out += k + "=" + v;
  }
  return out;
}

std::vector<std::string> ShortLabels(const std::vector<const results::DriverResult*>& series,
                                     const std::string& params_separator) {
  std::vector<std::string> out;
  for (const results::DriverResult* d : series) {
    std::string label = d->driver;
    if (d->accelerator != "none" && !d->accelerator.empty()) label += " (" + d->accelerator + ")";
    // Keys whose value differs between this driver's series.
    std::map<std::string, std::string> differing;
    for (const auto& [key, value] : d->parameters) {
      for (const results::DriverResult* other : series) {
        if (other == d || other->driver != d->driver) continue;
        auto it = other->parameters.find(key);
        if (it == other->parameters.end() || it->second != value) {
          differing[key] = value;
          break;
        }
      }
      if (differing.size() == 2) break;
    }
    // On a chart tick ("\n" separator) each parameter has a line of its own: side by side, two
    // of them were as wide as the column.
    for (const auto& [key, value] : differing)
      label += (params_separator == "\n" || key == differing.begin()->first ? params_separator
                                                                            : " ") +
               key + "=" + value;
    out.push_back(label);
  }
  return out;
}

std::string SeriesLabel(const results::DriverResult& d, const std::string& params_separator) {
  std::string label = d.driver;
  if (d.accelerator != "none" && !d.accelerator.empty()) label += " (" + d.accelerator + ")";
  std::string p = ParamsString(d.parameters);
  if (!p.empty()) label += params_separator + p;
  return label;
}

}  // namespace ctv::reports

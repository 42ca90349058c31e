// Small text helpers shared by compare, report and history: how numbers and labels print.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "results/results.h"

namespace ctv::reports {

// 3-4 significant digits without exponent in the usual range: 0.0123, 1.23, 123, 12345.
std::string Num(double v);
// Signed percentage: "+12.3%", "-4.0%".
std::string Percent(double fraction);
// A relative threshold: "10%" -> 0.10, "0.1" -> 0.1. A bare number >= 1 is refused ("10" is
// ambiguous). False on anything else.
bool ParseThreshold(const std::string& text, double* fraction);
// "k1=v1 k2=v2", "" when empty.
std::string ParamsString(const std::map<std::string, std::string>& params);
// How a result is named on charts and tables: "ctvrt", "vm (kvm) machine=microvm".
// `params_separator` goes between the driver and its parameters ("\n" on chart ticks).
std::string SeriesLabel(const results::DriverResult& d, const std::string& params_separator = " ");
// Labels for series shown side by side on one chart, short enough not to overrun each other:
// the driver, its accelerator when it has one, and only the parameters whose values differ
// between series of the same driver (at most two). The full parameters belong in a table. With
// the "\n" separator (chart ticks) each parameter gets a line of its own.
std::vector<std::string> ShortLabels(const std::vector<const results::DriverResult*>& series,
                                     const std::string& params_separator = " ");

}  // namespace ctv::reports

// Running gnuplot (Debian gnuplot-nox, pngcairo terminal) on a script file.
#pragma once

#include <string>

#include "core/error.h"

namespace ctv::reports {

// Runs `gnuplot SCRIPT`; fails with gnuplot's own stderr when it reports an error, and when
// `expected_output` was not written. Errors name the script.
Status RunGnuplot(const std::string& script_path, const std::string& expected_output);

// Quotes a string for a gnuplot double-quoted literal (backslash, quote; newlines become \n).
std::string GnuplotQuote(const std::string& s);
// The same for a tic label of `set xtics ("label" pos, ...)`, which gnuplot reads as a format
// string for the position: a literal '%' must be written "%%" ("65 %" failed with "Bad format
// character").
std::string GnuplotTicLabel(const std::string& s);

}  // namespace ctv::reports

#include "reports/gnuplot.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/process.h"

namespace ctv::reports {

Status RunGnuplot(const std::string& script_path, const std::string& expected_output) {
  std::string gnuplot = FindInPath("gnuplot");
  if (gnuplot.empty())
    return MakeError("render chart", script_path,
                     "gnuplot not found in PATH (install the Debian package gnuplot-nox)");
  ::unlink(expected_output.c_str());
  CommandOutput out = CTV_TRY(RunCommand({gnuplot, script_path}, std::chrono::seconds(60)));
  // gnuplot exits 0 on some errors and prints warnings on stderr: the PNG is the proof.
  struct stat st;
  bool written = ::stat(expected_output.c_str(), &st) == 0 && st.st_size > 0;
  if (!out.status.Success() || !written) {
    std::string err = out.err.size() > 600 ? out.err.substr(0, 600) + "..." : out.err;
    return MakeError("run gnuplot on", script_path,
                     out.status.ToString() + (written ? "" : ", no PNG written") + ": " + err);
  }
  return Ok();
}

std::string GnuplotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string GnuplotTicLabel(const std::string& s) {
  std::string escaped;
  for (char c : s) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  return GnuplotQuote(escaped);
}

}  // namespace ctv::reports

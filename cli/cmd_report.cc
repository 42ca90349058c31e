// ctvbench report RESULTS.json [MORE.json...] -o DIR
#include <cstdio>

#include "cli/command.h"
#include "reports/report.h"

namespace ctv::cli {

Command RegisterReport(CLI::App& root) {
  struct Opts {
    std::vector<std::string> files;
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "report",
      "Render results files as a self-contained HTML report (index.html, claims.html) with one "
      "gnuplot PNG per chart.");
  app->add_option("results", o->files, "results JSON files (from `ctvbench run`)")->required();
  app->add_option("-o,--output", o->out, "output directory (created if needed)")->required();
  return {app, [o]() {
            std::vector<reports::NamedRun> runs;
            for (const auto& f : o->files) {
              auto r = results::LoadResults(f);
              if (!r) {
                PrintError(r.error());
                return kExitUsage;  // unreadable input: documented as exit 2
              }
              runs.push_back({f, std::move(*r)});
            }
            auto out = reports::WriteReport(runs, o->out);
            if (!out) return PrintError(out.error());
            std::printf("report: %s (%zu charts), claims: %s\n", out->index_html.c_str(),
                        out->pngs.size(), out->claims_html.c_str());
            return 0;
          }};
}

}  // namespace ctv::cli

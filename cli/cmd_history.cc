// ctvbench history DIR -o OUT
#include <cstdio>

#include "cli/command.h"
#include "reports/format.h"
#include "reports/history.h"

namespace ctv::cli {

Command RegisterHistory(CLI::App& root) {
  struct Opts {
    std::string dir, out;
    std::string threshold = "10%";
    double alpha = 0.05;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "history",
      "Trend charts per metric across the results files in DIR (ordered by started_at, then "
      "revision); points that regressed against their predecessor are marked.");
  app->add_option("dir", o->dir, "directory of results JSON files")->required();
  app->add_option("-o,--output", o->out, "output directory (created if needed)")->required();
  app->add_option("--threshold", o->threshold,
                  "relative change of the median that matters: 10% or 0.10 (default 10%)");
  app->add_option("--alpha", o->alpha, "significance level (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  return {app, [o]() {
            reports::CompareOptions opt;
            if (!reports::ParseThreshold(o->threshold, &opt.threshold))
              return PrintUsageError("--threshold \"" + o->threshold +
                                     "\": expected a percentage like 10% or a fraction like 0.10");
            opt.alpha = o->alpha;
            auto runs = reports::LoadResultsDir(o->dir);
            if (!runs) {
              PrintError(runs.error());
              return kExitUsage;  // unreadable input: documented as exit 2
            }
            auto out = reports::WriteHistory(std::move(*runs), o->dir, o->out, opt);
            if (!out) return PrintError(out.error());
            std::printf("history: %s (%zu charts, %zu regression points)\n",
                        out->index_html.c_str(), out->pngs.size(), out->regressions);
            return 0;
          }};
}

}  // namespace ctv::cli

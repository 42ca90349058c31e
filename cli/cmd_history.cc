// ctvbench history DIR -o OUT
#include <cstdio>

#include "cli/command.h"
#include "reports/history.h"

namespace ctv::cli {

Command RegisterHistory(CLI::App& root) {
  struct Opts {
    std::string dir, out;
    double threshold = 0.10, alpha = 0.05;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "history",
      "Trend charts per metric across the results files in DIR (ordered by started_at, then "
      "revision); points that regressed against their predecessor are marked.");
  app->add_option("dir", o->dir, "directory of results JSON files")->required();
  app->add_option("-o,--output", o->out, "output directory (created if needed)")->required();
  app->add_option("--threshold", o->threshold, "regression threshold as a fraction (default 0.10)")
      ->check(CLI::Range(0.0, 10.0));
  app->add_option("--alpha", o->alpha, "significance level (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  return {app, [o]() {
            reports::CompareOptions opt;
            opt.threshold = o->threshold;
            opt.alpha = o->alpha;
            auto out = reports::WriteHistory(o->dir, o->out, opt);
            if (!out) return PrintError(out.error());
            std::printf("history: %s (%zu charts, %zu regression points)\n",
                        out->index_html.c_str(), out->pngs.size(), out->regressions);
            return 0;
          }};
}

}  // namespace ctv::cli

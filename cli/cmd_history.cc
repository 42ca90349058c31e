// ctvbench history DIR -o OUT
#include <cstdio>

#include "cli/command.h"
#include "cli/regression_rule.h"
#include "reports/format.h"
#include "reports/history.h"

namespace ctv::cli {

Command RegisterHistory(CLI::App& root) {
  struct Opts {
    std::string dir, out;
    reports::CompareOptions rule;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "history",
      "Trend charts per metric across the results files in DIR (ordered by started_at, then "
      "revision); points that regressed against their predecessor are marked.");
  app->add_option("dir", o->dir, "directory of results JSON files")->required();
  app->add_option("-o,--output", o->out, "output directory (created if needed)")->required();
  AddRegressionRuleOptions(*app, &o->rule);
  return {app, [o]() {
            const reports::CompareOptions& opt = o->rule;
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

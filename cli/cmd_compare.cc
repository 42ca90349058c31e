// ctvbench compare BASE.json NEW.json [--threshold 10%] [--alpha 0.05] [--format
// text|markdown|json]
//                  [--allow-env-mismatch]
// Exit: 0 no regression; 1 a regression beyond the threshold AND significant; 2 usage errors,
// unreadable/malformed/wrong-version files, or results from different environments.
#include <cstdio>

#include "cli/command.h"
#include "reports/compare.h"
#include "reports/format.h"

namespace ctv::cli {

Command RegisterCompare(CLI::App& root) {
  struct Opts {
    std::string base, now, threshold = "10%", format = "text";
    double alpha = 0.05;
    bool allow_env_mismatch = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "compare",
      "Compare two results files metric by metric (medians, Mann-Whitney U). Exit 1 only when "
      "a metric regressed beyond the threshold and significantly; 2 on bad input.");
  app->add_option("base", o->base, "baseline results JSON")->required();
  app->add_option("new", o->now, "new results JSON")->required();
  app->add_option("--threshold", o->threshold,
                  "relative change of the median that matters: 10% or 0.10 (default 10%)");
  app->add_option("--alpha", o->alpha, "significance level of the two-sided test (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--format", o->format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  app->add_flag("--allow-env-mismatch", o->allow_env_mismatch,
                "compare even when hosts or accelerators differ (reported as warnings)");
  return {app, [o]() {
            reports::CompareOptions opt;
            if (!reports::ParseThreshold(o->threshold, &opt.threshold))
              return PrintUsageError("--threshold \"" + o->threshold +
                                     "\": expected a percentage like 10% or a fraction like 0.10");
            opt.alpha = o->alpha;
            opt.allow_env_mismatch = o->allow_env_mismatch;
            auto base = results::LoadResults(o->base);
            if (!base) {
              PrintError(base.error());
              return kExitUsage;
            }
            auto now = results::LoadResults(o->now);
            if (!now) {
              PrintError(now.error());
              return kExitUsage;
            }
            auto c = reports::Compare(*base, o->base, *now, o->now, opt);
            if (!c) {
              PrintError(c.error());
              return kExitUsage;
            }
            std::string text = o->format == "json"       ? reports::FormatJson(*c).dump(2) + "\n"
                               : o->format == "markdown" ? reports::FormatMarkdown(*c)
                                                         : reports::FormatText(*c);
            std::fwrite(text.data(), 1, text.size(), stdout);
            return c->HasRegression() ? kExitFailure : 0;
          }};
}

}  // namespace ctv::cli

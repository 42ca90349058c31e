// ctvbench compare BASE.json NEW.json [--threshold 10%] [--alpha 0.05] [--format
// text|markdown|json]
//                  [--allow-env-mismatch]
// Exit: 0 no regression; 1 a regression beyond the threshold AND significant; 2 usage errors,
// unreadable/malformed/wrong-version files, or results from different environments; 3 nothing
// compared (no metric measured in both files).
#include <cstdio>

#include "cli/command.h"
#include "cli/regression_rule.h"
#include "reports/compare.h"
#include "reports/format.h"

namespace ctv::cli {

Command RegisterCompare(CLI::App& root) {
  struct Opts {
    std::string base, now, format = "text";
    reports::CompareOptions rule;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "compare",
      "Compare two results files metric by metric (medians, Mann-Whitney U). Exit 1 only when "
      "a metric regressed beyond the threshold and significantly; 2 on bad input; 3 when the "
      "files have no metric measured in both (a gate must not pass on nothing).");
  app->add_option("base", o->base, "baseline results JSON")->required();
  app->add_option("new", o->now, "new results JSON")->required();
  AddRegressionRuleOptions(*app, &o->rule);
  app->add_option("--format", o->format, "text, markdown or json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  app->add_flag("--allow-env-mismatch", o->rule.allow_env_mismatch,
                "compare even when hosts or accelerators differ (reported as warnings)");
  return {app, [o]() {
            const reports::CompareOptions& opt = o->rule;
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
            if (c->HasRegression()) return kExitFailure;
            if (c->Compared() == 0) {
              std::fprintf(stderr,
                           "ctvbench: nothing compared: `%s` and `%s` have no metric measured in "
                           "both (same suite, driver, parameters and metric name)\n",
                           o->base.c_str(), o->now.c_str());
              return kExitNothing;
            }
            return 0;
          }};
}

}  // namespace ctv::cli

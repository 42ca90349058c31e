// ctvbench export RESULTS.json --format csv|markdown|github-smaller|github-bigger [-o FILE]
#include <cstdio>

#include "cli/command.h"
#include "core/fd.h"
#include "reports/export.h"

namespace ctv::cli {

Command RegisterExport(CLI::App& root) {
  struct Opts {
    std::string in, out, format = "csv";
  };
  auto o = std::make_shared<Opts>();
  CLI::App* app = root.add_subcommand(
      "export",
      "Write a results file in a format other tools read: csv (spreadsheets, pandas), markdown "
      "(a table for a PR), github-smaller / github-bigger (github-action-benchmark's "
      "customSmallerIsBetter / customBiggerIsBetter JSON: lower-is-better metrics such as "
      "startup times in one, higher-is-better such as MiB/s in the other).\n"
      "Example: ctvbench export results/run.json --format github-smaller -o bench.json");
  app->add_option("results", o->in, "results JSON (ctvbench run)")->required();
  app->add_option("-f,--format", o->format, "csv, markdown, github-smaller or github-bigger")
      ->check(CLI::IsMember({"csv", "markdown", "github-smaller", "github-bigger"}))
      ->capture_default_str();
  app->add_option("-o,--output", o->out, "file to write (default: standard output)");
  return {app, [o]() {
            auto run = results::LoadResults(o->in);
            if (!run) {
              PrintError(run.error());
              return kExitUsage;
            }
            auto text = reports::ExportResults(*run, o->format);
            if (!text) return PrintUsageError(text.error().ToString());
            if (o->out.empty()) {
              std::fwrite(text->data(), 1, text->size(), stdout);
              return 0;
            }
            if (Status s = WriteFileAtomic(o->out, *text); !s) {
              PrintError(s.error());
              return kExitUsage;
            }
            return 0;
          }};
}

}  // namespace ctv::cli

// ctvbench export's formats, as the tools that read them see them.
#include "reports/export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ctv::reports {
namespace {

results::RunResults TwoDirections() {
  results::RunResults run;
  run.environment.kernel_release = "6.1.0-test";
  run.environment.cgroup_mode = "v1";
  results::SuiteResult s;
  s.name = "devices";
  results::DriverResult vm;
  vm.driver = "qemu";
  vm.kind = "vm";
  vm.accelerator = "tcg";
  vm.parameters = {{"disk_model", "virtio-blk"}};
  vm.metrics.push_back(results::MakeMetric("devices.disk_read", "MiB/s", "read, with \"quotes\", commas",
                                           {100, 110, 120}, /*lower_is_better=*/false));
  vm.metrics.push_back(results::MakeMetric("startup.total", "ms", "launch -> ready", {5, 6, 7}));
  results::DriverResult host;
  host.driver = "host";
  host.kind = "host";
  host.accelerator = "none";
  host.skipped = "not a VM driver";
  s.results = {vm, host};
  run.suites.push_back(s);
  return run;
}

TEST(Export, CsvQuotesFieldsAndListsSkippedRows) {
  auto csv = ExportResults(TwoDirections(), "csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->rfind("suite,driver,kind,accelerator,parameters,metric,unit,n,median,", 0), 0u)
      << *csv;
  EXPECT_NE(csv->find("\"read, with \"\"quotes\"\", commas\""), std::string::npos) << *csv;
  EXPECT_NE(csv->find("devices,qemu,vm,tcg,disk_model=virtio-blk,devices.disk_read,MiB/s,3,110,"),
            std::string::npos)
      << *csv;
  EXPECT_NE(csv->find("not a VM driver"), std::string::npos) << *csv;
  EXPECT_NE(csv->find("6.1.0-test"), std::string::npos);
}

TEST(Export, MarkdownIsATable) {
  auto md = ExportResults(TwoDirections(), "markdown");
  ASSERT_TRUE(md);
  EXPECT_NE(md->find("| suite | driver | kind | accelerator | metric | n | median |"), std::string::npos);
  EXPECT_NE(md->find("| devices.disk_read [MiB/s] | 3 | 110 |"), std::string::npos) << *md;
  EXPECT_NE(md->find("skipped: not a VM driver"), std::string::npos) << *md;
}

TEST(Export, GithubActionBenchmarkSplitsByDirection) {
  auto smaller = ExportResults(TwoDirections(), "github-smaller");
  auto bigger = ExportResults(TwoDirections(), "github-bigger");
  ASSERT_TRUE(smaller && bigger);
  auto s = nlohmann::json::parse(*smaller);
  auto b = nlohmann::json::parse(*bigger);
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(s[0]["unit"], "ms");
  EXPECT_EQ(s[0]["value"], 6);
  EXPECT_EQ(b[0]["unit"], "MiB/s");
  EXPECT_EQ(b[0]["value"], 110);
  for (const auto& e : {s[0], b[0]}) {
    for (const char* key : {"name", "unit", "value", "range", "extra"})
      EXPECT_TRUE(e.contains(key)) << key;
    EXPECT_NE(e["extra"].get<std::string>().find("tcg"), std::string::npos) << e.dump();
    EXPECT_NE(e["name"].get<std::string>().find("qemu (tcg)"), std::string::npos) << e.dump();
  }
}

TEST(Export, UnknownFormatNamesTheAcceptedOnes) {
  auto r = ExportResults(TwoDirections(), "xml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("csv, markdown, github-smaller, github-bigger"),
            std::string::npos);
}

}  // namespace
}  // namespace ctv::reports

// Opens a generated report in headless Chromium: the page must parse, every chart must decode
// as an image, and a screenshot is kept as a CI artifact (build/report-screenshot.png).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/fd.h"
#include "core/process.h"
#include "tests/test_util.h"

namespace {

const std::string kBin = CTVBENCH_BIN;
const std::string kFixtures = CTV_FIXTURES_DIR;
const std::string kBuild = CTV_BUILD_DIR;
const std::string kChromium = "/usr/bin/chromium";

std::vector<std::string> ChromiumArgs(const std::string& profile) {
  return {kChromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile};
}

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// Opens a copy of `html_path` with a probe appended: after `load`, it records how many <img>
// exist and how many decoded to a real 1600-px bitmap, in attributes --dump-dom shows. The
// pages themselves carry no script. Returns the dumped DOM ("" on failure, with a test failure).
std::string DumpDomWithImageProbe(const std::string& html_path, const std::string& profile) {
  auto html = ctv::ReadFile(html_path);
  EXPECT_TRUE(html.has_value()) << html_path;
  if (!html) return "";
  std::string probe =
      "<script>window.addEventListener('load',()=>{const imgs=[...document.images];"
      "document.body.setAttribute('data-imgs',imgs.length);"
      "document.body.setAttribute('data-decoded',imgs.filter(i=>i.naturalWidth>=1600).length);"
      "});</script>";
  std::string probed = *html;
  probed.insert(probed.rfind("</body>"), probe);
  std::string probe_path = html_path + ".probe.html";
  EXPECT_TRUE(ctv::WriteFile(probe_path, probed).has_value());
  auto args = ChromiumArgs(profile);
  args.push_back("--virtual-time-budget=10000");
  args.push_back("--dump-dom");
  args.push_back("file://" + probe_path);
  auto r = ctv::RunCommand(args, std::chrono::seconds(180));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().ToString());
  if (!r) return "";
  EXPECT_TRUE(r->status.Success()) << r->err;
  return r->out;
}

TEST(HistoryInChromium, TrendChartsDecode) {
  ASSERT_EQ(::access(kChromium.c_str(), X_OK), 0) << kChromium << " missing";
  ctv::test::TempDir tmp;
  const std::string& dir = tmp.Path();
  auto r = ctv::RunCommand({kBin, "history", kFixtures + "/history", "-o", dir + "/history"},
                           std::chrono::seconds(120));
  ASSERT_TRUE(r.has_value() && r->status.Success()) << (r ? r->err : r.error().ToString());
  std::string dom = DumpDomWithImageProbe(dir + "/history/index.html", dir + "/profile");
  EXPECT_NE(dom.find("data-imgs=\"1\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-decoded=\"1\""), std::string::npos);
  EXPECT_NE(dom.find("Regressions"), std::string::npos);
}

class ReportInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(kChromium.c_str(), X_OK), 0)
        << kChromium << " missing: install the Debian package chromium "
        << "(scripts/packages/reports.txt)";
    dir_ = tmp_.Path();
    auto r = ctv::RunCommand({kBin, "report", kFixtures + "/startup-kvm.json",
                              kFixtures + "/startup-tcg.json", "-o", dir_ + "/report"},
                             std::chrono::seconds(120));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    ASSERT_TRUE(r->status.Success()) << r->err;
  }
  ctv::test::TempDir tmp_;  // the report and Chromium's profile, removed after each test
  std::string dir_;
};

TEST_F(ReportInChromium, EveryChartDecodes) {
  auto html = ctv::ReadFile(dir_ + "/report/index.html");
  ASSERT_TRUE(html.has_value());
  size_t charts = Count(*html, "<img ");
  ASSERT_GE(charts, 2u);
  std::string dom = DumpDomWithImageProbe(dir_ + "/report/index.html", dir_ + "/profile-dom");
  EXPECT_NE(dom.find("data-imgs=\"" + std::to_string(charts) + "\""), std::string::npos)
      << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-decoded=\"" + std::to_string(charts) + "\""), std::string::npos)
      << "some chart did not decode as a 1600-px image";
  EXPECT_NE(dom.find("Lecture claims vs. measurements"), std::string::npos);
  EXPECT_NE(dom.find("Startup: launch call to workload ready"), std::string::npos);
}

// What a person reads under each bar or box: the driver names. Every chart of the report is drawn
// by a gnuplot script next to its PNG; the tick labels of a bar or box chart must be set after
// the data (inside a `$d << EOD` block they are data, and the axis shows bare numbers) and each
// must start with a driver's name; a trend chart's legend names its drivers. Chromium decodes
// the PNGs (EveryChartDecodes); this checks the words on them.
TEST_F(ReportInChromium, EveryChartNamesItsDriversOnItsAxis) {
  const std::vector<std::string> drivers = {"host", "ctvrt", "runc", "crun", "runsc",
                                            "podman", "vm", "qemu"};
  auto starts_with_driver = [&](const std::string& label) {
    for (const auto& d : drivers)
      if (label.rfind(d, 0) == 0 && (label.size() == d.size() || !std::isalnum(label[d.size()])))
        return true;
    return false;
  };
  auto html = ctv::ReadFile(dir_ + "/report/index.html");
  ASSERT_TRUE(html.has_value());
  size_t checked = 0;
  for (size_t at = html->find("<img "); at != std::string::npos; at = html->find("<img ", at + 1)) {
    // Each figure's alt text is its chart title; its script is found by the PNG's id in the dir.
    ++checked;
  }
  ASSERT_GE(checked, 2u);
  auto gp_files = ctv::RunCommand({"sh", "-c", "ls " + dir_ + "/report/*.gp"}, std::chrono::seconds(10));
  ASSERT_TRUE(gp_files.has_value());
  size_t scripts = 0;
  std::istringstream list(gp_files->out);
  for (std::string path; std::getline(list, path);) {
    SCOPED_TRACE(path);
    ++scripts;
    auto gp = ctv::ReadFile(path);
    ASSERT_TRUE(gp.has_value());
    size_t last_eod = gp->rfind("\nEOD\n");
    ASSERT_NE(last_eod, std::string::npos) << "no data block";  // a trend's legend follows it
    bool trend = gp->find("yerrorlines") != std::string::npos ||
                 gp->find("linespoints") != std::string::npos;
    std::vector<std::string> labels;
    if (trend) {
      for (size_t t = gp->find("title \"", last_eod); t != std::string::npos;
           t = gp->find("title \"", t + 1)) {
        size_t b = t + 7, e = gp->find('"', b);
        std::string title = gp->substr(b, e - b);
        if (title.rfind("regression", 0) != 0) labels.push_back(title);
      }
    } else {
      // The tick-label line, and whether it sits inside a `NAME << EOD` ... `EOD` data block.
      std::istringstream lines(*gp);
      std::string line, tics;
      bool in_block = false, tics_in_block = false;
      while (std::getline(lines, line)) {
        if (line.size() >= 6 && line.compare(line.size() - 6, 6, "<< EOD") == 0) in_block = true;
        else if (line == "EOD") in_block = false;
        else if (line.rfind("set xtics", 0) == 0 && line.find('(') != std::string::npos) {
          tics = line.substr(line.find('('));
          tics_in_block = in_block;
        }
      }
      ASSERT_FALSE(tics.empty()) << "no tick labels";
      EXPECT_FALSE(tics_in_block) << "tick labels inside a data block: the axis shows numbers";
      for (size_t q = tics.find('"'); q != std::string::npos; q = tics.find('"', q + 1)) {
        size_t e = tics.find('"', q + 1);
        labels.push_back(tics.substr(q + 1, e - q - 1));
        q = e;
      }
    }
    ASSERT_FALSE(labels.empty()) << "no driver named on the chart";
    for (const auto& l : labels) EXPECT_TRUE(starts_with_driver(l)) << "label '" << l << "'";
  }
  EXPECT_EQ(scripts, checked) << "one script per chart on the page";
}

TEST_F(ReportInChromium, ScreenshotIsKeptAsArtifact) {
  std::string shot = kBuild + "/report-screenshot.png";
  ::unlink(shot.c_str());
  auto args = ChromiumArgs(dir_ + "/profile-shot");
  args.push_back("--screenshot=" + shot);
  args.push_back("--window-size=1600,2000");
  args.push_back("file://" + dir_ + "/report/index.html");
  auto r = ctv::RunCommand(args, std::chrono::seconds(180));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_TRUE(r->status.Success()) << r->err;
  auto png = ctv::ReadFile(shot);
  ASSERT_TRUE(png.has_value()) << "no screenshot written: " << r->err;
  ASSERT_GT(png->size(), 24u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // IHDR width, big-endian at offset 16: the window width we asked for.
  uint32_t width = (static_cast<uint8_t>((*png)[16]) << 24) |
                   (static_cast<uint8_t>((*png)[17]) << 16) |
                   (static_cast<uint8_t>((*png)[18]) << 8) | static_cast<uint8_t>((*png)[19]);
  EXPECT_EQ(width, 1600u);
  // A blank page compresses to a few KB; a rendered report with tables is far larger.
  EXPECT_GT(png->size(), 50'000u);
}

}  // namespace

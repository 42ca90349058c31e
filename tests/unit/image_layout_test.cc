// The project's image is a valid OCI layout whose digests are right. Digests are recomputed with
// coreutils' sha256sum and gzip, independently of ctvbench's own hashing code.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bench/image/probe_image.h"
#include "core/fd.h"
#include "runtime/image/layout.h"
#include "tests/test_util.h"

namespace ctv {
namespace {

using nlohmann::json;

std::string Sha256Sum(const std::string& shell_stream) {
  CommandOutput o = test::RunOrDie({"sh", "-c", shell_stream + " | sha256sum"});
  EXPECT_TRUE(o.status.Success()) << o.err;
  return "sha256:" + o.out.substr(0, 64);
}

class ProbeImageTest : public testing::Test {
 protected:
  void SetUp() override {
    auto d = bench::BuildProbeImage({"/bin/busybox", test::Bin("ctv-probe")}, dir_.Path());
    ASSERT_TRUE(d) << d.error().ToString();
    manifest_ = *d;
  }
  test::TempDir dir_;
  image::Descriptor manifest_;
};

// What a person gets for a wrong IMAGE path: "no OCI image there", not ENOENT on a file they
// never named.
TEST(OpenImage, AMissingOrForeignDirectorySaysThereIsNoImage) {
  auto missing = image::OpenImage("/nonexistent/ctv-image", "");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().ToString().find("open image `/nonexistent/ctv-image`"),
            std::string::npos)
      << missing.error().ToString();
  EXPECT_NE(missing.error().ToString().find("no such directory"), std::string::npos);
  test::TempDir empty;
  auto foreign = image::OpenImage(empty.Path(), "");
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().ToString().find("not an OCI image layout"), std::string::npos)
      << foreign.error().ToString();
}

TEST_F(ProbeImageTest, EveryDigestMatchesItsBlob) {
  json index = json::parse(ReadFile(dir_ / "index.json").value());
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  std::string mdigest = index["manifests"][0]["digest"];
  EXPECT_EQ(mdigest, manifest_.digest);
  std::string mpath = image::BlobPath(dir_.Path(), mdigest);
  EXPECT_EQ(Sha256Sum("cat " + mpath), mdigest);

  json manifest = json::parse(ReadFile(mpath).value());
  EXPECT_EQ(manifest["schemaVersion"], 2);
  std::string cdigest = manifest["config"]["digest"];
  std::string cpath = image::BlobPath(dir_.Path(), cdigest);
  EXPECT_EQ(Sha256Sum("cat " + cpath), cdigest);
  json config = json::parse(ReadFile(cpath).value());

  ASSERT_EQ(manifest["layers"].size(), 2u);  // busybox base + probe
  ASSERT_EQ(config["rootfs"]["diff_ids"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    std::string ldigest = manifest["layers"][i]["digest"];
    std::string lpath = image::BlobPath(dir_.Path(), ldigest);
    EXPECT_EQ(Sha256Sum("cat " + lpath), ldigest) << "layer " << i;
    // diff_id = sha256 of the uncompressed tar.
    EXPECT_EQ(Sha256Sum("gzip -dc " + lpath), config["rootfs"]["diff_ids"][i]) << "layer " << i;
    EXPECT_EQ(manifest["layers"][i]["mediaType"], image::kMediaTypeLayerGzip);
  }
  EXPECT_EQ(config["config"]["Entrypoint"][0], bench::kProbeInImage);
}

TEST_F(ProbeImageTest, LayersHoldBusyboxAndTheProbe) {
  auto img = image::OpenImage(dir_.Path(), "latest");
  ASSERT_TRUE(img) << img.error().ToString();
  auto list = [&](int i) {
    return test::RunOrDie({"sh", "-c", "tar -tzvf " + image::BlobPath(dir_.Path(),
                                                                      img->manifest.layers[i].digest)})
        .out;
  };
  std::string base = list(0), probe = list(1);
  EXPECT_NE(base.find("bin/busybox"), std::string::npos);
  EXPECT_NE(base.find("bin/sh -> busybox"), std::string::npos);
  EXPECT_NE(base.find("etc/passwd"), std::string::npos);
  EXPECT_NE(probe.find("usr/local/bin/ctv-probe"), std::string::npos);
  EXPECT_EQ(probe.find("busybox"), std::string::npos);
}

TEST_F(ProbeImageTest, RebuildingGivesTheSameDigests) {
  test::TempDir other;
  auto again = bench::BuildProbeImage({"/bin/busybox", test::Bin("ctv-probe")}, other.Path());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->digest, manifest_.digest);
}

TEST_F(ProbeImageTest, TamperedBlobIsRefusedNamingIt) {
  auto img = image::OpenImage(dir_.Path());
  ASSERT_TRUE(img);
  std::string cpath = image::BlobPath(dir_.Path(), img->manifest.config.digest);
  std::string text = ReadFile(cpath).value();
  text[text.size() / 2] ^= 1;
  ASSERT_TRUE(WriteFile(cpath, text));
  auto reopened = image::OpenImage(dir_.Path());
  ASSERT_FALSE(reopened);
  EXPECT_NE(reopened.error().ToString().find("digest mismatch"), std::string::npos);
  EXPECT_NE(reopened.error().ToString().find(cpath), std::string::npos);
}

TEST_F(ProbeImageTest, UnknownRefListsTheKnownOnes) {
  auto img = image::OpenImage(dir_.Path(), "v2");
  ASSERT_FALSE(img);
  EXPECT_NE(img.error().ToString().find("no manifest named \"v2\" (index.json has: latest)"),
            std::string::npos);
}

TEST(ProbeImage, DynamicBusyboxIsRefused) {
  test::TempDir dir;
  auto d = bench::BuildProbeImage({"/bin/ls", test::Bin("ctv-probe")}, dir.Path());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().ToString().find("busybox-static"), std::string::npos);
}

}  // namespace
}  // namespace ctv

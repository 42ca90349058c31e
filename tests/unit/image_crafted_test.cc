// Crafted images (issue 15): a table of hostile OCI layouts and layers, each generated here (no
// binary blobs in the repo), each of which PrepareImage (the path `ctvrt run` and every driver
// take) must refuse with an error naming what is wrong, leaving nothing behind: no file outside
// the store, no layer directory, no image record, no unpack temp dir. The count of refused
// inputs is the table's size (docs/hostile-input.md).
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>

#include "core/digest.h"
#include "core/fd.h"
#include "core/fs_tree.h"
#include "runtime/image/images.h"
#include "runtime/image/layout.h"
#include "runtime/image/store.h"
#include "tests/support/crafted_tar.h"
#include "tests/support/runtime_image.h"

namespace ctv::image {
namespace {

using testing::Gzip;
using testing::RawEntry;
using testing::RawTar;
using testing::TempDir;
using testing::UstarFile;

// What a crafted layout is made of. The builder writes honest digests and sizes; a case breaks
// them afterwards through `tamper`.
struct Parts {
  std::vector<std::pair<std::string, std::string>> layers;  // blob, media type
  std::string config_media = kMediaTypeConfig;
  std::string index_manifest_media = kMediaTypeManifest;
};

struct Written {
  Descriptor manifest, config;
  std::vector<Descriptor> layers;
};

Written WriteParts(const std::string& dir, const Parts& p) {
  Written w;
  auto lw = LayoutWriter::Create(dir);
  EXPECT_TRUE(lw.has_value());
  ImageConfig cfg;
  cfg.cmd = {"/bin/sh"};
  for (const auto& [blob, media] : p.layers) {
    w.layers.push_back(lw->AddBlob(blob, media).value());
    cfg.diff_ids.push_back(Sha256Oci(blob));  // only counted by the reader
  }
  Manifest m;
  m.config = lw->AddBlob(EncodeConfig(cfg), p.config_media).value();
  m.layers = w.layers;
  w.config = m.config;
  w.manifest = lw->AddBlob(EncodeManifest(m), p.index_manifest_media).value();
  std::string index = R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                      p.index_manifest_media + R"(","digest":")" + w.manifest.digest +
                      R"(","size":)" + std::to_string(w.manifest.size) +
                      R"(,"annotations":{"org.opencontainers.image.ref.name":"test"}}]})";
  EXPECT_TRUE(WriteFileAtomic(dir + "/index.json", index).has_value());
  return w;
}

// A layout whose one layer is `tar` (gzip-compressed here unless `gzip` is false).
Written OneLayer(const std::string& dir, const std::string& tar, bool gzip = true) {
  Parts p;
  p.layers = {{gzip ? Gzip(tar) : tar, gzip ? kMediaTypeLayerGzip : kMediaTypeLayerTar}};
  return WriteParts(dir, p);
}

void FlipByte(const std::string& path) {
  std::string b = ReadFile(path).value();
  b[b.size() / 2] ^= 0x55;
  ASSERT_TRUE(WriteFile(path, b).has_value());
}

std::string GoodLayer() { return Gzip(RawTar({{"x", AE_IFREG, "data"}})); }

struct Crafted {
  const char* name;
  // Writes the layout into `dir`; `outside` is a directory the image must never reach (it holds
  // one file, `secret`).
  std::function<void(const std::string& dir, const std::string& outside)> build;
  const char* expect;  // part of the error message
};

std::vector<Crafted> Table() {
  auto layer = [](std::vector<RawEntry> e) {
    return [e](const std::string& dir, const std::string&) { OneLayer(dir, RawTar(e)); };
  };
  // Entries may name the outside directory: the builder gets it at run time.
  using Entries = std::function<std::vector<RawEntry>(const std::string& outside)>;
  auto layer_to = [](Entries f) {
    return [f](const std::string& dir, const std::string& outside) {
      OneLayer(dir, RawTar(f(outside)));
    };
  };
  return {
      {"dotdot", layer({{"a", AE_IFDIR}, {"a/../../evil", AE_IFREG, "x"}}), "path traversal"},
      {"absolute_path",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{out + "/evil", AE_IFREG, "x"}};
       }),
       "absolute path"},
      {"relative_symlink_escapes",
       layer({{"a", AE_IFDIR}, {"a/link", AE_IFLNK, "", "../../../etc"}}), "escapes the layer"},
      {"symlink_then_write_through",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"etc", AE_IFLNK, "", out}, {"etc/evil", AE_IFREG, "x"}};
       }),
       "through symlink `etc`"},
      {"hardlink_dotdot", layer({{"h", AE_IFREG, "", "", "../../etc/passwd"}}), "path traversal"},
      {"hardlink_through_symlink",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"s", AE_IFLNK, "", out},
                                      {"h", AE_IFREG, "", "", "s/secret"}};
       }),
       "reached through symlink `s`"},
      {"hardlink_to_absent_target", layer({{"h", AE_IFREG, "", "", "etc/shadow"}}),
       "no earlier file"},
      {"hardlinked_symlink_then_write",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"s", AE_IFLNK, "", out},
                                      {"h", AE_IFREG, "", "", "s"},
                                      {"h/evil", AE_IFREG, "x"}};
       }),
       "through symlink `h`"},
      {"hardlinked_symlink_then_whiteout",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"s", AE_IFLNK, "", out},
                                      {"h", AE_IFREG, "", "", "s"},
                                      {"h/.wh.evil", AE_IFREG}};
       }),
       "through symlink `h`"},
      {"whiteout_through_symlink",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"s", AE_IFLNK, "", out}, {"s/.wh.secret", AE_IFREG}};
       }),
       "through symlink `s`"},
      {"opaque_through_symlink",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{{"s", AE_IFLNK, "", out}, {"s/.wh..wh..opq", AE_IFREG}};
       }),
       "through symlink `s`"},
      {"whiteout_dotdot", layer({{"../.wh.evil", AE_IFREG}}), "path traversal"},
      {"whiteout_of_parent", layer({{"a", AE_IFDIR}, {"a/.wh...", AE_IFREG}}), "names no file"},
      {"char_device", layer({{"dev", AE_IFDIR}, {"dev/mem", AE_IFCHR}}), "device node"},
      {"block_device", layer({{"dev", AE_IFDIR}, {"dev/sda", AE_IFBLK}}), "device node"},
      {"huge_declared_size",
       [](const std::string& dir, const std::string&) {
         OneLayer(dir, UstarFile("huge", 1ull << 40, "tiny"));
       },
       "claims 1099511627776 bytes"},
      {"gzip_bomb",
       [](const std::string& dir, const std::string&) {
         // 68 MiB of zeros compress ~1000x: refused once 64 MiB are out.
         OneLayer(dir, RawTar({{"zeros", AE_IFREG, std::string(68u << 20, '\0')}}));
       },
       "decompression bomb"},
      {"duplicate_entry", layer({{"x", AE_IFREG, "one"}, {"x", AE_IFREG, "two"}}),
       "appears twice"},
      {"duplicate_dir_becomes_symlink",
       layer_to([](const std::string& out) {
         return std::vector<RawEntry>{
             {"d", AE_IFDIR}, {"d", AE_IFLNK, "", out}, {"d/evil", AE_IFREG, "x"}};
       }),
       "appears twice"},
      {"non_utf8_name",
       [](const std::string& dir, const std::string&) {
         OneLayer(dir, UstarFile("bad\xff\xfe-name", 1, "x"));
       },
       "not valid UTF-8"},
      {"non_utf8_symlink_target", layer({{"l", AE_IFLNK, "", "/bin/\xc0\xaf"}}),
       "not valid UTF-8"},
      {"deep_10000",
       [](const std::string& dir, const std::string&) {
         std::string p;
         for (int i = 0; i < 10000; ++i) p += "a/";
         OneLayer(dir, RawTar({{p + "f", AE_IFREG, "x"}}));
       },
       "10001 levels"},
      {"layer_media_type",
       [](const std::string& dir, const std::string&) {
         Parts p;
         p.layers = {{GoodLayer(), "application/x-evil"}};
         WriteParts(dir, p);
       },
       "unsupported media type `application/x-evil`"},
      {"manifest_media_type",
       [](const std::string& dir, const std::string&) {
         Parts p;
         p.layers = {{GoodLayer(), kMediaTypeLayerGzip}};
         p.index_manifest_media = "application/vnd.docker.distribution.manifest.v2+json";
         WriteParts(dir, p);
       },
       "manifest media type"},
      {"config_media_type",
       [](const std::string& dir, const std::string&) {
         Parts p;
         p.layers = {{GoodLayer(), kMediaTypeLayerGzip}};
         p.config_media = "application/octet-stream";
         WriteParts(dir, p);
       },
       "config media type"},
      {"layer_digest_mismatch",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         FlipByte(BlobPath(dir, w.layers[0].digest));
       },
       "digest mismatch"},
      {"manifest_digest_mismatch",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         FlipByte(BlobPath(dir, w.manifest.digest));
       },
       "digest mismatch"},
      {"config_digest_mismatch",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         FlipByte(BlobPath(dir, w.config.digest));
       },
       "digest mismatch"},
      {"layer_size_mismatch",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         std::string path = BlobPath(dir, w.layers[0].digest);
         ASSERT_TRUE(WriteFile(path, ReadFile(path).value() + "extra").has_value());
       },
       "does not match the descriptor"},
      {"missing_layer_blob",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         ASSERT_EQ(::unlink(BlobPath(dir, w.layers[0].digest).c_str()), 0);
       },
       "find blob"},
      {"missing_config_blob",
       [](const std::string& dir, const std::string&) {
         Written w = OneLayer(dir, RawTar({{"x", AE_IFREG, "data"}}));
         ASSERT_EQ(::unlink(BlobPath(dir, w.config.digest).c_str()), 0);
       },
       "find blob"},
      {"truncated_gzip",
       [](const std::string& dir, const std::string&) {
         // Incompressible data, so that half of the gzip ends inside the file's data (a cut
         // after it would only lose the end-of-archive blocks, which tar readers forgive).
         std::string noise(100000, '\0');
         uint32_t x = 12345;
         for (char& c : noise) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
         std::string gz = Gzip(RawTar({{"x", AE_IFREG, noise}}));
         Parts p;
         p.layers = {{gz.substr(0, gz.size() / 2), kMediaTypeLayerGzip}};
         WriteParts(dir, p);
       },
       "truncated"},
  };
}

// The names in `dir` (none when it does not exist).
std::vector<std::string> Listing(const std::string& dir) {
  auto l = fs::ListDir(dir);
  return l ? *l : std::vector<std::string>{};
}

class CraftedImage : public ::testing::TestWithParam<Crafted> {};

TEST_P(CraftedImage, RefusedWithClearErrorAndNothingLeft) {
  const Crafted& c = GetParam();
  TempDir store_dir, layout, outside;
  ASSERT_TRUE(WriteFile(outside / "secret", "host secret\n").has_value());
  c.build(layout.Path(), outside.Path());
  if (HasFatalFailure()) return;
  LayerStore store(store_dir.Path());
  auto img = PrepareImage(store, layout.Path() + ":test");
  ASSERT_FALSE(img.has_value()) << c.name << " was accepted";
  const std::string msg = img.error().ToString();
  EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  EXPECT_LT(msg.size(), 1000u) << c.name << ": an error is one readable line";
  // Nothing outside: the secret is the only entry there, still with one link and its content.
  EXPECT_EQ(Listing(outside.Path()), std::vector<std::string>{"secret"}) << c.name;
  struct stat st;
  ASSERT_EQ(::lstat((outside / "secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u) << c.name << ": the host file was hard-linked into a layer";
  EXPECT_TRUE(S_ISREG(st.st_mode)) << c.name;
  char v[8];
  EXPECT_LT(::getxattr(outside.Path().c_str(), "trusted.overlay.opaque", v, sizeof v), 0)
      << c.name;
  // Nothing half-made in the store: no layer, no record, no temp dir content.
  EXPECT_TRUE(Listing(store_dir / "layers/sha256").empty()) << c.name;
  EXPECT_TRUE(Listing(store_dir / "tmp").empty()) << c.name;
  auto images = ListImages(store);
  ASSERT_TRUE(images.has_value());
  EXPECT_TRUE(images->empty()) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Table, CraftedImage, ::testing::ValuesIn(Table()),
                         [](const ::testing::TestParamInfo<Crafted>& i) { return i.param.name; });

// The same layouts without the flaw are accepted: the table's refusals come from the flaw, not
// from the way the fixture writes images.
TEST(CraftedImage, HonestLayoutOfTheFixtureIsAccepted) {
  TempDir store_dir, layout;
  OneLayer(layout.Path(), RawTar({{"a", AE_IFDIR},
                                  {"a/f", AE_IFREG, "x"},
                                  {"a/h", AE_IFREG, "", "", "a/f"},
                                  {"a/up", AE_IFLNK, "", "../a/f"},
                                  {"abs", AE_IFLNK, "", "/etc/passwd"},
                                  {"caf\xc3\xa9", AE_IFREG, "utf-8 is fine"}}));
  LayerStore store(store_dir.Path());
  auto img = PrepareImage(store, layout.Path() + ":test");
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  const std::string& dir = img->layer_dirs.at(0);
  struct stat st;
  ASSERT_EQ(::lstat((dir + "/a/h").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(ReadFile(dir + "/caf\xc3\xa9").value(), "utf-8 is fine");
}

// Kept or stripped? Stripped: setuid/setgid bits and file capabilities never reach the store,
// which is world-readable (store.h says why).
TEST(CraftedImage, SetuidBitsAndFileCapabilitiesAreStripped) {
  TempDir store_dir, layout;
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  OneLayer(layout.Path(), RawTar({{"bin", AE_IFDIR, "", "", "", 02755},
                                  {"bin/suid", AE_IFREG, "#!/bin/sh\n", "", "", 04755},
                                  {"bin/sgid", AE_IFREG, "#!/bin/sh\n", "", "", 02755},
                                  {"bin/capped", AE_IFREG, "#!/bin/sh\n", "", "", 0755,
                                   {{"security.capability", cap}, {"user.kept", "yes"}}}}));
  LayerStore store(store_dir.Path());
  auto img = PrepareImage(store, layout.Path() + ":test");
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  const std::string& dir = img->layer_dirs.at(0);
  struct stat st;
  ASSERT_EQ(::stat((dir + "/bin/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dir + "/bin/sgid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dir + "/bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 02755u) << "setgid on a directory only sets the group of new files";
  char v[64];
  EXPECT_LT(::getxattr((dir + "/bin/capped").c_str(), "security.capability", v, sizeof v), 0);
  EXPECT_EQ(::getxattr((dir + "/bin/capped").c_str(), "user.kept", v, sizeof v), 3)
      << "other xattrs are kept";
}

}  // namespace
}  // namespace ctv::image

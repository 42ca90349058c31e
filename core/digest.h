// SHA-256 digests in the OCI form "sha256:<64 hex>".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ctv {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // "sha256:..." of everything Update()d. Call once.
  std::string FinishOci();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Oci(std::string_view data);
Result<std::string> Sha256OciOfFile(const std::string& path);
// True for "sha256:" + 64 lowercase hex digits.
bool IsSha256Digest(std::string_view digest);

}  // namespace ctv

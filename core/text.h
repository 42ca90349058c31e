// Small text helpers shared by every layer (one way to do each).
#pragma once

#include <string>
#include <string_view>

namespace ctv {

// `s` without leading and trailing whitespace (space, tab, CR, LF): a value read from a kernel
// file ("0-1\n"), a tool's one-line output, a cache key file.
std::string Trim(std::string_view s);

}  // namespace ctv

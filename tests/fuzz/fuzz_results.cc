// libFuzzer target: the results-JSON reader (results/results.h FromJson), what `report`,
// `compare`, `history` and `export` read from files made anywhere. A file it accepts must
// survive its own round trip (ToJson -> FromJson): the writer and reader agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "results/results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  auto r = ctv::results::FromJson(j, "fuzz input");
  if (!r) return 0;
  auto again = ctv::results::FromJson(ctv::results::ToJson(*r), "round trip");
  if (!again) std::abort();  // accepted once, refused after its own writer: a reader/writer gap
  return 0;
}

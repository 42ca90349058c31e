// Micro-benchmarks of the harness's own hot paths, so its overhead is known and kept small:
// the host driver's launch path (posix_spawn + wait of the static probe), line reading through a
// pipe, and the statistics run after every metric. Run: build/bin/ctv-micro
#include <benchmark/benchmark.h>

#include <random>

#include "core/fd.h"
#include "core/line_reader.h"
#include "core/process.h"
#include "core/stats.h"

namespace ctv {
namespace {

void BM_SpawnProbeNoop(benchmark::State& state) {
  std::string probe = SelfDir() + "/ctv-probe";
  for (auto _ : state) {
    auto c = Spawn({.argv = {probe, "noop"}});
    if (!c) {
      state.SkipWithError(c.error().ToString().c_str());
      return;
    }
    auto st = c->Wait();
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_SpawnProbeNoop)->Unit(benchmark::kMicrosecond);

void BM_LineReaderMarker(benchmark::State& state) {
  auto p = MakePipe();
  LineReader reader(p->read.Get());
  for (auto _ : state) {
    (void)WriteAll(p->write.Get(), "CTV-READY 1234 5678901234\n", "pipe");
    auto line = reader.Next(std::chrono::milliseconds(1000));
    benchmark::DoNotOptimize(line);
  }
}
BENCHMARK(BM_LineReaderMarker);

void BM_Summarize(benchmark::State& state) {
  std::mt19937 rng(42);
  std::lognormal_distribution<double> dist(1.0, 0.3);
  std::vector<double> v(static_cast<size_t>(state.range(0)));
  for (double& x : v) x = dist(rng);
  for (auto _ : state) benchmark::DoNotOptimize(Summarize(v));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_Summarize)->Range(8, 8 << 10)->Complexity();

}  // namespace
}  // namespace ctv

// launch_bench.cc: the child side of BM_NftFreshProcess (`ctv-micro --child-nft PORT`).
namespace ctv {
bool MaybeRunMicroChild(int argc, char** argv, int* exit_code);
}

int main(int argc, char** argv) {
  if (int code = 0; ctv::MaybeRunMicroChild(argc, argv, &code)) return code;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

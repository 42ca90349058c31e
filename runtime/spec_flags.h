// The value parsers of `ctvrt run`/`create` flags that describe a container (volumes, ulimits,
// cpus), separate from the CLI so they can be fuzzed (tests/fuzz) and reused. Pure functions: no
// file system access (the CLI checks that a volume's host directory exists). Errors name the flag,
// the value and the accepted form.
#pragma once

#include <string>

#include "core/error.h"
#include "runtime/spec.h"

namespace ctv::runtime {

Error FlagError(const std::string& flag, const std::string& value, const std::string& form);

// -v/--volume HOSTDIR:CTDIR[:ro|:rw], both absolute.
Result<Volume> ParseVolumeFlag(const std::string& v);
// --ulimit NAME=SOFT[:HARD], NAME one of nofile, nproc, core, stack, memlock, fsize, as, cpu.
Result<Rlimit> ParseUlimitFlag(const std::string& u);
// --cpus: a positive decimal number of cores up to `ncpu`.
Result<double> ParseCpusFlag(const std::string& s, long ncpu);

}  // namespace ctv::runtime

# Sourced by scripts/setup and scripts/fuzz: compile through ccache, a cache keyed by each
# object's content (preprocessed source, flags, compiler), kept in ~/.cache/ccache across clean
# clones. CI builds a fresh clone every run; with the cache, unchanged sources are not compiled
# again (the build took ~8 of CI's ~27 minutes without it). Paths are hashed relative to the
# clone ($top), so a clone elsewhere hits the same entries.
# Sets ctv_cmake_launcher (an array of cmake arguments, empty without ccache).
ctv_cmake_launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=true
  ctv_cmake_launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

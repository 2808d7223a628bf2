#!/usr/bin/env bash
# The suite under AddressSanitizer + UndefinedBehaviorSanitizer, with the fuzz targets (label
# fuzz) included, as .ci/run runs it:
#   bash tests/sanitize.sh            (from the source folder; builds in build-sanitize/)
# clang rather than g++: libFuzzer exists only for clang. The package tests (label package) are
# left out: they rebuild the library as a consumer would, which the normal build checks already.
set -euo pipefail
cd "$(dirname "$0")/.."
# allocator_may_return_null: a hostile size must reach the library's own checks as a failed
# allocation (bad_alloc), not abort inside ASan; halt_on_error/print_stacktrace: one UB report
# fails the test and says where.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
cmake -S . -B build-sanitize -DCMAKE_CXX_COMPILER=clang++ \
      -DXGRAD_SANITIZE=ON -DXGRAD_FUZZ=ON -DXGRAD_FUZZ_SECONDS=8 -DXGRAD_BUILD_BENCHMARKS=OFF -DXGRAD_INSTALL=OFF
cmake --build build-sanitize -j2
cd build-sanitize
ctest -LE package -j2 --output-on-failure

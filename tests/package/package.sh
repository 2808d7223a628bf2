#!/usr/bin/env bash
# The package as a downstream project sees it. One mode per CTest test:
#   install         cmake --install the built tree to a temporary prefix, check its layout, build
#                   and run the consumer with find_package(xgrad 0.2), and check that a request
#                   for xgrad 9.0 is refused
#   subdirectory    build and run the consumer with add_subdirectory(<xgrad source>) in a fresh
#                   build tree (compiles the library again)
#   pkg-config      install to a temporary prefix and compile/link the consumer with one g++
#                   command line from `pkg-config --cflags --libs xgrad`
# Usage: package.sh MODE BINARY_DIR SOURCE_DIR CXX BUILD_TYPE MARCH SANITIZE MPI
# MPI (ON/OFF): whether the build made xgrad::distributed; then the consumer must find it, and
# its distributed program is built and run too (CMake modes).
# Work happens in BINARY_DIR/package-tests/MODE, removed after a pass and kept after a failure
# (for a look; the next run starts by removing it).
set -euo pipefail

mode=$1 bin=$2 src=$3 cxx=$4 build_type=$5 march=$6 sanitize=$7 mpi=${8:-OFF}
consumer=$src/tests/package/consumer
work=$bin/package-tests/$mode
rm -rf "$work"
mkdir -p "$work"

fail() {
    echo "package/$mode: $*" >&2
    echo "package/$mode: work files kept in $work" >&2
    exit 1
}

# Runs a command quietly into a log; on failure shows the log's end and fails the test.
quiet() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        fail "failed: $*"
    fi
}

install_prefix() {
    quiet "$work/install.log" cmake --install "$bin" --prefix "$work/prefix"
    local p=$work/prefix
    for f in include/xgrad/xgrad.hpp include/xgrad/autograd/autograd.hpp \
             include/xgrad/autograd/ops/matmul.hpp include/xgrad/layers/rnn.hpp \
             include/xgrad/optim/sgd.hpp lib/libxgrad.a lib/cmake/xgrad/xgradConfig.cmake \
             lib/cmake/xgrad/xgradConfigVersion.cmake lib/cmake/xgrad/xgradTargets.cmake \
             lib/pkgconfig/xgrad.pc; do
        [ -f "$p/$f" ] || fail "$f is not installed"
    done
    # The include directory holds xgrad/ and nothing else: no bare autograd/, layers/, optim/.
    local top
    top=$(ls -A "$p/include")
    [ "$top" = xgrad ] || fail "include/ holds '$(echo $top)', expected only xgrad"
    # Headers only.
    local other
    other=$(find "$p/include" -type f ! -name '*.hpp')
    [ -z "$other" ] || fail "non-header files installed under include/: $other"
}

configure_flags=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$build_type"
                 -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DXGRAD_EXPECT_DISTRIBUTED="$mpi")

# The distributed consumer (one rank: MPI's singleton start), when xgrad::distributed exists.
run_distributed() {
    [ "$mpi" = ON ] || return 0
    quiet "$work/build-dist.log" cmake --build "$work/build" -j2 --target consumer_distributed
    "$work/build/consumer_distributed" || fail "the distributed consumer's checks failed"
}

case $mode in
install)
    install_prefix
    quiet "$work/configure.log" cmake -S "$consumer" -B "$work/build" "${configure_flags[@]}" \
        -DCMAKE_PREFIX_PATH="$work/prefix"
    quiet "$work/build.log" cmake --build "$work/build" -j2 --target consumer
    "$work/build/consumer" || fail "the consumer's checks failed"
    run_distributed
    # SameMinorVersion: a request for another major (or minor) version must be refused.
    if cmake -S "$consumer" -B "$work/build9" "${configure_flags[@]}" \
        -DCMAKE_PREFIX_PATH="$work/prefix" -DXGRAD_REQUEST_VERSION=9.0 >"$work/v9.log" 2>&1; then
        fail "find_package(xgrad 9.0) succeeded against xgrad 0.2.0"
    fi
    grep -q 'xgradConfig.cmake, version: 0.2.0' "$work/v9.log" ||
        { cat "$work/v9.log" >&2; fail "find_package(xgrad 9.0) failed, but not on the version"; }
    ;;
subdirectory)
    # The library is compiled again here. An untyped build (xgrad's own files at -Og) takes
    # about 40 s on 2 cores, a Release one 127 s, and what is checked (targets, flags, linking,
    # the consumer's results) does not depend on it; it also proves an unoptimised consumer
    # compiles against xsimd with -march=native.
    quiet "$work/configure.log" cmake -S "$consumer" -B "$work/build" "${configure_flags[@]}" \
        -DCMAKE_BUILD_TYPE= -DXGRAD_SOURCE_DIR="$src" -DXGRAD_MARCH="$march" -DXGRAD_SANITIZE="$sanitize"
    quiet "$work/build.log" cmake --build "$work/build" -j2 --target consumer
    "$work/build/consumer" || fail "the consumer's checks failed"
    run_distributed
    ;;
pkg-config)
    install_prefix
    export PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig
    version=$(pkg-config --modversion xgrad) || fail "pkg-config does not find xgrad"
    [ "$version" = 0.2.0 ] || fail "pkg-config reports version $version, expected 0.2.0"
    flags=$(pkg-config --cflags --libs xgrad) || fail "pkg-config --cflags --libs xgrad failed"
    case " $flags " in
    *" -lxgrad "*) ;; *) fail "pkg-config flags lack -lxgrad: $flags" ;;
    esac
    # shellcheck disable=SC2086 # the flags are words
    quiet "$work/compile.log" "$cxx" -std=c++17 -O2 "$consumer/main.cpp" -o "$work/consumer" $flags
    "$work/consumer" || fail "the consumer's checks failed"
    ;;
*)
    fail "unknown mode (install, subdirectory, pkg-config)"
    ;;
esac

rm -rf "$work"
rmdir "$bin/package-tests" 2>/dev/null || true # the other modes may still be running
echo "package/$mode: passed"

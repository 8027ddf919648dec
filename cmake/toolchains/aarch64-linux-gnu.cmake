# Cross compiling for 64-bit ARM Linux on a Debian x86-64 host, running the results under QEMU user mode:
#
#   cmake -S . -B build/aarch64 --toolchain cmake/toolchains/aarch64-linux-gnu.cmake -DMINITORCH_CROSS_SUBSET=ON \
#         -DCMAKE_BUILD_TYPE=Release -DMINITORCH_BUILD_BENCHMARKS=OFF
#   ctest --test-dir build/aarch64          # every test runs through CMAKE_CROSSCOMPILING_EMULATOR
#
# Debian packages (scripts/setup installs them): g++-aarch64-linux-gnu (the compiler and the arm64 libc/libstdc++ under
# /usr/aarch64-linux-gnu) and qemu-user (qemu-aarch64). scripts/test's aarch64 stage uses this file.
#
# Libraries: only what the cross toolchain ships is there for arm64 (libc, libm, libpthread, libstdc++). The header-only
# packages of the host are used as they are (Eigen through its CMake config, doctest, CLI11, nlohmann_json): their
# CMake configs are found on the host, and their headers through -idirafter /usr/include, i.e. after the arm64 C and
# C++ headers, so the host's x86-64 glibc headers never shadow the target's. Libraries with code (zlib, Google
# Benchmark) would need arm64 packages, which Debian installs only after `dpkg --add-architecture arm64`:
# find_library never looks on the host (CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY), so they are simply not found
# (see MINITORCH_CROSS_SUBSET in tests/CMakeLists.txt for what the cross build then does without zlib).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(MINITORCH_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${MINITORCH_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${MINITORCH_CROSS_TRIPLE}-g++)

# The target's root: its libraries and headers (Debian's cross packages put them here).
set(CMAKE_FIND_ROOT_PATH /usr/${MINITORCH_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # tools (doxygen, qemu) run on the host
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # never link a host (x86-64) library
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)    # header-only packages live on the host
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)    # … and so do their CMake configs (/usr/share/eigen3/cmake, …)

# The host's /usr/include is searched last (-idirafter) and counted as a compiler default: the compiler's own search
# list then shows it, CMake records it among CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES, and drops the
# `-isystem /usr/include` that doctest's, CLI11's and nlohmann_json's targets ask for. (As -isystem it would come
# before the arm64 headers, and <stdlib.h> would be the host's.)
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include")
set(CMAKE_CXX_FLAGS_INIT "-idirafter /usr/include")

# Tests and try_run run under QEMU, with the target's dynamic loader and libraries from /usr/aarch64-linux-gnu.
find_program(MINITORCH_QEMU_AARCH64 qemu-aarch64)
if(MINITORCH_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MINITORCH_QEMU_AARCH64};-L;/usr/${MINITORCH_CROSS_TRIPLE}")
else()
  message(WARNING "qemu-aarch64 not found (Debian: qemu-user): the aarch64 build cannot run its tests")
endif()

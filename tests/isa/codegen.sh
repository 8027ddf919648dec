#!/bin/sh
# Checks the machine code of the kernel variants in a test binary: every function of minitorch::kernels::avx512 is
# compiled for AVX-512 (its GEMM tiles use zmm registers), of kernels::avx2 for AVX2 (ymm, never zmm), and the scalar
# ones use neither — so the AVX-512 variant is built and right even on a machine that cannot run it (nothing in
# Debian emulates AVX-512 in user mode), and no variant uses instructions above its ISA.
#   codegen.sh OBJDUMP BINARY
set -eu
objdump=$1 binary=$2
"$objdump" -d -C --no-show-raw-insn "$binary" | awk '
  /^[0-9a-f]+ <.*>:$/ {
    ns = ""
    if (index($0, "minitorch::kernels::avx512::")) ns = "avx512"
    else if (index($0, "minitorch::kernels::avx2::")) ns = "avx2"
    else if (index($0, "minitorch::kernels::scalar::")) ns = "scalar"
    if (ns != "") functions[ns]++
    tile = ns != "" && index($0, "gemm_detail::tile<")
    next
  }
  ns != "" {
    if ($0 ~ /%zmm/) zmm[ns]++
    if ($0 ~ /%ymm/) ymm[ns]++
    if (tile && $0 ~ /vfmadd...ps/) { if ($0 ~ /%zmm/) tile_fma_zmm[ns]++; else if ($0 ~ /%ymm/) tile_fma_ymm[ns]++ }
  }
  END {
    for (n in functions) printf "kernels::%s: %d functions, %d instructions on zmm, %d on ymm\n", n, functions[n], zmm[n], ymm[n]
    bad = 0
    if (functions["avx512"] == 0 || functions["avx2"] == 0 || functions["scalar"] == 0) {
      print "FAIL: a variant is missing from the binary"; bad = 1 }
    if (tile_fma_zmm["avx512"] == 0) { print "FAIL: the avx512 GEMM tiles have no FMA on zmm registers"; bad = 1 }
    if (tile_fma_ymm["avx2"] == 0) { print "FAIL: the avx2 GEMM tiles have no FMA on ymm registers"; bad = 1 }
    if (zmm["avx2"] > 0) { print "FAIL: the avx2 variant uses zmm registers (AVX-512)"; bad = 1 }
    if (zmm["scalar"] > 0 || ymm["scalar"] > 0) { print "FAIL: the scalar variant uses ymm or zmm registers"; bad = 1 }
    if (!bad) print "ok: avx512 tiles on zmm, avx2 tiles on ymm, scalar on neither"
    exit bad
  }'

# CTest driver (cmake -P): an x86-64 CPU without AVX (QEMU user mode's CPU model CPU, e.g. Nehalem) runs the build:
#
#   cmake -DQEMU=<qemu-x86_64> -DCPU=Nehalem -DMNIST=<mnist> -DTEST_ISA=<test_isa> -DMAKE_DATA=<make_mnist_data>
#         -DWORK_DIR=<folder> -P nehalem.cmake
#
# Under `qemu-x86_64 -cpu Nehalem` (CPUID without AVX; an AVX instruction raises SIGILL, exit status 132):
#   1. `mnist --list-isas` prints exactly "scalar";
#   2. MINITORCH_ISA=avx2 and =avx512 are usage errors (exit 2) naming "this CPU does not support it", not a SIGILL;
#   3. test_isa passes (its refusals of avx2 and avx512 run for real here);
#   4. a tiny training run (MINITORCH_ISA unset) prints "kernels: scalar (…)", exits 0 and gives the same numbers
#      (time columns removed) and the same weights, bit for bit, as the same run on this machine with
#      MINITORCH_ISA=scalar, so no kernel, not even
#      outside the dispatch, executes an AVX instruction, and the scalar path is the scalar path.
cmake_minimum_required(VERSION 3.25)  # IN_LIST and today's policies in script mode
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

foreach(var IN ITEMS QEMU CPU MNIST TEST_ISA MAKE_DATA WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "nehalem.cmake: needs -D${var}")
  endif()
endforeach()
set(EMULATOR "${QEMU}|-cpu|${CPU}")
unset(ENV{MINITORCH_ISA})

# 1. the supported list
run_program(list "${MNIST}" --list-isas)
expect_status(list 0 "mnist --list-isas failed on ${CPU}")
expect_match(list out "^scalar\n$" "expected exactly 'scalar' from mnist --list-isas on ${CPU}")
message(STATUS "${CPU}: mnist --list-isas prints 'scalar'")

# 2. asking for more is an error, not a crash
foreach(isa IN ITEMS avx2 avx512)
  set(ENV{MINITORCH_ISA} ${isa})
  run_program(refused "${MNIST}" --data "${WORK_DIR}")
  unset(ENV{MINITORCH_ISA})
  expect_status(refused 2 "MINITORCH_ISA=${isa} on ${CPU}: expected the usage error (exit 2)")
  expect_match(refused err "^mnist: MINITORCH_ISA=${isa}: this CPU does not support it; it supports scalar \\("
               "MINITORCH_ISA=${isa} on ${CPU}: expected the usage error naming the ISAs this CPU supports")
endforeach()
message(STATUS "${CPU}: MINITORCH_ISA=avx2 and avx512 are usage errors")

# 3. the unit tests of the choice
run_program(unit "${TEST_ISA}")
expect_status(unit 0 "test_isa fails on ${CPU}")
message(STATUS "${CPU}: test_isa passes")

# 4. training: the scalar kernels, the numbers of this machine's scalar run. One training step and one test batch
# (16 + 16 images, 1 epoch) reach every layer's forward and backward; the scalar kernels under QEMU's emulation of
# a CPU without FMA take about a second per image.
set(ISA_TRAIN_IMAGES 16)
set(ISA_TEST_IMAGES 16)
set(ISA_EPOCHS 1)
isa_set_recipe()
file(MAKE_DIRECTORY "${WORK_DIR}")
set(data "${WORK_DIR}/data")
set(saved_emulator "${EMULATOR}")
set(EMULATOR "")
isa_make_data("${MAKE_DATA}" "${data}" ${ISA_TRAIN_IMAGES} ${ISA_TEST_IMAGES})
set(host_csv "${WORK_DIR}/host_scalar.csv")
set(emulated_csv "${WORK_DIR}/${CPU}.csv")
file(REMOVE "${host_csv}" "${emulated_csv}" "${host_csv}.safetensors" "${emulated_csv}.safetensors")
set(ENV{MINITORCH_ISA} scalar)
run_program(host "${MNIST}" --data "${data}" ${ISA_RECIPE} --csv "${host_csv}" --save "${host_csv}.safetensors")
unset(ENV{MINITORCH_ISA})
expect_status(host 0 "MINITORCH_ISA=scalar mnist failed on this machine")
set(EMULATOR "${saved_emulator}")
run_program(emulated "${MNIST}" --data "${data}" ${ISA_RECIPE} --csv "${emulated_csv}"
            --save "${emulated_csv}.safetensors")
expect_status(emulated 0 "mnist failed on ${CPU} (132: SIGILL, an instruction this CPU lacks)")
expect_match(emulated out "(^|\n)kernels: scalar \\("
             "mnist on ${CPU}: the header does not say 'kernels: scalar (…)'")
isa_strip_times("${host_csv}" ${ISA_EPOCHS} host_numbers)
isa_strip_times("${emulated_csv}" ${ISA_EPOCHS} emulated_numbers)
isa_first_difference("this machine, MINITORCH_ISA=scalar" "${host_numbers}" "${CPU}" "${emulated_numbers}" diff)
if(NOT diff STREQUAL "")
  message(FATAL_ERROR "the short run on ${CPU} differs from this machine's scalar run at ${diff}")
endif()
isa_file_difference("${host_csv}.safetensors" "${emulated_csv}.safetensors" weights_diff)
if(NOT weights_diff STREQUAL "")
  message(FATAL_ERROR "the weights after the run on ${CPU} differ from this machine's scalar run at ${weights_diff}")
endif()
isa_seconds(${emulated_us} took)
message(STATUS "${CPU}: a training step uses the scalar kernels and gives this machine's scalar numbers (${took})")

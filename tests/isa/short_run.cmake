# CTest driver (cmake -P): the short MNIST run under every ISA this CPU supports must give the same numbers.
#
#   cmake -DMNIST=<mnist> -DMAKE_DATA=<make_mnist_data> -DWORK_DIR=<folder>
#         [-DEMULATOR=qemu-aarch64|-L|/usr/aarch64-linux-gnu] [-DREQUIRED_ISAS=scalar|neon]
#         [-DREFERENCE_CSV=<another build's short_run_scalar.csv>] -P short_run.cmake
#
# 1. make_mnist_data writes <WORK_DIR>/data (512 training, 128 test images; deterministic).
# 2. `mnist --list-isas` says which ISAs this CPU runs; each of REQUIRED_ISAS must be among them.
# 3. For each: MINITORCH_ISA=<isa> mnist <recipe of common.cmake> --csv <WORK_DIR>/short_run_<isa>.csv
#    --save <WORK_DIR>/short_run_<isa>.safetensors, which must exit 0, print "kernels: <isa> (…)" and write one CSV
#    row per epoch.
# 4. The CSVs without their time columns (short_run_<isa>.numbers.csv) must be byte-identical to the first ISA's,
#    and so must the final weights (the checkpoint, every bit of every parameter and BatchNorm statistic: the CSV
#    prints 8 significant digits, which can hide a last-bit difference); the same against REFERENCE_CSV (stripped
#    the same way) and the .safetensors beside it, when given. Otherwise the test fails, printing the first
#    differing CSV line and the first differing weight of each pair that differs.
# EMULATOR (a `|`-separated command) runs both programs, e.g. under QEMU for a cross build.
cmake_minimum_required(VERSION 3.25)  # IN_LIST and today's policies in script mode
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

foreach(var IN ITEMS MNIST MAKE_DATA WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "short_run.cmake: needs -D${var}")
  endif()
endforeach()
string(REPLACE "|" ";" required "${REQUIRED_ISAS}")

# Compares the run of `isa` (its numbers: the CSV without time columns; its checkpoint `weights`) with the reference
# run `ref_name` (`ref_numbers`, `ref_weights`): reports that nothing differs, or appends what does to `failures`.
function(compare_with_reference isa numbers weights ref_name ref_numbers ref_weights)
  isa_first_difference("${ref_name}" "${ref_numbers}" "MINITORCH_ISA=${isa}" "${numbers}" diff)
  isa_file_difference("${ref_weights}" "${weights}" weights_diff)
  if(diff STREQUAL "" AND weights_diff STREQUAL "")
    message(STATUS "MINITORCH_ISA=${isa}: the same numbers and weights as ${ref_name}")
  endif()
  if(NOT diff STREQUAL "")
    string(APPEND failures "${isa} differs from ${ref_name} at ${diff}\n")
  endif()
  if(NOT weights_diff STREQUAL "")
    string(APPEND failures "${isa}'s final weights differ from ${ref_weights} at ${weights_diff}\n")
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

file(MAKE_DIRECTORY "${WORK_DIR}")
set(data "${WORK_DIR}/data")
isa_make_data("${MAKE_DATA}" "${data}" ${ISA_TRAIN_IMAGES} ${ISA_TEST_IMAGES})

unset(ENV{MINITORCH_ISA})
run_program(list "${MNIST}" --list-isas)
expect_status(list 0 "mnist --list-isas failed")
isa_lines("${list_out}" isas)
if(isas STREQUAL "")
  message(FATAL_ERROR "mnist --list-isas listed no ISA\n${list_report}")
endif()
foreach(isa IN LISTS isas)
  if(NOT isa MATCHES "^(scalar|avx2|avx512|neon)$")
    message(FATAL_ERROR "mnist --list-isas: unexpected line '${isa}'\n${list_report}")
  endif()
endforeach()
foreach(isa IN LISTS required)
  if(NOT isa IN_LIST isas)
    message(FATAL_ERROR "mnist --list-isas does not list ${isa}, which this build must run\n${list_report}")
  endif()
endforeach()
string(REPLACE ";" ", " isas_shown "${isas}")
message(STATUS "ISAs this CPU supports: ${isas_shown}")

set(failures "")
set(reference_isa "")
set(ran 0)
foreach(isa IN LISTS isas)
  set(csv "${WORK_DIR}/short_run_${isa}.csv")
  set(weights "${WORK_DIR}/short_run_${isa}.safetensors")
  file(REMOVE "${csv}" "${weights}" "${WORK_DIR}/short_run_${isa}.numbers.csv")  # never compare an earlier run's
  set(ENV{MINITORCH_ISA} ${isa})
  run_program(run "${MNIST}" --data "${data}" ${ISA_RECIPE} --csv "${csv}" --save "${weights}")
  unset(ENV{MINITORCH_ISA})
  expect_status(run 0 "MINITORCH_ISA=${isa}: mnist failed")
  expect_match(run out "(^|\n)kernels: ${isa} \\("
               "MINITORCH_ISA=${isa}: the header does not say 'kernels: ${isa} (…)'")
  isa_strip_times("${csv}" ${ISA_EPOCHS} numbers)
  if(NOT EXISTS "${weights}")
    message(FATAL_ERROR "MINITORCH_ISA=${isa}: mnist wrote no checkpoint ${weights}\n${run_report}")
  endif()
  file(WRITE "${WORK_DIR}/short_run_${isa}.numbers.csv" "${numbers}")
  isa_seconds(${run_us} took)
  message(STATUS "MINITORCH_ISA=${isa}: ${took} "
                 "(${ISA_EPOCHS} epochs, ${ISA_TRAIN_IMAGES} + ${ISA_TEST_IMAGES} images)")
  math(EXPR ran "${ran} + 1")
  if(reference_isa STREQUAL "")
    set(reference_isa ${isa})
    set(reference_numbers "${numbers}")
    message(STATUS "numbers (time columns removed):\n${numbers}")
  else()
    compare_with_reference(${isa} "${numbers}" "${weights}" "MINITORCH_ISA=${reference_isa}" "${reference_numbers}"
                           "${WORK_DIR}/short_run_${reference_isa}.safetensors")
  endif()
endforeach()
if(ran LESS 1)
  message(FATAL_ERROR "no ISA ran")
endif()

if(NOT "${REFERENCE_CSV}" STREQUAL "")
  if(NOT EXISTS "${REFERENCE_CSV}")
    message(FATAL_ERROR "the reference CSV ${REFERENCE_CSV} does not exist (run the other build's short run first)")
  endif()
  string(REGEX REPLACE "\\.csv$" ".safetensors" reference_weights "${REFERENCE_CSV}")
  if(NOT EXISTS "${reference_weights}")
    message(FATAL_ERROR "the reference weights ${reference_weights} (beside the reference CSV) do not exist")
  endif()
  isa_strip_times("${REFERENCE_CSV}" ${ISA_EPOCHS} expected)
  foreach(isa IN LISTS isas)
    file(READ "${WORK_DIR}/short_run_${isa}.numbers.csv" numbers)
    compare_with_reference(${isa} "${numbers}" "${WORK_DIR}/short_run_${isa}.safetensors" "${REFERENCE_CSV}"
                           "${expected}" "${reference_weights}")
  endforeach()
endif()

if(NOT failures STREQUAL "")
  message(FATAL_ERROR "the short runs differ (every ISA must give the same bits; CSVs in ${WORK_DIR}):\n${failures}")
endif()
message(STATUS "${ran} ISA(s), identical numbers")

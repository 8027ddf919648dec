# CTest driver (cmake -P): runs the README's Mazur command and checks what it prints (issue 18).
#
#   cmake -DEXE=<path to toy_backprop> -P check_mazur_output.cmake
#
# The numbers themselves are tested in tests/test_toy_backprop.cpp (rounded to Mazur's printed digits); this checks
# that the example, run as a newcomer runs it, prints them: the error at iteration 0, the eight weights after the first
# update, and the error after 10,000 updates. Each expected value is the program's own shortest round-trip decimal,
# which rounds to Mazur's published one.
if(NOT DEFINED EXE)
  message(FATAL_ERROR "check_mazur_output.cmake: needs -DEXE")
endif()

function(run_and_expect)
  cmake_parse_arguments(RUN "" "" "ARGS;EXPECT" ${ARGN})
  execute_process(COMMAND ${EXE} ${RUN_ARGS} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " shown "${RUN_ARGS}")
  if(NOT status STREQUAL "0")
    message(FATAL_ERROR "toy_backprop ${shown}: exit status ${status}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  foreach(line IN LISTS RUN_EXPECT)
    if(NOT out MATCHES "${line}")
      message(FATAL_ERROR "toy_backprop ${shown}: no line matching '${line}' in its output:\n${out}")
    endif()
  endforeach()
  list(LENGTH RUN_EXPECT count)
  message(STATUS "toy_backprop ${shown}: ${count} expected lines found")
endfunction()

# The issue's acceptance command as written (100 iterations by default), without the picture.
run_and_expect(
  ARGS --biases 0.35,0.60 --targets 0.01,0.99 --lrs 0.5 --no-plot --csv mazur.csv
  EXPECT
    "biases   b1 = 0\\.35 \\(both hidden neurons, layer 0\\), b2 = 0\\.6 \\(both outputs, layer 2\\); fixed"
    "\n  h1 += w1·i1 \\+ w2·i2 \\+ b1 += 0\\.3775\n"
    "\n  o1 += w5·a_h1 \\+ w6·a_h2 \\+ b2 += 1\\.10590596705977\n"
    "\n  E_total += E1 \\+ E2 += 0\\.2983711087600027\n"
    "The first update at η = 0\\.5: w ← w − η·∂E/∂w, all from iteration 0's gradients above \\(the biases stay fixed\\)"
    "\n  w1 +0\\.15 +0\\.1497807161327628 +0\\.1497807161327628 +0\n"
    "\n  w2 +0\\.2 +0\\.19956143226552567 +0\\.19956143226552567 +0\n"
    "\n  w3 +0\\.25 +0\\.24975114363236958 +0\\.24975114363236958 +0\n"
    "\n  w4 +0\\.3 +0\\.29950228726473915 +0\\.29950228726473915 +0\n"
    "\n  w5 +0\\.4 +0\\.35891647971788465 +0\\.35891647971788465 +0\n"
    "\n  w6 +0\\.45 +0\\.4086661860762334 +0\\.4086661860762334 +0\n"
    "\n  w7 +0\\.5 +0\\.5113012702387375 +0\\.5113012702387375 +0\n"
    "\n  w8 +0\\.55 +0\\.5613701211079891 +0\\.5613701211079891 +0\n"
    "wrote mazur\\.csv \\(101 rows: lr, iteration, E_total, w1\\.\\.w8, b_h1\\.\\.b_o2;")

# 10,000 updates: E_total ≈ 3.5e-5 (Mazur: 0.0000351085, which is the error after 9,999; see docs/backprop.md).
run_and_expect(
  ARGS --biases 0.35,0.60 --targets 0.01,0.99 --lrs 0.5 --iterations 10000 --no-plot --csv mazur_10000.csv
  EXPECT "\n  0\\.5 +0\\.2983711087600027 +3\\.51018778297[0-9]*e-05\n")

# Trained biases: the bias gradients appear next to the library's, and the first update moves them.
run_and_expect(
  ARGS --biases 0.35,0.60 --targets 0.01,0.99 --lrs 0.5 --train-biases --iterations 1 --no-plot --csv mazur_trained.csv
  EXPECT
    "\n  h1 += w1·i1 \\+ w2·i2 \\+ b_h1 += 0\\.3775\n"
    "\n  b_o1 +δ_o1·1 +0\\.13849856162855695 +0\\.13849856162855695 +0\n"
    "\n  b_h2 +0\\.35 +0\\.3450228726473914 +0\\.3450228726473914 +0\n")

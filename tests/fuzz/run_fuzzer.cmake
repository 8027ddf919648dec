# CTest driver of one fuzz target (cmake -P): fuzzes for MINITORCH_FUZZ_SECONDS (environment, default 60) starting
# from the committed seeds, and fails when libFuzzer reports a crash, a leak, a timeout or an out-of-memory input.
#   -DFUZZER=<executable> -DTARGET=<name> -DSEEDS=<tests/fuzz/corpus/name> -DWORK=<build/fuzz> [-DDICT=<file>]
# New interesting inputs go to <WORK>/corpus/<name> (kept between runs, never into the committed seeds); a crashing
# input is saved under <WORK>/artifacts/<name>/ and named in the failure message.
set(seconds $ENV{MINITORCH_FUZZ_SECONDS})
if(NOT seconds)
  set(seconds 60)
endif()
if(NOT seconds MATCHES "^[1-9][0-9]*$")
  message(FATAL_ERROR "MINITORCH_FUZZ_SECONDS must be a whole number of seconds ≥ 1, got '${seconds}'")
endif()
file(GLOB seeds ${SEEDS}/*)
list(LENGTH seeds seed_count)
if(seed_count EQUAL 0)
  message(FATAL_ERROR "fuzz ${TARGET}: no seed inputs in ${SEEDS}")
endif()

set(corpus ${WORK}/corpus/${TARGET})
set(artifacts ${WORK}/artifacts/${TARGET})
file(MAKE_DIRECTORY ${corpus} ${artifacts})
set(args -max_total_time=${seconds} -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1
         -artifact_prefix=${artifacts}/)
if(DICT)
  list(APPEND args -dict=${DICT})
endif()
file(GLOB old_artifacts ${artifacts}/*)
if(old_artifacts)
  file(REMOVE ${old_artifacts})
endif()

message(STATUS "fuzz ${TARGET}: ${seconds} s from ${seed_count} seeds (${SEEDS}) and ${corpus}")
execute_process(COMMAND ${FUZZER} ${args} ${corpus} ${SEEDS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "${out}${err}")
file(WRITE ${WORK}/logs/${TARGET}.log "${log}")
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${log}")
string(REGEX REPLACE ".*: *" "" runs "${runs}")
if(NOT rc EQUAL 0)
  file(GLOB crashes ${artifacts}/*)
  if(NOT crashes)
    set(crashes "none")
  endif()
  # The report is at the end of the log (the start is the seed loading and new-coverage lines): show the last part.
  string(LENGTH "${log}" log_length)
  if(log_length GREATER 8000)
    math(EXPR from "${log_length} - 8000")
    string(SUBSTRING "${log}" ${from} -1 log)
    set(log "[...]${log}")
  endif()
  message("${log}")
  message(FATAL_ERROR "fuzz ${TARGET}: libFuzzer exited with ${rc} (full log: ${WORK}/logs/${TARGET}.log). "
                      "Saved input: ${crashes}. Reproduce with: ${FUZZER} <input>. Once it is fixed, copy the input "
                      "to tests/fuzz/regressions/${TARGET}/ so the normal test suite replays it.")
endif()
string(REGEX MATCHALL "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" status "${log}")
list(POP_BACK status last_status)
message(STATUS "fuzz ${TARGET}: no crash in ${seconds} s, ${runs} inputs run (${last_status})")

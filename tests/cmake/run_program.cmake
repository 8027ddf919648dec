# Helpers of the CTest driver scripts (cmake -P) that run a program and check what it did: the ISA scripts
# (tests/isa/common.cmake includes this file) and the command-line error driver (tests/cli/expect_usage_error.cmake).
# A failed check stops the script with its message and the run's report (command line, exit status, stdout, stderr).
cmake_minimum_required(VERSION 3.25)  # today's policies in script mode (CMP0054: quoted strings are not variables)

# The time now in microseconds (since the epoch).
function(now_us out)
  string(TIMESTAMP seconds "%s" UTC)
  string(TIMESTAMP micro "%f" UTC)
  string(REGEX REPLACE "^0+([0-9])" "\\1" micro "${micro}")
  math(EXPR us "${seconds} * 1000000 + ${micro}")
  set(${out} ${us} PARENT_SCOPE)
endfunction()

# run_program(<prefix> <command>...): runs the command (EMULATOR, `|`-separated, in front when set); sets
# <prefix>_status, _out, _err, _us (microseconds) and _report.
function(run_program prefix)
  set(cmd "")
  if(EMULATOR)
    string(REPLACE "|" ";" cmd "${EMULATOR}")
  endif()
  list(APPEND cmd ${ARGN})
  now_us(t0)
  execute_process(COMMAND ${cmd} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  now_us(t1)
  math(EXPR us "${t1} - ${t0}")
  string(REPLACE ";" " " shown "${cmd}")
  set(${prefix}_status "${status}" PARENT_SCOPE)
  set(${prefix}_out "${out}" PARENT_SCOPE)
  set(${prefix}_err "${err}" PARENT_SCOPE)
  set(${prefix}_us "${us}" PARENT_SCOPE)
  set(${prefix}_report "command: ${shown}\nexit status: ${status}\nstdout:\n${out}\nstderr:\n${err}" PARENT_SCOPE)
endfunction()

# expect_status(<prefix> <status> <message>): stops with `message` unless the run <prefix> exited with <status>.
function(expect_status prefix status message)
  if(NOT "${${prefix}_status}" STREQUAL "${status}")
    message(FATAL_ERROR "${message}\n${${prefix}_report}")
  endif()
endfunction()

# expect_match(<prefix> <out|err> <regex> <message>): stops with `message` unless the run's stdout (out) or stderr
# (err) matches <regex>.
function(expect_match prefix stream regex message)
  if(NOT "${${prefix}_${stream}}" MATCHES "${regex}")
    message(FATAL_ERROR "${message}\n${${prefix}_report}")
  endif()
endfunction()

# CTest driver (cmake -P): runs an executable with bad command-line flags and checks what the user sees.
#
#   cmake -DEXE=<path> -DPROGRAM=<name> -DREASON=<regex> -P expect_usage_error.cmake -- <arguments...>
#
# Passes when the program
#   - exits with status 2 (a usage error; 1 is for failures while running, 0 for success),
#   - prints nothing on stdout (it did nothing),
#   - prints on stderr first a one-line reason "<PROGRAM>: <reason>" whose reason matches REASON,
#     then an empty line, then its usage text (a line starting with "usage:" or "Usage:").
include(${CMAKE_CURRENT_LIST_DIR}/../cmake/run_program.cmake)  # run_program, expect_status, expect_match

if(NOT DEFINED EXE OR NOT DEFINED PROGRAM OR NOT DEFINED REASON)
  message(FATAL_ERROR "expect_usage_error.cmake: needs -DEXE, -DPROGRAM and -DREASON")
endif()

# The arguments after "--".
set(args "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND args "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()

run_program(run ${EXE} ${args})
expect_status(run 2 "expected exit status 2 (usage error)")
expect_match(run out "^$" "expected nothing on stdout")
expect_match(run err "^${PROGRAM}: [^\n]+\n" "expected the first stderr line to be '${PROGRAM}: <reason>'")
string(REGEX MATCH "^${PROGRAM}: ([^\n]+)" reason_line "${run_err}")
set(reason "${CMAKE_MATCH_1}")
if(NOT reason MATCHES "${REASON}")
  message(FATAL_ERROR "the reason '${reason}' does not match '${REASON}'\n${run_report}")
endif()
expect_match(run err "^[^\n]*\n\n" "expected the reason to be one line, followed by an empty line")
# The usage on a line of its own after the reason, naming the program (or a path ending in it).
expect_match(run err "\n[Uu]sage: ${PROGRAM}|\n[Uu]sage: [^\n]*/${PROGRAM} "
             "expected the usage ('usage: ${PROGRAM} ...') after the reason")
string(REPLACE ";" " " shown "${args}")
message(STATUS "${PROGRAM} ${shown}: exit 2, \"${reason_line}\" and the usage")

# CTest driver (cmake -P): runs an executable with bad command-line flags and checks what the user sees.
#
#   cmake -DEXE=<path> -DPROGRAM=<name> -DREASON=<regex> -P expect_usage_error.cmake -- <arguments...>
#
# Passes when the program
#   - exits with status 2 (a usage error; 1 is for failures while running, 0 for success),
#   - prints nothing on stdout (it did nothing),
#   - prints on stderr first a one-line reason "<PROGRAM>: <reason>" whose reason matches REASON,
#     then an empty line, then its usage text (a line starting with "usage:" or "Usage:").
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

execute_process(COMMAND ${EXE} ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REPLACE ";" " " shown "${args}")
set(report "command: ${PROGRAM} ${shown}\nexit status: ${status}\nstdout:\n${out}\nstderr:\n${err}")

if(NOT status STREQUAL "2")
  message(FATAL_ERROR "expected exit status 2 (usage error), got ${status}\n${report}")
endif()
if(NOT out STREQUAL "")
  message(FATAL_ERROR "expected nothing on stdout\n${report}")
endif()
string(FIND "${err}" "\n" first_newline)
if(first_newline LESS 0)
  message(FATAL_ERROR "expected a reason line, an empty line and the usage on stderr\n${report}")
endif()
string(SUBSTRING "${err}" 0 ${first_newline} reason_line)
math(EXPR rest_start "${first_newline} + 1")
string(SUBSTRING "${err}" ${rest_start} -1 rest)
if(NOT reason_line MATCHES "^${PROGRAM}: (.+)$")
  message(FATAL_ERROR "expected the first stderr line to be '${PROGRAM}: <reason>'\n${report}")
endif()
set(reason "${CMAKE_MATCH_1}")
if(NOT reason MATCHES "${REASON}")
  message(FATAL_ERROR "the reason '${reason}' does not match '${REASON}'\n${report}")
endif()
if(NOT rest MATCHES "^\n")
  message(FATAL_ERROR "expected the reason to be one line, followed by an empty line\n${report}")
endif()
if(NOT rest MATCHES "(^|\n)[Uu]sage: ${PROGRAM}|(^|\n)[Uu]sage: [^\n]*/${PROGRAM} ")
  message(FATAL_ERROR "expected the usage ('usage: ${PROGRAM} ...') after the reason\n${report}")
endif()
message(STATUS "${PROGRAM} ${shown}: exit 2, \"${reason_line}\" and the usage")

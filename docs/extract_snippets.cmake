# docs/extract_snippets.cmake — turns the C++ of a Markdown page into one compilable source file.
#
#   cmake -DINPUT=docs/custom-layer.md -DOUTPUT=<build>/custom_layer_tutorial.cpp -P docs/extract_snippets.cmake
#
# Every fenced block that opens with a line that is exactly ```cpp and closes with a line that is exactly ``` is
# copied, in page order, into OUTPUT. Each block is preceded by a #line directive naming the page and the block's
# first line, so a compile error — or a failing doctest CHECK — points at the line of the Markdown that holds it.
# Blocks fenced any other way (```text, ```sh, ```cmake …) are prose and are not compiled.
#
# It is an error when the page has no ```cpp block or a ```cpp block is never closed. OUTPUT is rewritten only when
# its content changes, so touching the page without changing its code does not recompile anything.
# Used by tests/docs_tests.cmake (the tutorial's test executable).

cmake_minimum_required(VERSION 3.25)  # script mode: sets the policies (while(TRUE), …)

if(NOT DEFINED INPUT OR NOT DEFINED OUTPUT)
  message(FATAL_ERROR "extract_snippets.cmake: pass -DINPUT=<page.md> -DOUTPUT=<file.cpp>")
endif()
if(NOT EXISTS "${INPUT}")
  message(FATAL_ERROR "extract_snippets.cmake: ${INPUT} does not exist")
endif()

file(READ "${INPUT}" page)
string(REPLACE "\r\n" "\n" page "${page}")
# Work on whole lines: a fence is only a fence at the start of a line, and the page may start with one.
set(page "\n${page}")
if(NOT page MATCHES "\n$")
  string(APPEND page "\n")
endif()

set(open_fence "\n```cpp\n")
set(close_fence "\n```\n")
string(LENGTH "${open_fence}" open_length)

set(code "// Generated from ${INPUT} by docs/extract_snippets.cmake. Do not edit: edit the page.\n")
set(blocks 0)
set(line 1)  # line number (in the page) of the first character of `page` after the leading "\n"
while(TRUE)
  string(FIND "${page}" "${open_fence}" open_at)
  if(open_at EQUAL -1)
    break()
  endif()
  # Count the page lines before the block's first code line.
  math(EXPR body_at "${open_at} + ${open_length}")
  string(SUBSTRING "${page}" 0 ${body_at} before)
  string(REGEX REPLACE "[^\n]" "" newlines "${before}")
  string(LENGTH "${newlines}" newline_count)
  # `before` starts with the "\n" prepended above (or ends the previous block), and ends with the fence's "\n":
  # the block's first code line is line + newline_count − 1.
  math(EXPR first_line "${line} + ${newline_count} - 1")

  string(SUBSTRING "${page}" ${body_at} -1 rest)
  # The closing fence may directly follow the opening one (an empty block): look for it from the "\n" that ends
  # the opening fence line.
  set(rest "\n${rest}")
  string(FIND "${rest}" "${close_fence}" close_at)
  if(close_at EQUAL -1)
    math(EXPR fence_line "${first_line} - 1")
    message(FATAL_ERROR "${INPUT}:${fence_line}: the ```cpp block opened here is never closed (no line that is exactly ```)")
  endif()
  if(close_at GREATER 0)
    string(SUBSTRING "${rest}" 1 ${close_at} body)  # from after the leading "\n" up to and including the last "\n"
  else()
    set(body "")
  endif()
  string(APPEND code "#line ${first_line} \"${INPUT}\"\n${body}")
  math(EXPR blocks "${blocks} + 1")

  # Continue after the closing fence line; its final "\n" stays as the start of the remaining page.
  string(REGEX REPLACE "[^\n]" "" newlines "${body}")
  string(LENGTH "${newlines}" body_lines)
  math(EXPR line "${first_line} + ${body_lines}")  # line of the closing fence
  string(LENGTH "${close_fence}" close_length)
  math(EXPR after "${close_at} + ${close_length} - 1")
  string(SUBSTRING "${rest}" ${after} -1 page)
  # `page` now starts with the "\n" that ends the closing fence line: the next character is on line + 1.
  math(EXPR line "${line} + 1")
endwhile()

if(blocks EQUAL 0)
  message(FATAL_ERROR "${INPUT}: no ```cpp block found; nothing to compile")
endif()

file(WRITE "${OUTPUT}.tmp" "${code}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

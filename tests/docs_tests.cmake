# Documentation that is compiled and run, so it cannot rot: docs/custom-layer.md and docs/monitor.md. Included by
# tests/CMakeLists.txt after the doctest set-up (it uses include(doctest) and the minitorch_doctest_main library).
#
# docs/custom-layer.md, the tutorial that writes a layer from scratch, is a test: at build time every ```cpp block of
# the page is concatenated, in page order, into test_custom_layer_tutorial.cpp in the build tree (docs/extract_snippets.cmake,
# re-run whenever the page changes), and that file is compiled with the same warnings-as-errors as every other test.
# Its TEST_CASEs live in the page's own code blocks; #line directives make compile errors and failed CHECKs point at
# the page's lines. Run it with `ctest -R test_custom_layer_tutorial` or the executable of the same name.

set(minitorch_docs_dir ${CMAKE_CURRENT_LIST_DIR}/../docs)
cmake_path(NORMAL_PATH minitorch_docs_dir)

# A test executable `target` from the ```cpp blocks of docs/<page>.
function(minitorch_docs_test target page)
  set(source ${CMAKE_CURRENT_BINARY_DIR}/${target}.cpp)
  add_custom_command(
    OUTPUT ${source}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${minitorch_docs_dir}/${page} -DOUTPUT=${source}
            -P ${minitorch_docs_dir}/extract_snippets.cmake
    DEPENDS ${minitorch_docs_dir}/${page} ${minitorch_docs_dir}/extract_snippets.cmake
    COMMENT "Extracting the C++ code blocks of docs/${page}"
    VERBATIM)
  add_executable(${target} ${source})
  target_link_libraries(${target} PRIVATE minitorch::compiled minitorch_doctest_main minitorch_project_options)
  doctest_discover_tests(${target} TEST_PREFIX "${target}: ")
endfunction()

minitorch_docs_test(test_custom_layer_tutorial custom-layer.md)
# docs/monitor.md, the monitor's page: its example to paste runs, and the page's CHECKs hold.
minitorch_docs_test(test_monitor_docs monitor.md)

# Documentation that is compiled and run, so it cannot rot. Included by tests/CMakeLists.txt after the doctest set-up
# (it uses include(doctest) and the minitorch_doctest_main object library defined there).
#
# docs/custom-layer.md, the tutorial that writes a layer from scratch, is a test: at build time every ```cpp block of
# the page is concatenated, in page order, into custom_layer_tutorial.cpp in the build tree (docs/extract_snippets.cmake,
# re-run whenever the page changes), and that file is compiled with the same warnings-as-errors as every other test.
# Its TEST_CASEs live in the page's own code blocks; #line directives make compile errors and failed CHECKs point at
# the page's lines. Run it with `ctest -R test_custom_layer_tutorial` or the executable of the same name.

set(minitorch_docs_dir ${CMAKE_CURRENT_LIST_DIR}/../docs)
cmake_path(NORMAL_PATH minitorch_docs_dir)
set(minitorch_tutorial_page ${minitorch_docs_dir}/custom-layer.md)
set(minitorch_tutorial_source ${CMAKE_CURRENT_BINARY_DIR}/custom_layer_tutorial.cpp)

add_custom_command(
  OUTPUT ${minitorch_tutorial_source}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${minitorch_tutorial_page} -DOUTPUT=${minitorch_tutorial_source}
          -P ${minitorch_docs_dir}/extract_snippets.cmake
  DEPENDS ${minitorch_tutorial_page} ${minitorch_docs_dir}/extract_snippets.cmake
  COMMENT "Extracting the C++ code blocks of docs/custom-layer.md"
  VERBATIM)

add_executable(test_custom_layer_tutorial ${minitorch_tutorial_source})
target_link_libraries(test_custom_layer_tutorial PRIVATE minitorch::compiled minitorch_doctest_main
                                                         minitorch_project_options)
doctest_discover_tests(test_custom_layer_tutorial TEST_PREFIX "test_custom_layer_tutorial: ")

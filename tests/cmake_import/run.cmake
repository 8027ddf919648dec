# Packaging test driver (cmake -P). MODE=install (default): configure minitorch alone, install it into a temporary
# prefix, then configure/build/run tests/cmake_import/consumer with find_package(minitorch CONFIG REQUIRED) pointed at
# that prefix. MODE=subdirectory: build tests/cmake_import/subdir_consumer, which add_subdirectory()s the source tree.
# Each builds main.cpp twice: header-only (minitorch::minitorch) and with the compiled part (minitorch::compiled).
if(NOT MODE)
  set(MODE install)
endif()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging test: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "packaging test: ${what}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "install")
  set(prefix ${WORK_DIR}/prefix)
  run_step("configure minitorch" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib-build
           -DCMAKE_INSTALL_PREFIX=${prefix} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
           -DMINITORCH_BUILD_TESTS=OFF -DMINITORCH_BUILD_EXAMPLES=OFF -DMINITORCH_BUILD_BENCHMARKS=OFF)
  run_step("build minitorch (the compiled part)" ${CMAKE_COMMAND} --build ${WORK_DIR}/lib-build -j 2)
  run_step("install minitorch" ${CMAKE_COMMAND} --install ${WORK_DIR}/lib-build)
  run_step("configure consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake_import/consumer -B ${WORK_DIR}/app-build
           -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
else()
  run_step("configure consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake_import/subdir_consumer
           -B ${WORK_DIR}/app-build -DMINITORCH_SOURCE=${SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
           -DCMAKE_BUILD_TYPE=Release)
endif()
run_step("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/app-build -j 2)
# Both modes (README, "Using minitorch from CMake"): header-only, and linked with the compiled part.
foreach(consumer IN ITEMS consumer consumer_compiled)
  run_step("run ${consumer}" ${WORK_DIR}/app-build/${consumer})
  if(NOT last_output MATCHES "consumer ok")
    message(FATAL_ERROR "packaging test: ${consumer} ran but did not print 'consumer ok':\n${last_output}")
  endif()
endforeach()

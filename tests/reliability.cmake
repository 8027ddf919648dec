# Reliability tests in the normal suite (issue 8; docs/reliability.md). Included at the end of tests/CMakeLists.txt,
# after the executables of the test_*.cpp files exist:
#   test_faults             divergence, unwritable/full save locations, checkpoints and data folders that do not fit,
#                           mostly through the MNIST example executable (its path is compiled in)
#   test_fuzz_regressions   replays the fuzz seed corpora and every crash the fuzzers found (tests/fuzz/)
#   test_thread_safety      what docs/reliability.md promises about threads
#   "cli: ..."              every executable's bad flags: exit status 2, a one-line reason, the usage
# The fuzzers themselves are a separate clang build: tests/fuzz/CMakeLists.txt, run by scripts/fuzz.
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

foreach(target IN ITEMS test_faults test_fuzz_regressions test_thread_safety)
  if(TARGET ${target})
    target_link_libraries(${target} PRIVATE ZLIB::ZLIB nlohmann_json::nlohmann_json)
  endif()
endforeach()
if(TARGET test_fuzz_regressions)
  target_compile_definitions(test_fuzz_regressions PRIVATE
                             MINITORCH_FUZZ_DIR="${CMAKE_CURRENT_LIST_DIR}/fuzz")
endif()

# The examples are added after tests/ (top-level CMakeLists.txt), so their targets are referred to by name only
# (generator expressions and dependencies are resolved when the build system is generated).
if(NOT MINITORCH_BUILD_EXAMPLES)
  return()
endif()

foreach(target IN ITEMS test_faults test_mnist_report)  # they run the example (tests/support/mnist_example.hpp)
  if(TARGET ${target})
    target_compile_definitions(${target} PRIVATE MINITORCH_MNIST_EXE="$<TARGET_FILE:mnist>")
    add_dependencies(${target} mnist)
  endif()
endforeach()

# cli: <program> <arguments> - exit 2 with a one-line reason matching `reason` (a regex) and the usage.
function(minitorch_usage_error_test program reason)
  string(REPLACE ";" " " shown "${ARGN}")
  set(name "cli: ${program} ${shown}")
  add_test(NAME "${name}"
           COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:${program}> -DPROGRAM=${program} -DREASON=${reason}
                   -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/cli/expect_usage_error.cmake -- ${ARGN})
endfunction()

# Paths are relative to the test's working directory (the build's tests/ folder), which exists.
minitorch_usage_error_test(mnist "^The following argument was not expected: --bogus$" --bogus)
minitorch_usage_error_test(mnist "^The following argument was not expected: stray$" stray)
minitorch_usage_error_test(mnist "^--lr: expected a number from 0 to 100, got 'abc'$" --lr abc)
minitorch_usage_error_test(mnist "^--lr: expected a number from 0 to 100, got 'nan'$" --lr nan)
minitorch_usage_error_test(mnist "^--epochs: expected a whole number from 1 to 10000, got 'ten'$" --epochs ten)
minitorch_usage_error_test(mnist "^--epochs: expected a whole number from 1 to 10000, got '-1'$" --epochs -1)
minitorch_usage_error_test(mnist "^--epochs: expected a whole number from 1 to 10000, got '0'$" --epochs 0)
minitorch_usage_error_test(mnist "^--epochs: expected a whole number from 1 to 10000, got '2.5'$" --epochs 2.5)
minitorch_usage_error_test(mnist "^--batch-size: expected a whole number from 1 to 60000, got '0'$" --batch-size 0)
minitorch_usage_error_test(mnist "^--seed: expected a whole number from 0 to [0-9]+, got '-3'$" --seed -3)
minitorch_usage_error_test(mnist "^--epochs: 1 required .* missing$" --epochs)
minitorch_usage_error_test(mnist "^--data: folder no-such-folder does not exist \\(run scripts/fetch-mnist\\)$"
                           --data no-such-folder)
minitorch_usage_error_test(mnist "^--save: folder no-such-folder does not exist \\(or is not a folder\\)$"
                           --data . --save no-such-folder/model.safetensors)
minitorch_usage_error_test(mnist "^--load: File does not exist: no-such-folder/model.safetensors$"
                           --load no-such-folder/model.safetensors)
minitorch_usage_error_test(mnist "^--eval-only needs --load <weights.safetensors>$" --data . --eval-only)
# Flags that used to be accepted and then ignored or failing later (issue 15): the help's ranges and the checks agree.
minitorch_usage_error_test(mnist "^--max-lr: expected a number above 0 up to 100, got '0'$" --max-lr 0)
minitorch_usage_error_test(mnist "^--gamma: expected a number above 0 up to 1, got '0'$" --gamma 0)
minitorch_usage_error_test(mnist "^--plot needs --csv \\(the curves are drawn from the metrics file\\)$"
                           --data . --plot curves.png)
minitorch_usage_error_test(mnist "^--eval-only trains nothing, so --save would write nothing; drop one of the two$"
                           --data . --eval-only --load CTestTestfile.cmake --save x.safetensors)
minitorch_usage_error_test(mnist "^--eval-only trains nothing, so --csv would write nothing; drop one of the two$"
                           --data . --eval-only --load CTestTestfile.cmake --csv x.csv)

# toy_backprop has no epochs, batch or data flags: its counterparts are --iterations and the number lists.
minitorch_usage_error_test(toy_backprop "^unknown flag '--bogus'$" --bogus 1)
minitorch_usage_error_test(toy_backprop "^unexpected argument 'stray'$" stray)
minitorch_usage_error_test(toy_backprop "^--lrs: 'abc' is not a finite number$" --lrs abc)
minitorch_usage_error_test(toy_backprop "^--lrs: learning rates must be > 0, got -0.5$" --lrs -0.5)
minitorch_usage_error_test(toy_backprop "^--iterations: expected a whole number from 0 to 1000000, got '-1'$"
                           --iterations -1)
minitorch_usage_error_test(toy_backprop "^--csv: missing value$" --csv)
# Biases (issue 18): each bad --biases names the two numbers it expected and what came instead.
minitorch_usage_error_test(toy_backprop
                           "^--biases: expected 2 comma-separated numbers \\(b1,b2\\), got 1 in '0\\.35'$"
                           --biases 0.35)
minitorch_usage_error_test(toy_backprop
                           "^--biases: expected 2 comma-separated numbers \\(b1,b2\\), got 3 in '1,2,3'$"
                           --biases 1,2,3)
minitorch_usage_error_test(toy_backprop "^--biases: 'nan' is not a finite number$" --biases nan,0.6)
minitorch_usage_error_test(toy_backprop "^--biases: 'inf' is not a finite number$" --biases 0.35,inf)
minitorch_usage_error_test(toy_backprop "^--biases: 'abc' is not a finite number$" --biases abc,0.6)
minitorch_usage_error_test(toy_backprop
                           "^--biases: expected 2 comma-separated numbers \\(b1,b2\\), got an empty value$"
                           --biases=)
minitorch_usage_error_test(toy_backprop
                           "^--train-biases needs --biases b1,b2 \\(the biases' starting values\\); the network has none$"
                           --train-biases)

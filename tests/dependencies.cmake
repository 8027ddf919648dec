# Link dependencies of the optional headers (included by tests/CMakeLists.txt after it has created one executable per
# test file). The core needs only Eigen; these parts bring their own library:
#   minitorch/data/*  (IDX reader, MNIST loader)  zlib          Debian: zlib1g-dev
#   minitorch/io/safetensors.hpp                  nlohmann-json Debian: nlohmann-json3-dev
#   minitorch/io/png.hpp (PNG writer)             zlib          Debian: zlib1g-dev
find_package(ZLIB REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

foreach(target IN ITEMS test_idx test_mnist_loader test_train_loop test_monitor test_png)
  if(TARGET ${target})
    target_link_libraries(${target} PRIVATE ZLIB::ZLIB)
  endif()
endforeach()
if(TARGET test_safetensors)
  target_link_libraries(test_safetensors PRIVATE nlohmann_json::nlohmann_json)
endif()
# The MNIST report's pictures (examples/mnist/report_images.cpp) are tested with the example's own source.
if(TARGET test_report_images)
  target_sources(test_report_images PRIVATE ${PROJECT_SOURCE_DIR}/examples/mnist/report_images.cpp)
  target_include_directories(test_report_images PRIVATE ${PROJECT_SOURCE_DIR}/examples/mnist)
endif()

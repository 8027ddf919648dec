// Builds the tests' precompiled header (tests/CMakeLists.txt: doctest and <minitorch/minitorch.hpp>, parsed once per
// build instead of once per test file); every test executable reuses it. Nothing else is compiled here.

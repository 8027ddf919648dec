// Test support: the message of the exception a piece of code throws, for tests that compare error texts exactly.
#pragma once

#include <string>

namespace test_support {

/// The what() of the `Error` that f() throws, or `none` when f() returns normally (so a CHECK comparing the message
/// fails showing that). An exception of another type propagates: the test case fails with it.
template <class Error, class F>
std::string message_of(F&& f, const std::string& none = "no error") {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return none;
}

}  // namespace test_support

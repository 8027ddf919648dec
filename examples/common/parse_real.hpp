// The examples' one number parser for flags: text → double, all of the text or nothing.
//
// std::from_chars for double is what the examples would use, but the LLVM libc++ of Debian 12 (and of many macOS
// machines) does not have it, and scripts/check-headers compiles the examples against that library. So this is
// std::strtod, with what strtod takes and from_chars does not refused first: leading white space, a '+' sign,
// hexadecimal ("0x1p3"). strtod reads the C locale's decimal point, which is '.' unless the program calls setlocale
// (the examples do not).
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>

namespace examples {

/// True and v = the number when text is one, in from_chars' forms ("-1.5", "2e-3", "inf", "nan") and in double's
/// range; false for anything else (an empty text, "1.5x", " 1", "+1", "0x10", "1e400").
inline bool parse_real(std::string_view text, double& v) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || text[0] == '+') return false;
    const std::string s(text);  // NUL-terminated for strtod; an embedded NUL ends the parse early: refused below
    const std::size_t first_digit = s[0] == '-' ? 1 : 0;
    if (s.size() > first_digit + 1 && s[first_digit] == '0' && (s[first_digit + 1] == 'x' || s[first_digit + 1] == 'X'))
        return false;
    errno = 0;
    char* end = nullptr;
    const double parsed = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || errno == ERANGE) return false;
    v = parsed;
    return true;
}

}  // namespace examples

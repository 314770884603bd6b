#pragma once
// Long doubles as Redis reads and writes them as text (INCRBYFLOAT, HINCRBYFLOAT): one
// definition, so the string and hash families parse and print increments identically.

#include <string>
#include <string_view>

namespace eddy {

// Redis's string2ld: strtold over the whole text; rejects empty, too long (Redis's
// MAX_LONG_DOUBLE_CHARS), leading space, trailing bytes, NaN and out-of-range results.
// Accepts "inf" (callers that refuse infinities check the result).
bool parse_long_double(std::string_view text, long double* out);

// Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf" (17 digits after the point, never an
// exponent), then trailing zeros and a bare point dropped, and "-0" written "0". `value` is
// finite. Returns the text, which lives in `small` or `large`.
std::string_view format_long_double_human(long double value, char (&small)[64], std::string& large);

}  // namespace eddy

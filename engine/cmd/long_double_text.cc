#include "engine/cmd/long_double_text.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"

namespace eddy {

bool parse_long_double(std::string_view text, long double* out) {
  constexpr std::size_t kLongDoubleCharsMax = 5 * 1024;
  if (text.empty() || text.size() >= kLongDoubleCharsMax) return false;
  if (std::isspace(static_cast<unsigned char>(text.front())) != 0) return false;
  const TerminatedCopy copy(text);
  const char* terminated = copy.c_str();
  char* end = nullptr;
  errno = 0;
  const long double value = std::strtold(terminated, &end);
  if (static_cast<std::size_t>(end - terminated) != text.size()) return false;
  if (errno == ERANGE && (std::isinf(value) || value == 0.0L)) return false;
  if (errno == EINVAL || std::isnan(value)) return false;
  *out = value;
  return true;
}

std::string_view format_long_double_human(long double value, char (&small)[64],
                                          std::string& large) {
  char* text = small;
  int length = std::snprintf(small, sizeof(small), "%.17Lf", value);
  ASSERT_GT(length, 0);
  if (static_cast<std::size_t>(length) >= sizeof(small)) {
    // Only for magnitudes above ~1e45; the widest long double needs ~4950 characters.
    large.resize(static_cast<std::size_t>(length) + 1);
    length = std::snprintf(large.data(), large.size(), "%.17Lf", value);
    text = large.data();
  }
  auto size = static_cast<std::size_t>(length);
  if (std::memchr(text, '.', size) != nullptr) {
    while (text[size - 1] == '0') --size;
    if (text[size - 1] == '.') --size;
  }
  if (size == 2 && text[0] == '-' && text[1] == '0') {
    text[0] = '0';
    size = 1;
  }
  return {text, size};
}

}  // namespace eddy

#include "engine/kv/value.h"

#include <charconv>
#include <limits>

namespace eddy::kv {

Value Value::clone() const {
  Value copy;
  copy.str_ = str_.clone();  // the user byte (type, encoding) comes along
  return copy;
}

void Value::set_string(std::string_view text) {
  std::int64_t number;
  if (parse_canonical_int(text, &number)) {
    set_int(number);
    return;
  }
  str_.assign(text);
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString));
}

void Value::set_int(std::int64_t number) {
  char raw[sizeof(number)];
  std::memcpy(raw, &number, sizeof(number));
  str_.assign(std::string_view(raw, sizeof(raw)));
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString) | kIntFlag);
}

std::size_t Value::string_length() const {
  if (!is_int()) return str_.size();
  char scratch[kIntScratchBytes];
  return format_int(as_int(), scratch).size();
}

SmallString& Value::mutable_string() {
  if (is_int()) {
    char scratch[kIntScratchBytes];
    str_.assign(format_int(as_int(), scratch));
    str_.set_user_byte(static_cast<std::uint8_t>(Type::kString));
  }
  return str_;
}

std::string_view Value::format_int(std::int64_t number, char (&scratch)[kIntScratchBytes]) {
  const std::to_chars_result result = std::to_chars(scratch, scratch + kIntScratchBytes, number);
  ASSERT(result.ec == std::errc());
  return std::string_view(scratch, static_cast<std::size_t>(result.ptr - scratch));
}

bool Value::parse_canonical_int(std::string_view text, std::int64_t* number) {
  // 20 characters: "-9223372036854775808"; longer text cannot be canonical.
  if (text.empty() || text.size() > 20) return false;
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) {
    i = 1;
    if (text.size() == 1) return false;
  }
  if (text[i] == '0') {
    // "0" is canonical; "-0" and "01" are not.
    if (text.size() != 1) return false;
    *number = 0;
    return true;
  }
  std::uint64_t magnitude = 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (; i < text.size(); ++i) {
    const unsigned digit = static_cast<unsigned char>(text[i]) - static_cast<unsigned>('0');
    if (digit > 9) return false;
    if (magnitude > (kMax - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  constexpr std::uint64_t kMaxPositive = std::numeric_limits<std::int64_t>::max();
  if (negative) {
    if (magnitude > kMaxPositive + 1) return false;
    // Negate in unsigned arithmetic so INT64_MIN does not overflow.
    *number = static_cast<std::int64_t>(0 - magnitude);
  } else {
    if (magnitude > kMaxPositive) return false;
    *number = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

}  // namespace eddy::kv

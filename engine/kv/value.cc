#include "engine/kv/value.h"

#include <xxhash.h>

#include <charconv>
#include <limits>

namespace eddy::kv {

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kString:
      return "string";
    case Type::kList:
      return "list";
    case Type::kSet:
      return "set";
    case Type::kZSet:
      return "zset";
    case Type::kHash:
      return "hash";
  }
  UNREACHABLE();
}

std::string_view encoding_name(Encoding encoding) {
  switch (encoding) {
    case Encoding::kRaw:
      return "raw";
    case Encoding::kInt:
      return "int";
    case Encoding::kEmbstr:
      return "embstr";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kQuicklist:
      return "quicklist";
    case Encoding::kIntset:
      return "intset";
    case Encoding::kHashtable:
      return "hashtable";
    case Encoding::kSkiplist:
      return "skiplist";
  }
  UNREACHABLE();
}

std::uint64_t digest_bytes(std::string_view bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

Value Value::of(std::unique_ptr<Collection> collection) {
  ASSERT(collection != nullptr);
  const Type type = collection->type();
  ASSERT(type != Type::kString);
  Collection* raw = collection.release();
  char bytes[sizeof(raw)];
  std::memcpy(bytes, &raw, sizeof(raw));
  Value value;
  value.str_.assign(std::string_view(bytes, sizeof(bytes)));
  value.str_.set_user_byte(static_cast<std::uint8_t>(type) | kCollectionFlag);
  return value;
}

Value Value::clone() const {
  if (is_collection()) return of(collection().clone());
  Value copy;
  copy.str_ = str_.clone();  // the user byte (type, encoding) comes along
  return copy;
}

Encoding Value::encoding() const {
  if (is_collection()) return collection().encoding();
  if (is_int()) return Encoding::kInt;
  // Redis keeps strings of up to 44 bytes in one allocation with their header ("embstr") and
  // longer ones separately ("raw"). eddy's split is different (22 bytes inline), but OBJECT
  // ENCODING answers by Redis's rule so clients and tests that look at it see what they expect.
  constexpr std::size_t kEmbstrBytesMax = 44;
  if ((bits() & kRawFlag) != 0) return Encoding::kRaw;
  return str_.size() <= kEmbstrBytesMax ? Encoding::kEmbstr : Encoding::kRaw;
}

void Value::set_string(std::string_view text) {
  std::int64_t number;
  if (parse_canonical_int(text, &number)) {
    set_int(number);
    return;
  }
  destroy_collection();
  str_.assign(text);
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString));
}

void Value::set_bytes(std::string_view text) {
  destroy_collection();
  str_.assign(text);
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString));
}

void Value::set_int(std::int64_t number) {
  destroy_collection();
  char raw[sizeof(number)];
  std::memcpy(raw, &number, sizeof(number));
  str_.assign(std::string_view(raw, sizeof(raw)));
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString) | kIntFlag);
}

std::size_t Value::string_length() const {
  ASSERT(is_string());
  if (!is_int()) return str_.size();
  char scratch[kIntScratchBytes];
  return format_int(as_int(), scratch).size();
}

SmallString& Value::mutable_string() {
  ASSERT(is_string());
  if (is_int()) {
    char scratch[kIntScratchBytes];
    str_.assign(format_int(as_int(), scratch));
  }
  str_.set_user_byte(static_cast<std::uint8_t>(Type::kString) | kRawFlag);
  return str_;
}

std::uint64_t Value::digest() const {
  if (is_collection()) {
    // Mix the type in so an empty-looking hash and set differ.
    return collection().digest() ^ (0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(type()) + 1));
  }
  char scratch[kIntScratchBytes];
  return digest_bytes(view(scratch));
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

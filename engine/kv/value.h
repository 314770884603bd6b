#pragma once
// Value: what a key maps to. For now only Redis strings exist; the type tag is there so lists,
// hashes, ... can be added without changing Entry.
//
// A string whose text is the canonical decimal form of an int64 is stored as the integer
// (Redis's OBJ_ENCODING_INT): INCR and friends then work on the number directly, and the
// text is produced on demand into a caller-supplied scratch buffer. Other strings are bytes in
// a SmallString.
//
// Representation: a single SmallString (24 bytes). Its user byte holds the type (low nibble)
// and the int-encoding flag; an int-encoded value keeps the int64's 8 raw bytes inline in the
// SmallString, so no form of Value ever needs more than the 24 bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/kv/small_string.h"

namespace eddy::kv {

class Value {
 public:
  enum class Type : std::uint8_t { kString = 0 };

  // Enough for any int64 in decimal ("-9223372036854775808" is 20 characters).
  static constexpr std::size_t kIntScratchBytes = 24;

  Value() = default;  // the empty string
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;
  ~Value() = default;

  Value clone() const;

  Type type() const { return static_cast<Type>(bits() & kTypeMask); }

  // Stores `text`, int-encoded when it is an int64's canonical decimal form.
  void set_string(std::string_view text);
  void set_int(std::int64_t number);

  bool is_int() const { return (bits() & kIntFlag) != 0; }
  std::int64_t as_int() const {
    ASSERT(is_int());
    std::int64_t number;
    std::memcpy(&number, str_.data(), sizeof(number));
    return number;
  }

  // The value's bytes; an int-encoded value is formatted into `scratch`, so the view lives no
  // longer than both this value and `scratch`.
  std::string_view view(char (&scratch)[kIntScratchBytes]) const {
    if (is_int()) return format_int(as_int(), scratch);
    return str_.view();
  }
  std::size_t string_length() const;

  // The bytes for in-place editing (APPEND, SETRANGE); converts the int encoding to bytes
  // first. The result stays byte-encoded even if edited into a number, like Redis.
  SmallString& mutable_string();

  std::size_t heap_bytes() const { return str_.heap_bytes(); }

  // True when `text` is exactly how an int64 prints: optional '-', no leading zeros (except
  // "0" itself), no '+', no spaces, within int64 range; then stores it in *number.
  static bool parse_canonical_int(std::string_view text, std::int64_t* number);

 private:
  static constexpr std::uint8_t kTypeMask = 0x0F;
  static constexpr std::uint8_t kIntFlag = 0x80;

  std::uint8_t bits() const { return str_.user_byte(); }
  static std::string_view format_int(std::int64_t number, char (&scratch)[kIntScratchBytes]);

  SmallString str_;
};

static_assert(sizeof(Value) <= 24);

}  // namespace eddy::kv

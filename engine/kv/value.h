#pragma once
// Value: what a key maps to: a Redis string, hash, list, set or sorted set (HyperLogLog and
// bitmaps are strings, as in Redis).
//
// Strings. A string whose text is the canonical decimal form of an int64 is stored as the
// integer (Redis's OBJ_ENCODING_INT): INCR and friends work on the number directly, and the
// text is produced on demand into a caller-supplied scratch buffer. Other strings are bytes in
// a SmallString, inline up to 22 bytes.
//
// Collections. A hash, list, set or sorted set is a heap object derived from `Collection`
// (one class per type family, each with its small flat encoding and its large form; see
// engine/kv/*_value.h). The Value owns it: destroying or overwriting the Value destroys it.
//
// Representation: a single SmallString (24 bytes), so an Entry stays within its slot budget
// whatever the type. Its user byte holds the type (low nibble) and two flags: int-encoded
// string, or collection. An int-encoded string keeps the int64's 8 raw bytes inline; a
// collection keeps its pointer's 8 raw bytes inline. No form of Value needs more than 24 bytes.
//
// Memory accounting: memory_bytes() is O(1) for every type (collections keep a running count
// of their own allocations), so the write path can keep each shard's used memory exact
// without walking anything.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/small_string.h"

namespace eddy::kv {

// Redis's type numbering (OBJ_STRING .. OBJ_HASH), so TYPE, SCAN TYPE and a future RDB
// interchange agree on it.
enum class Type : std::uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4 };

// OBJECT ENCODING's vocabulary (Redis's names, see encoding_name()).
enum class Encoding : std::uint8_t {
  kRaw,
  kInt,
  kEmbstr,
  kListpack,
  kQuicklist,
  kIntset,
  kHashtable,
  kSkiplist,
};

std::string_view type_name(Type type);       // "string", "list", "set", "zset", "hash"
std::string_view encoding_name(Encoding e);  // "raw", "int", "embstr", "listpack", ...

// The heap part of a hash, list, set or sorted set. Each family derives one class; virtual
// calls happen only on paths that do not know the type (destroy, clone, memory, digest), never
// in a family's own commands, which cast to their class once.
class Collection {
 public:
  Collection() = default;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  virtual ~Collection() = default;

  virtual Type type() const = 0;
  virtual Encoding encoding() const = 0;
  // Elements (fields, members, items).
  virtual std::size_t size() const = 0;
  // Every byte this object holds on the heap, itself included. O(1).
  virtual std::size_t memory_bytes() const = 0;
  // A deep copy (COPY, cross-shard moves). The copy may use either encoding of the type.
  virtual std::unique_ptr<Collection> clone() const = 0;
  // A digest of the contents that depends only on what the value means (not on its encoding
  // nor, for hashes and sets, on the order of elements), as Redis's DEBUG DIGEST-VALUE.
  virtual std::uint64_t digest() const = 0;
  // Calls `emit` with Redis commands that build this value at `key` from nothing (RPUSH, SADD,
  // HSET, ZADD ...; args[0] is the command name), each with a bounded number of elements. The
  // effect of moving a value between shards (RENAME, COPY across shards) is built from these.
  virtual void rebuild(std::string_view key,
                       FunctionRef<void(std::span<const std::string_view>)> emit) const = 0;
};

class Value {
 public:
  using Type = kv::Type;
  // Enough for any int64 in decimal ("-9223372036854775808" is 20 characters).
  static constexpr std::size_t kIntScratchBytes = 24;

  Value() = default;  // the empty string
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;
  Value(Value&& other) noexcept : str_(std::move(other.str_)) {}
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      destroy_collection();
      str_ = std::move(other.str_);
    }
    return *this;
  }
  ~Value() { destroy_collection(); }

  // A collection value taking ownership of `collection` (not null).
  static Value of(std::unique_ptr<Collection> collection);

  Value clone() const;

  Type type() const { return static_cast<Type>(bits() & kTypeMask); }
  bool is_string() const { return type() == Type::kString; }
  bool is_collection() const { return (bits() & kCollectionFlag) != 0; }
  Encoding encoding() const;

  // ---- strings
  // Stores `text`, int-encoded when it is an int64's canonical decimal form. Replaces any
  // collection this value held.
  void set_string(std::string_view text);
  void set_int(std::int64_t number);
  // Stores `text` as bytes even when it reads as an integer: what Redis does with the result of
  // INCRBYFLOAT (OBJECT ENCODING answers embstr, not int).
  void set_bytes(std::string_view text);

  bool is_int() const { return (bits() & kIntFlag) != 0; }
  std::int64_t as_int() const {
    ASSERT(is_int());
    std::int64_t number;
    std::memcpy(&number, str_.data(), sizeof(number));
    return number;
  }

  // The string's bytes; an int-encoded value is formatted into `scratch`, so the view lives no
  // longer than both this value and `scratch`.
  std::string_view view(char (&scratch)[kIntScratchBytes]) const {
    ASSERT(is_string());
    if (is_int()) return format_int(as_int(), scratch);
    return str_.view();
  }
  std::size_t string_length() const;

  // The bytes for in-place editing (APPEND, SETRANGE, SETBIT); converts the int encoding to
  // bytes first. The result stays byte-encoded even if edited into a number, and OBJECT
  // ENCODING calls it "raw" from then on whatever its length, like Redis (whose in-place edits
  // first unshare the string into a raw one). set_string / set_int clear that.
  SmallString& mutable_string();

  // ---- collections
  Collection& collection() const {
    ASSERT(is_collection());
    Collection* pointer;
    std::memcpy(&pointer, str_.data(), sizeof(pointer));
    return *pointer;
  }
  // The collection as its family's class; the type must match.
  template <typename T>
  T& as() const {
    ASSERT(type() == T::kType);
    return static_cast<T&>(collection());
  }

  // Heap bytes held by this value (not counting the 24 bytes of the Value itself). O(1).
  std::size_t memory_bytes() const {
    if (is_collection()) return collection().memory_bytes();
    return str_.heap_bytes();
  }

  // DEBUG DIGEST-VALUE: depends on the type and contents only.
  std::uint64_t digest() const;

  // True when `text` is exactly how an int64 prints: optional '-', no leading zeros (except
  // "0" itself), no '+', no spaces, within int64 range; then stores it in *number.
  static bool parse_canonical_int(std::string_view text, std::int64_t* number);
  static std::string_view format_int(std::int64_t number, char (&scratch)[kIntScratchBytes]);

 private:
  static constexpr std::uint8_t kTypeMask = 0x0F;
  static constexpr std::uint8_t kRawFlag = 0x20;
  static constexpr std::uint8_t kCollectionFlag = 0x40;
  static constexpr std::uint8_t kIntFlag = 0x80;

  std::uint8_t bits() const { return str_.user_byte(); }
  void destroy_collection() {
    if (is_collection()) {
      delete &collection();
      str_.assign(std::string_view("", 0));  // not {}: memmove from a null pointer is UB
      str_.set_user_byte(0);
    }
  }

  SmallString str_;
};

static_assert(sizeof(Value) <= 24);

// A digest of bytes, shared by every family so element digests combine the same way.
std::uint64_t digest_bytes(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace eddy::kv

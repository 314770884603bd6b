#pragma once
// SmallString: the byte string used for keys and string values. Exactly 24 bytes so that an
// Entry (key + value + expiry) fits in one 64-byte slot budget; up to 22 bytes live inline,
// which covers most real keys and small values without touching the allocator.
//
// Layout (little-endian x86-64 is the target; static_assert below):
//   inline:  bytes[0..22)  the characters
//   heap:    bytes[0..8)   char* data (malloc'ed)
//            bytes[8..16)  size
//            bytes[16..22) capacity, 48 bits (strings are bounded far below 2^48)
//   always:  bytes[22]     user byte: owned by whoever embeds the string (Value keeps its type
//                          tag and encoding there, so Value stays 24 bytes); preserved by every
//                          operation except moves-from and default construction, which zero it
//            bytes[23]     tag: 0..22 = inline size, kHeapTag = heap
// Invariant: the string is on the heap if and only if its size exceeds kInlineCapacity; so
// equal strings have equal representations and short strings never pin a heap buffer.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/base/assert.h"

namespace eddy::kv {

class SmallString {
 public:
  static constexpr std::size_t kInlineCapacity = 22;
  static constexpr std::size_t kMaxSize = (std::size_t{1} << 48) - 1;

  SmallString() noexcept { std::memset(bytes_, 0, sizeof(bytes_)); }
  explicit SmallString(std::string_view text) {
    std::memset(bytes_, 0, sizeof(bytes_));
    assign(text);
  }
  SmallString(const SmallString&) = delete;
  SmallString& operator=(const SmallString&) = delete;
  SmallString(SmallString&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof(bytes_));
    std::memset(other.bytes_, 0, sizeof(other.bytes_));
  }
  SmallString& operator=(SmallString&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof(bytes_));
      std::memset(other.bytes_, 0, sizeof(other.bytes_));
    }
    return *this;
  }
  ~SmallString() { release(); }

  // A deep copy (including the user byte). Copies are explicit because they may allocate.
  SmallString clone() const;

  std::string_view view() const {
    if (is_inline()) return {bytes_, tag()};
    return {heap_data(), heap_size()};
  }
  const char* data() const { return is_inline() ? bytes_ : heap_data(); }
  std::size_t size() const { return is_inline() ? tag() : heap_size(); }
  bool empty() const { return size() == 0; }

  // Replaces the contents. `text` may point into this string. A heap buffer is reused when it
  // is large enough and at most twice too big, so overwriting a value with one of a similar
  // size does not allocate.
  void assign(std::string_view text) {
    if (text.size() <= kInlineCapacity && is_inline()) {
      std::memmove(bytes_, text.data(), text.size());
      set_tag(static_cast<std::uint8_t>(text.size()));
      return;
    }
    assign_slow(text);
  }

  // Appends `text` (which may point into this string); heap capacity grows geometrically.
  void append(std::string_view text);

  // Grows (zero-filled) or shrinks to `n` bytes; returns the mutable bytes (valid until the
  // next mutation). Used by SETRANGE-like in-place edits: resize(size()) just returns them.
  char* resize(std::size_t n);

  // Bytes held on the heap (its capacity), 0 when inline.
  std::size_t heap_bytes() const { return is_inline() ? 0 : heap_capacity(); }

  std::uint8_t user_byte() const { return static_cast<std::uint8_t>(bytes_[kUserByteIndex]); }
  void set_user_byte(std::uint8_t value) { bytes_[kUserByteIndex] = static_cast<char>(value); }

 private:
  static constexpr std::size_t kUserByteIndex = 22;
  static constexpr std::size_t kTagIndex = 23;
  static constexpr std::uint8_t kHeapTag = 0xFF;
  static constexpr std::uint64_t kCapacityMask = (std::uint64_t{1} << 48) - 1;

  std::uint8_t tag() const { return static_cast<std::uint8_t>(bytes_[kTagIndex]); }
  void set_tag(std::uint8_t value) { bytes_[kTagIndex] = static_cast<char>(value); }
  bool is_inline() const { return tag() <= kInlineCapacity; }

  char* heap_data() const {
    char* pointer;
    std::memcpy(&pointer, bytes_, sizeof(pointer));
    return pointer;
  }
  std::size_t heap_size() const {
    std::uint64_t n;
    std::memcpy(&n, bytes_ + 8, sizeof(n));
    return static_cast<std::size_t>(n);
  }
  std::size_t heap_capacity() const {
    std::uint64_t word;
    std::memcpy(&word, bytes_ + 16, sizeof(word));
    return static_cast<std::size_t>(word & kCapacityMask);
  }
  void set_heap_size(std::size_t n) {
    const std::uint64_t word = n;
    std::memcpy(bytes_ + 8, &word, sizeof(word));
  }
  // Installs a heap buffer (the caller has released the previous one); keeps the user byte.
  void set_heap(char* pointer, std::size_t n, std::size_t capacity);
  void release() {
    if (!is_inline()) free_heap(heap_data());
  }
  static void free_heap(char* pointer);
  void assign_slow(std::string_view text);

  alignas(8) char bytes_[24];
};

static_assert(sizeof(SmallString) == 24);
static_assert(std::endian::native == std::endian::little,
              "SmallString packs its capacity and tag bytes assuming little-endian words");

}  // namespace eddy::kv

#pragma once
// Listpack: the small, flat form of every collection (Redis's listpack idea, not its format).
// A hash of 10 fields, a list of 50 items or a sorted set of 10 members is one heap buffer of
// byte strings laid end to end, so it costs its payload plus 2-4 bytes per element, and a scan
// over it touches consecutive cache lines only.
//
// Entry layout: [forward length: LEB128 varint][bytes][backward length: the same varint with
// its bytes reversed]. The forward length lets a cursor step to the next entry, the backward
// one to the previous, so both ends of a list are O(1) to reach and a walk either way is
// linear. Positions are byte offsets into the buffer (`Pos`); `end()` is one past the last
// entry. Any insert or erase invalidates positions after the point of change; the mutators
// return the position the caller continues from.
//
// Bounds: the buffer is at most kMaxBytes (families convert to their large form far earlier,
// at Redis's thresholds); every mutator asserts it. Integers are stored as their decimal text
// (callers that keep numbers, such as sorted-set scores, choose their own fixed encoding).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/base/assert.h"

namespace eddy::kv {

class Listpack {
 public:
  using Pos = std::uint32_t;
  static constexpr std::size_t kMaxBytes = std::size_t{1} << 30;
  // Entries one listpack can hold: families convert before (whatever CONFIG allows).
  static constexpr std::uint32_t kEntriesMax = (1u << 24) - 1;

  Listpack() = default;
  Listpack(const Listpack&) = delete;
  Listpack& operator=(const Listpack&) = delete;
  Listpack(Listpack&& other) noexcept { steal(other); }
  Listpack& operator=(Listpack&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  ~Listpack() { release(); }

  Listpack clone() const;

  std::size_t size() const { return count_; }  // entries
  bool empty() const { return count_ == 0; }
  std::size_t used_bytes() const { return used_; }
  // Heap bytes held (the buffer's capacity); the object itself lives in its owner.
  std::size_t heap_bytes() const { return capacity(); }

  Pos begin() const { return 0; }
  Pos end() const { return used_; }
  // The last entry's position; the list must not be empty.
  Pos last() const {
    ASSERT(count_ > 0);
    return prev(used_);
  }

  // The entry at `pos` (< end()).
  std::string_view get(Pos pos) const;
  Pos next(Pos pos) const;
  // The entry before `pos` (> begin()).
  Pos prev(Pos pos) const;
  // The position of the index-th entry (0-based; < size()), walking from the nearer end.
  Pos seek(std::size_t index) const;

  // Inserts `bytes` before `pos` (end() appends); returns the new entry's position.
  Pos insert(Pos pos, std::string_view bytes) { return insert(pos, bytes, {}); }
  // Inserts one entry holding `head` followed by `tail` (a record of two parts, built in
  // place rather than in a scratch copy).
  Pos insert(Pos pos, std::string_view head, std::string_view tail);
  Pos push_back(std::string_view bytes) { return insert(end(), bytes); }
  Pos push_front(std::string_view bytes) { return insert(begin(), bytes); }
  // Erases `count` consecutive entries starting at `pos`; returns the position of the entry
  // that followed them (the same number: the buffer closed up).
  Pos erase(Pos pos, std::size_t count = 1);
  // Replaces the entry at `pos`; returns its position (unchanged).
  Pos replace(Pos pos, std::string_view bytes);
  void clear();

  // The first entry equal to `bytes` at or after `from`, looking at every `step`-th entry
  // (step 2 over field/value pairs looks at fields only); end() when none.
  Pos find(std::string_view bytes, Pos from = 0, std::size_t step = 1) const;

  // Encoded size of an entry holding `length` bytes (for threshold checks before inserting).
  static std::size_t entry_bytes(std::size_t length) { return length + 2 * varint_bytes(length); }

 private:
  static std::size_t varint_bytes(std::size_t length) {
    std::size_t bytes = 1;
    while (length >= 0x80) {
      length >>= 7;
      ++bytes;
    }
    return bytes;
  }
  // Grows used_ by `extra` bytes (at the end; the caller moves what must move), reallocating
  // when the capacity is short.
  void extend(std::size_t extra);
  void release();
  void steal(Listpack& other) {
    data_ = other.data_;
    used_ = other.used_;
    count_ = other.count_;
    slack_ = other.slack_;
    other.data_ = nullptr;
    other.used_ = 0;
    other.count_ = 0;
    other.slack_ = 0;
  }
  // The buffer's capacity is used_ + slack_ with at most kSlackMax spare bytes (an erase that
  // would leave more gives the rest back), so the object is 16 bytes and a small hash or
  // sorted set object fits the allocator's 32-byte class.
  std::size_t capacity() const { return std::size_t{used_} + slack_; }
  // Sets used_ to `used` keeping the capacity; the capacity must be at least `used`.
  void set_used(std::size_t used) {
    const std::size_t capacity_now = capacity();
    ASSERT_LE(used, capacity_now);
    ASSERT_LE(capacity_now - used, kSlackMax);
    slack_ = static_cast<std::uint32_t>(capacity_now - used) & kSlackMax;
    used_ = static_cast<std::uint32_t>(used);
  }
  // Reallocates to exactly `used_` bytes rounded up to 16 (or frees an empty buffer).
  void fit();
  static constexpr std::uint32_t kSlackMax = 255;

  // Reads the forward varint at `pos`: the payload length, and the varint's own size.
  void read_header(Pos pos, std::size_t* length, std::size_t* header) const;

  std::uint8_t* data_ = nullptr;
  std::uint32_t used_ = 0;
  std::uint32_t count_ : 24 = 0;  // entries (list nodes and small collections hold far fewer)
  std::uint32_t slack_ : 8 = 0;   // capacity beyond used_
};
static_assert(sizeof(Listpack) == 16);

}  // namespace eddy::kv

#pragma once
// Intset: the small form of a set whose members are all integers (Redis's intset idea, not its
// code). The members are distinct int64s kept sorted in one array whose element width — 2, 4 or
// 8 bytes — is the narrowest that holds every member ever added: a set of small numbers costs 2
// bytes a member. Lookups are binary searches; an insert or erase moves the tail of the array
// (the form is only used up to set-max-intset-entries members, 512 by default, so that stays
// cheap). A member too wide for the current width rewrites the array at the wider width; the
// width never narrows again, as in Redis.
//
// The buffer grows geometrically and shrinks when a quarter full, so a run of SADDs does not
// reallocate on every member; heap_bytes() is the buffer's exact size.

#include <cstddef>
#include <cstdint>

#include "engine/base/assert.h"

namespace eddy::kv {

class Intset {
 public:
  // The most members an intset holds (Redis's bound too: its length is 32-bit and conversion
  // happens far earlier in practice).
  static constexpr std::size_t kMaxSize = std::size_t{1} << 30;

  Intset() = default;
  Intset(const Intset&) = delete;
  Intset& operator=(const Intset&) = delete;
  Intset(Intset&& other) noexcept { steal(other); }
  Intset& operator=(Intset&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  ~Intset() { release(); }

  Intset clone() const;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes per member: 2, 4 or 8.
  unsigned width() const { return width_; }
  std::size_t heap_bytes() const { return std::size_t{capacity_} * width_; }

  // The index-th smallest member (index < size()).
  std::int64_t at(std::size_t index) const {
    ASSERT_LT(index, size_);
    return load(index);
  }
  bool contains(std::int64_t value) const;
  // False (and no change) when `value` is already a member.
  bool insert(std::int64_t value);
  // False when `value` is not a member.
  bool erase(std::int64_t value);
  void clear() { release(); }

  // Checks ordering and width (slow); aborts on violation.
  void check_invariants() const;

 private:
  static unsigned width_for(std::int64_t value);
  static std::int64_t load_from(const std::uint8_t* data, unsigned width, std::size_t index);
  static void store_to(std::uint8_t* data, unsigned width, std::size_t index, std::int64_t value);
  std::int64_t load(std::size_t index) const { return load_from(data_, width_, index); }
  void store(std::size_t index, std::int64_t value) { store_to(data_, width_, index, value); }
  // Binary search: true when found; *index is the member's index or where it would go.
  bool search(std::int64_t value, std::size_t* index) const;
  // Reallocates to `capacity` members of `width` bytes, re-encoding the members if the width
  // changes.
  void reshape(std::size_t capacity, unsigned width);
  void release();
  void steal(Intset& other) {
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    width_ = other.width_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
    other.width_ = 2;
  }

  std::uint8_t* data_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;  // members
  std::uint8_t width_ = 2;
};

}  // namespace eddy::kv

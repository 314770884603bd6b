#include "engine/kv/intset.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace eddy::kv {

namespace {

constexpr std::size_t kCapacityMin = 4;

}  // namespace

unsigned Intset::width_for(std::int64_t value) {
  if (value >= std::numeric_limits<std::int16_t>::min() &&
      value <= std::numeric_limits<std::int16_t>::max()) {
    return 2;
  }
  if (value >= std::numeric_limits<std::int32_t>::min() &&
      value <= std::numeric_limits<std::int32_t>::max()) {
    return 4;
  }
  return 8;
}

std::int64_t Intset::load_from(const std::uint8_t* data, unsigned width, std::size_t index) {
  const std::uint8_t* at = data + index * width;
  switch (width) {
    case 2: {
      std::int16_t v;
      std::memcpy(&v, at, sizeof(v));
      return v;
    }
    case 4: {
      std::int32_t v;
      std::memcpy(&v, at, sizeof(v));
      return v;
    }
    default: {
      std::int64_t v;
      std::memcpy(&v, at, sizeof(v));
      return v;
    }
  }
}

void Intset::store_to(std::uint8_t* data, unsigned width, std::size_t index, std::int64_t value) {
  std::uint8_t* at = data + index * width;
  switch (width) {
    case 2: {
      const auto v = static_cast<std::int16_t>(value);
      std::memcpy(at, &v, sizeof(v));
      return;
    }
    case 4: {
      const auto v = static_cast<std::int32_t>(value);
      std::memcpy(at, &v, sizeof(v));
      return;
    }
    default:
      std::memcpy(at, &value, sizeof(value));
      return;
  }
}

bool Intset::search(std::int64_t value, std::size_t* index) const {
  std::size_t low = 0;
  std::size_t high = size_;
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    const std::int64_t v = load(mid);
    if (v == value) {
      *index = mid;
      return true;
    }
    if (v < value) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  *index = low;
  return false;
}

bool Intset::contains(std::int64_t value) const {
  // A value wider than every member cannot be one.
  if (width_for(value) > width_) return false;
  std::size_t index;
  return search(value, &index);
}

void Intset::reshape(std::size_t capacity, unsigned width) {
  ASSERT_GE(capacity, size_);
  ASSERT_LE(capacity, kMaxSize);
  if (width == width_) {
    void* grown = std::realloc(data_, capacity * width);
    if (grown == nullptr && capacity != 0) throw std::bad_alloc();
    data_ = static_cast<std::uint8_t*>(grown);
  } else {
    // Wider only: re-encode every member into a fresh buffer.
    ASSERT_GT(width, width_);
    auto* wider = static_cast<std::uint8_t*>(std::malloc(capacity * width));
    if (wider == nullptr) throw std::bad_alloc();
    for (std::size_t i = 0; i < size_; ++i) store_to(wider, width, i, load(i));
    std::free(data_);
    data_ = wider;
    width_ = static_cast<std::uint8_t>(width);
  }
  capacity_ = static_cast<std::uint32_t>(capacity);
}

bool Intset::insert(std::int64_t value) {
  const unsigned width = width_for(value);
  std::size_t index;
  if (width > width_) {
    // Wider than every member, so it is new and goes at one end: below them all if negative.
    index = value < 0 ? 0 : size_;
  } else if (search(value, &index)) {
    return false;
  }
  ASSERT_LT(size_, kMaxSize);
  const unsigned new_width = width > width_ ? width : width_;
  if (size_ == capacity_ || new_width != width_) {
    std::size_t capacity = capacity_;
    if (size_ == capacity_) capacity = capacity_ < kCapacityMin ? kCapacityMin : capacity_ * 2;
    if (capacity > kMaxSize) capacity = kMaxSize;
    reshape(capacity, new_width);
  }
  std::memmove(data_ + (index + 1) * width_, data_ + index * width_, (size_ - index) * width_);
  store(index, value);
  ++size_;
  return true;
}

bool Intset::erase(std::int64_t value) {
  if (width_for(value) > width_) return false;
  std::size_t index;
  if (!search(value, &index)) return false;
  std::memmove(data_ + index * width_, data_ + (index + 1) * width_, (size_ - index - 1) * width_);
  --size_;
  if (size_ == 0) {
    // Keep the width: Redis's intset never narrows, and OBJECT ENCODING cannot tell anyway.
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
  } else if (capacity_ > kCapacityMin && size_ <= capacity_ / 4) {
    reshape(capacity_ / 2, width_);
  }
  return true;
}

Intset Intset::clone() const {
  Intset copy;
  copy.width_ = width_;
  if (size_ != 0) {
    copy.reshape(size_, width_);
    std::memcpy(copy.data_, data_, std::size_t{size_} * width_);
    copy.size_ = size_;
  }
  return copy;
}

void Intset::release() {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

void Intset::check_invariants() const {
  ASSERT(width_ == 2 || width_ == 4 || width_ == 8);
  ASSERT_LE(size_, capacity_);
  ASSERT((capacity_ == 0) == (data_ == nullptr));
  for (std::size_t i = 0; i < size_; ++i) {
    const std::int64_t v = load(i);
    ASSERT_LE(width_for(v), width_);
    if (i > 0) ASSERT_LT(load(i - 1), v);
  }
}

}  // namespace eddy::kv

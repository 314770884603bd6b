#include "engine/kv/listpack.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace eddy::kv {

namespace {

std::size_t write_varint(std::uint8_t* out, std::size_t length) {
  std::size_t n = 0;
  do {
    std::uint8_t byte = length & 0x7F;
    length >>= 7;
    if (length != 0) byte |= 0x80;
    out[n++] = byte;
  } while (length != 0);
  return n;
}

}  // namespace

Listpack Listpack::clone() const {
  Listpack copy;
  if (used_ > 0) {
    copy.extend(used_);
    std::memcpy(copy.data_, data_, used_);
    copy.count_ = count_;
  }
  return copy;
}

void Listpack::release() {
  std::free(data_);
  data_ = nullptr;
  used_ = 0;
  count_ = 0;
  slack_ = 0;
}

void Listpack::fit() {
  if (used_ == 0) {
    release();
    return;
  }
  const std::size_t allocation = (std::size_t{used_} + 15) & ~std::size_t{15};
  void* fitted = std::realloc(data_, allocation);
  if (fitted == nullptr) throw std::bad_alloc();  // shrinking: the allocator keeps the block
  data_ = static_cast<std::uint8_t*>(fitted);
  slack_ = static_cast<std::uint32_t>(allocation - used_) & kSlackMax;
}

void Listpack::clear() {
  release();
}

void Listpack::extend(std::size_t extra) {
  const std::size_t needed = std::size_t{used_} + extra;
  ASSERT_LE(needed, kMaxBytes);
  if (needed <= capacity()) {
    set_used(needed);
    return;
  }
  // Buffers grow to what they need, rounded to 16 bytes, as Redis's listpacks do: slack in
  // every small collection would cost more memory than Redis. The allocator's size classes
  // are geometric and its realloc stays in place within one, so a run of appends copies the
  // buffer O(log n) times, not once per append.
  const std::size_t allocation = (needed + 15) & ~std::size_t{15};
  void* grown = std::realloc(data_, allocation);
  if (grown == nullptr) throw std::bad_alloc();
  data_ = static_cast<std::uint8_t*>(grown);
  used_ = static_cast<std::uint32_t>(needed);
  slack_ = static_cast<std::uint32_t>(allocation - needed) & kSlackMax;
  ASSERT_EQ(capacity(), allocation);
}

void Listpack::read_header(Pos pos, std::size_t* length, std::size_t* header) const {
  DEBUG_ASSERT(pos < used_);
  std::size_t value = 0;
  std::size_t shift = 0;
  std::size_t n = 0;
  while (true) {
    const std::uint8_t byte = data_[pos + n++];
    value |= std::size_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  *length = value;
  *header = n;
}

std::string_view Listpack::get(Pos pos) const {
  ASSERT_LT(pos, used_);
  std::size_t length;
  std::size_t header;
  read_header(pos, &length, &header);
  return {reinterpret_cast<const char*>(data_ + pos + header), length};
}

Listpack::Pos Listpack::next(Pos pos) const {
  ASSERT_LT(pos, used_);
  std::size_t length;
  std::size_t header;
  read_header(pos, &length, &header);
  return static_cast<Pos>(pos + length + 2 * header);
}

Listpack::Pos Listpack::prev(Pos pos) const {
  ASSERT(pos > 0 && pos <= used_);
  // The backward varint ends at pos-1 and was written reversed: its last byte (nearest pos)
  // is the varint's first.
  std::size_t value = 0;
  std::size_t shift = 0;
  std::size_t n = 0;
  while (true) {
    const std::uint8_t byte = data_[pos - 1 - n++];
    value |= std::size_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  return static_cast<Pos>(pos - value - 2 * n);
}

Listpack::Pos Listpack::seek(std::size_t index) const {
  ASSERT_LT(index, count_);
  if (index <= count_ / 2) {
    Pos pos = begin();
    for (std::size_t i = 0; i < index; ++i) pos = next(pos);
    return pos;
  }
  Pos pos = end();
  for (std::size_t i = count_; i > index; --i) pos = prev(pos);
  return pos;
}

Listpack::Pos Listpack::insert(Pos pos, std::string_view head, std::string_view tail) {
  ASSERT_LE(pos, used_);
  const std::size_t length = head.size() + tail.size();
  const std::size_t header = varint_bytes(length);
  const std::size_t total = length + 2 * header;
  const std::size_t after = used_ - pos;
  extend(total);
  std::memmove(data_ + pos + total, data_ + pos, after);
  std::uint8_t* out = data_ + pos;
  write_varint(out, length);
  if (!head.empty()) std::memcpy(out + header, head.data(), head.size());
  if (!tail.empty()) std::memcpy(out + header + head.size(), tail.data(), tail.size());
  // The backward copy: the same varint, bytes reversed.
  std::uint8_t forward[10];
  write_varint(forward, length);
  for (std::size_t i = 0; i < header; ++i) out[header + length + i] = forward[header - 1 - i];
  ASSERT_LT(count_, kEntriesMax);
  ++count_;
  return pos;
}

Listpack::Pos Listpack::erase(Pos pos, std::size_t count) {
  ASSERT_LE(count, count_);
  Pos stop = pos;
  for (std::size_t i = 0; i < count; ++i) stop = next(stop);
  std::memmove(data_ + pos, data_ + stop, used_ - stop);
  const std::size_t freed = stop - pos;
  count_ = static_cast<std::uint32_t>(count_ - count) & kEntriesMax;
  if (count_ == 0) {
    release();
    return pos;
  }
  if (std::size_t{slack_} + freed > kSlackMax) {
    used_ -= static_cast<std::uint32_t>(freed);
    fit();  // give back what the erase freed
  } else {
    set_used(used_ - freed);
  }
  return pos;
}

Listpack::Pos Listpack::replace(Pos pos, std::string_view bytes) {
  std::size_t length;
  std::size_t header;
  read_header(pos, &length, &header);
  if (length == bytes.size()) {
    if (!bytes.empty()) std::memcpy(data_ + pos + header, bytes.data(), bytes.size());
    return pos;
  }
  // `bytes` may not point into this buffer (callers pass arguments or scratch).
  erase(pos);
  return insert(pos, bytes);
}

Listpack::Pos Listpack::find(std::string_view bytes, Pos from, std::size_t step) const {
  ASSERT_GE(step, 1u);
  Pos pos = from;
  while (pos < used_) {
    std::size_t length;
    std::size_t header;
    read_header(pos, &length, &header);
    if (length == bytes.size() &&
        (length == 0 || std::memcmp(data_ + pos + header, bytes.data(), length) == 0)) {
      return pos;
    }
    pos = static_cast<Pos>(pos + length + 2 * header);
    for (std::size_t i = 1; i < step && pos < used_; ++i) pos = next(pos);
  }
  return end();
}

}  // namespace eddy::kv

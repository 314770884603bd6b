#include "engine/kv/small_string.h"

#include <algorithm>
#include <cstdlib>

namespace eddy::kv {

namespace {

// Appends grow like Redis's sds: double while small, then step by 1 MiB so a large string
// does not reserve as much slack as it holds.
constexpr std::size_t kGrowDoublingLimit = 1024 * 1024;

std::size_t grown_capacity(std::size_t needed) {
  const std::size_t target = needed < kGrowDoublingLimit ? needed * 2 : needed + kGrowDoublingLimit;
  return std::min(target, SmallString::kMaxSize);
}

char* allocate(std::size_t capacity) {
  ASSERT_LE(capacity, SmallString::kMaxSize);
  char* pointer = static_cast<char*>(std::malloc(capacity));
  ASSERT_MSG(pointer != nullptr, "out of memory");
  return pointer;
}

}  // namespace

void SmallString::free_heap(char* pointer) {
  std::free(pointer);
}

void SmallString::set_heap(char* pointer, std::size_t n, std::size_t capacity) {
  DEBUG_ASSERT(n > kInlineCapacity && n <= capacity && capacity <= kMaxSize);
  std::memcpy(bytes_, &pointer, sizeof(pointer));
  set_heap_size(n);
  // Capacity shares its word with the user byte and the tag: rewrite only its 6 bytes.
  const std::uint64_t word = capacity;
  std::memcpy(bytes_ + 16, &word, 6);
  set_tag(kHeapTag);
}

SmallString SmallString::clone() const {
  SmallString copy(view());
  copy.set_user_byte(user_byte());
  return copy;
}

void SmallString::assign_slow(std::string_view text) {
  const std::size_t n = text.size();
  if (n <= kInlineCapacity) {
    // Heap to inline: copy out before freeing, `text` may live in the old buffer.
    char* old = is_inline() ? nullptr : heap_data();
    std::memmove(bytes_, text.data(), n);
    set_tag(static_cast<std::uint8_t>(n));
    if (old != nullptr) free_heap(old);
    return;
  }
  ASSERT_LE(n, kMaxSize);
  if (!is_inline()) {
    const std::size_t capacity = heap_capacity();
    if (capacity >= n && capacity / 2 <= n) {
      std::memmove(heap_data(), text.data(), n);
      set_heap_size(n);
      return;
    }
  }
  char* fresh = allocate(n);
  std::memcpy(fresh, text.data(), n);
  release();
  set_heap(fresh, n, n);
}

void SmallString::append(std::string_view text) {
  const std::size_t old_size = size();
  const std::size_t n = old_size + text.size();
  ASSERT_LE(n, kMaxSize);
  if (n <= kInlineCapacity) {
    DEBUG_ASSERT(is_inline());
    std::memmove(bytes_ + old_size, text.data(), text.size());
    set_tag(static_cast<std::uint8_t>(n));
    return;
  }
  if (!is_inline() && heap_capacity() >= n) {
    // The source, if it lies in this buffer, is within [0, old_size): no overlap with the tail.
    std::memmove(heap_data() + old_size, text.data(), text.size());
    set_heap_size(n);
    return;
  }
  const std::size_t capacity = grown_capacity(n);
  char* fresh = allocate(capacity);
  std::memcpy(fresh, data(), old_size);
  std::memcpy(fresh + old_size, text.data(), text.size());
  release();
  set_heap(fresh, n, capacity);
}

char* SmallString::resize(std::size_t n) {
  ASSERT_LE(n, kMaxSize);
  const std::size_t old_size = size();
  if (n <= kInlineCapacity) {
    if (is_inline()) {
      if (n > old_size) std::memset(bytes_ + old_size, 0, n - old_size);
    } else {
      char* old = heap_data();
      std::memcpy(bytes_, old, n);  // n <= kInlineCapacity < old_size: a shrink
      free_heap(old);
    }
    set_tag(static_cast<std::uint8_t>(n));
    return bytes_;
  }
  if (!is_inline() && heap_capacity() >= n) {
    char* pointer = heap_data();
    if (n > old_size) std::memset(pointer + old_size, 0, n - old_size);
    set_heap_size(n);
    return pointer;
  }
  // Small steps (SETRANGE just past the end, repeatedly) grow geometrically; a jump to a far
  // offset allocates exactly what it needs.
  const std::size_t capacity = n <= 2 * old_size ? grown_capacity(n) : n;
  char* fresh = allocate(capacity);
  std::memcpy(fresh, data(), old_size);
  std::memset(fresh + old_size, 0, n - old_size);
  release();
  set_heap(fresh, n, capacity);
  return fresh;
}

}  // namespace eddy::kv

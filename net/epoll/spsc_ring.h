#pragma once
// A bounded lock-free ring for one producer thread and one consumer thread: the mailbox
// between one pair of cores. Head and tail live on their own cache lines, and each side keeps
// a cached copy of the other's index so that the common case touches no shared line.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/base/assert.h"

namespace eddy {

template <typename T>
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity) : capacity_(capacity), mask_(capacity - 1) {
    ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    slots_ = std::make_unique<T[]>(capacity);
  }

  // Producer side. False when full.
  bool push(T value) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cached_ >= capacity_) {
      head_cached_ = head_.load(std::memory_order_acquire);
      if (tail - head_cached_ >= capacity_) return false;
    }
    slots_[tail & mask_] = value;
    // seq_cst, not just release: the sleeping-core handshake in EpollRuntime relies on a total
    // order between this store and the consumer's "I am going to sleep" store.
    tail_.store(tail + 1, std::memory_order_seq_cst);
    return true;
  }

  // Consumer side. False when empty.
  bool pop(T* value) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cached_) {
      tail_cached_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cached_) return false;
    }
    *value = slots_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Either side; a hint only, except for the consumer just before it sleeps (seq_cst).
  bool empty() const {
    return head_.load(std::memory_order_seq_cst) == tail_.load(std::memory_order_seq_cst);
  }

 private:
  const std::size_t capacity_;
  const std::size_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(64) std::atomic<std::size_t> head_{0};
  std::size_t tail_cached_ = 0;  // consumer's copy
  alignas(64) std::atomic<std::size_t> tail_{0};
  std::size_t head_cached_ = 0;  // producer's copy
};

}  // namespace eddy

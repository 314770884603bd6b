#pragma once
// Fiber stacks with an inaccessible guard page below each, so an overflow faults at once
// instead of corrupting a neighbour. Freed stacks are kept (up to a bound) and reused, so a
// connection costs no mmap/mprotect pair in steady state.

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace eddy::fiber {

class StackPool {
 public:
  explicit StackPool(std::size_t stack_bytes, std::size_t cached_max = 256);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& stack) noexcept;

  std::size_t stack_bytes() const { return stack_bytes_; }

 private:
  std::size_t stack_bytes_;
  std::size_t cached_max_;
  std::vector<boost::context::stack_context> cached_;  // freed stacks kept for reuse
};

// The allocator object Boost.Context takes by value; it forwards to a pool that outlives it.
class PooledStackAllocator {
 public:
  // `bottom_out`, when given, receives the lowest address of the stack's usable part, whose
  // top is stack.sp and whose size is pool->stack_bytes() (sanitizers need it). Boost's
  // stack.size also counts the guard page below: using it would shift the range a page down.
  explicit PooledStackAllocator(StackPool* pool, const void** bottom_out = nullptr)
      : pool_(pool), bottom_out_(bottom_out) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context stack = pool_->allocate();
    if (bottom_out_ != nullptr) *bottom_out_ = static_cast<char*>(stack.sp) - pool_->stack_bytes();
    return stack;
  }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->deallocate(stack); }

 private:
  StackPool* pool_;
  const void** bottom_out_;
};

}  // namespace eddy::fiber

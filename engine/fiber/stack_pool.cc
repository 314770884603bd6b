#include "engine/fiber/stack_pool.h"

#include <boost/context/protected_fixedsize_stack.hpp>

#include "engine/base/assert.h"

namespace eddy::fiber {

StackPool::StackPool(std::size_t stack_bytes, std::size_t cached_max)
    : stack_bytes_(stack_bytes), cached_max_(cached_max) {
  ASSERT_GE(stack_bytes_, 16u * 1024);
}

StackPool::~StackPool() {
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  for (auto& stack : cached_) allocator.deallocate(stack);
}

// Boost's protected stack maps the stack with a guard page below it; the pool only keeps freed
// ones for reuse.
boost::context::stack_context StackPool::allocate() {
  if (!cached_.empty()) {
    boost::context::stack_context stack = cached_.back();
    cached_.pop_back();
    return stack;
  }
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  return allocator.allocate();
}

void StackPool::deallocate(boost::context::stack_context& stack) noexcept {
  if (cached_.size() < cached_max_) {
    cached_.push_back(stack);
    return;
  }
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  allocator.deallocate(stack);
}

}  // namespace eddy::fiber

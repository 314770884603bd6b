#include "engine/fiber/stack_pool.h"

#include <boost/context/protected_fixedsize_stack.hpp>

#include "engine/base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_ASAN_STACKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_ASAN_STACKS 1
#endif
#endif
#if defined(EDDY_ASAN_STACKS)
#include <sanitizer/asan_interface.h>
#endif

namespace eddy::fiber {

namespace {

// A fiber's outermost frames (Boost's entry, the scheduler's trampoline) never return: the
// fiber ends by switching away. ASan therefore keeps their redzones poisoned after the fiber is
// gone, and a stack reused from the pool, or new memory mapped where a freed stack was, would
// carry that stale poison under frames that do not rewrite their shadow (false reports, or
// ASan failing its own CHECK while describing one). Every stack starts and ends clean.
void unpoison(const boost::context::stack_context& stack) {
#if defined(EDDY_ASAN_STACKS)
  ASAN_UNPOISON_MEMORY_REGION(static_cast<char*>(stack.sp) - stack.size, stack.size);
#else
  (void)stack;
#endif
}

}  // namespace

StackPool::StackPool(std::size_t stack_bytes, std::size_t cached_max)
    : stack_bytes_(stack_bytes), cached_max_(cached_max) {
  ASSERT_GE(stack_bytes_, 16u * 1024);
}

StackPool::~StackPool() {
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  for (auto& stack : cached_) {
    unpoison(stack);
    allocator.deallocate(stack);
  }
}

// Boost's protected stack maps the stack with a guard page below it; the pool only keeps freed
// ones for reuse.
boost::context::stack_context StackPool::allocate() {
  if (!cached_.empty()) {
    boost::context::stack_context stack = cached_.back();
    cached_.pop_back();
    unpoison(stack);
    return stack;
  }
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  boost::context::stack_context stack = allocator.allocate();
  unpoison(stack);
  return stack;
}

void StackPool::deallocate(boost::context::stack_context& stack) noexcept {
  if (cached_.size() < cached_max_) {
    cached_.push_back(stack);
    return;
  }
  unpoison(stack);
  boost::context::protected_fixedsize_stack allocator(stack_bytes_);
  allocator.deallocate(stack);
}

}  // namespace eddy::fiber

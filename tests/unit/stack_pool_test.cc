// Fiber stacks (engine/fiber/stack_pool.h): the range sanitizers are told about, and under
// AddressSanitizer a stack that comes out of the pool clean.

#include <catch2/catch.hpp>

#include <cstddef>

#include "engine/fiber/stack_pool.h"

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_TEST_ASAN 1
#endif
#endif
#if defined(EDDY_TEST_ASAN)
#include <sanitizer/asan_interface.h>
#endif

using eddy::fiber::PooledStackAllocator;
using eddy::fiber::StackPool;

TEST_CASE("the stack range given to sanitizers is the usable part, guard page excluded",
          "[runtime][fiber]") {
  StackPool pool(64 * 1024);
  const void* bottom = nullptr;
  PooledStackAllocator allocator(&pool, &bottom);
  boost::context::stack_context stack = allocator.allocate();
  // Boost's size counts the guard page below the stack; the usable part ends at sp.
  CHECK(stack.size > pool.stack_bytes());
  CHECK(static_cast<const char*>(bottom) == static_cast<char*>(stack.sp) - pool.stack_bytes());
  // Every byte of the reported range is writable (the guard page would fault).
  char* usable = static_cast<char*>(const_cast<void*>(bottom));
  usable[0] = 1;
  usable[pool.stack_bytes() - 1] = 1;
  allocator.deallocate(stack);
}

TEST_CASE("a stack reused from the pool carries no stale ASan poison", "[runtime][fiber]") {
#if defined(EDDY_TEST_ASAN)
  // A fiber's outermost frames never return, so their redzones stay poisoned when it ends;
  // reused as it was, the stack made ASan report (or fail its own CHECK on) later frames.
  StackPool pool(64 * 1024);
  boost::context::stack_context stack = pool.allocate();
  char* top = static_cast<char*>(stack.sp);
  ASAN_POISON_MEMORY_REGION(top - 4096, 256);  // what a frame left behind
  REQUIRE(__asan_address_is_poisoned(top - 4000));
  void* const sp = stack.sp;
  pool.deallocate(stack);
  boost::context::stack_context again = pool.allocate();
  REQUIRE(again.sp == sp);  // the same stack, from the cache
  CHECK(__asan_region_is_poisoned(static_cast<char*>(again.sp) - pool.stack_bytes(),
                                  pool.stack_bytes()) == nullptr);
  pool.deallocate(again);
#else
  SUCCEED("only meaningful under AddressSanitizer");
#endif
}

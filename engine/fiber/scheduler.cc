#include "engine/fiber/scheduler.h"

#include <exception>
#include <utility>

#include "engine/base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_ASAN_FIBERS 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define EDDY_TSAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EDDY_TSAN_FIBERS 1
#endif
#endif

#if defined(EDDY_ASAN_FIBERS)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(EDDY_TSAN_FIBERS)
#include <sanitizer/tsan_interface.h>
#endif

#if defined(EDDY_TSAN_FIBERS)
#define EDDY_NO_TSAN __attribute__((no_sanitize("thread"), noinline))
#else
#define EDDY_NO_TSAN
#endif

namespace eddy::fiber {

Fiber::Fiber(Scheduler* scheduler, std::uint64_t id, std::string name, std::function<void()> body)
    : scheduler_(scheduler), id_(id), name_(std::move(name)), body_(std::move(body)) {}

Scheduler::Scheduler(std::size_t stack_bytes) : stacks_(stack_bytes) {}

namespace {
// Thrown from a suspension point of a fiber cancelled at teardown. Not a std::exception, so
// handlers of ordinary errors let it pass; fiber_main catches it and the fiber ends normally.
struct FiberCancelled {};
}  // namespace

Scheduler::~Scheduler() {
  // A runtime lets every fiber finish before it stops; a test may leave some parked (a log's
  // flusher waiting for work). Each is resumed once more through the annotated switch and
  // unwound from its suspension point, so its stack and its Fiber are released.
  ASSERT_MSG(current_ == nullptr, "a scheduler destroyed from inside one of its fibers");
  while (live_head_ != nullptr) {
    while (pop_ready() != nullptr) {
    }
    Fiber* fiber = live_head_;
    if (!fiber->started_) {
      unlink_live(fiber);
      --live_;
      delete fiber;
      continue;
    }
    fiber->cancelled_ = true;
    resume(fiber);
    ASSERT_MSG(live_head_ != fiber,
               "fiber '" + fiber->name_ + "' suspended again while cancelled at teardown");
  }
}

void Scheduler::link_live(Fiber* fiber) {
  fiber->prev_live_ = nullptr;
  fiber->next_live_ = live_head_;
  if (live_head_ != nullptr) live_head_->prev_live_ = fiber;
  live_head_ = fiber;
}

void Scheduler::unlink_live(Fiber* fiber) {
  if (fiber->prev_live_ != nullptr) {
    fiber->prev_live_->next_live_ = fiber->next_live_;
  } else {
    ASSERT(live_head_ == fiber);
    live_head_ = fiber->next_live_;
  }
  if (fiber->next_live_ != nullptr) fiber->next_live_->prev_live_ = fiber->prev_live_;
  fiber->prev_live_ = fiber->next_live_ = nullptr;
}

Fiber* Scheduler::spawn(std::string name, std::function<void()> body) {
  auto* fiber = new Fiber(this, next_id_++, std::move(name), std::move(body));
  fiber->context_ = boost::context::fiber(
      std::allocator_arg, PooledStackAllocator(&stacks_, &fiber->stack_bottom_),
      [fiber](boost::context::fiber&& caller) { return fiber_main(fiber, std::move(caller)); });
  fiber->stack_bytes_ = stacks_.stack_bytes();
  ++live_;
  link_live(fiber);
  push_ready(fiber);
  return fiber;
}

boost::context::fiber Scheduler::fiber_main(Fiber* fiber, boost::context::fiber&& caller) {
  Scheduler* self = fiber->scheduler_;
  fiber->caller_ = std::move(caller);
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(nullptr, &self->main_stack_bottom_, &self->main_stack_bytes_);
#endif
  try {
    fiber->body_();
  } catch (const boost::context::detail::forced_unwind&) {
    throw;
  } catch (const FiberCancelled&) {
    // Unwound at teardown (see ~Scheduler): ends like a finished fiber.
  } catch (const std::exception& e) {
    ASSERT_MSG(false, "uncaught exception in fiber '" + fiber->name_ + "': " + e.what());
  }
  fiber->body_ = nullptr;
  // The fiber is finished: hand control back for good. The scheduler deletes the Fiber after
  // the switch, when its stack is no longer in use. (TSan is told of the switch back by
  // resume(), after the last instrumented frame of this fiber has returned.)
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(nullptr, self->main_stack_bottom_, self->main_stack_bytes_);
#endif
  (void)self;
  return std::move(fiber->caller_);
}

void Scheduler::push_ready(Fiber* fiber) {
  ASSERT(!fiber->ready_);
  fiber->ready_ = true;
  fiber->next_ready_ = nullptr;
  if (ready_tail_ != nullptr) {
    ready_tail_->next_ready_ = fiber;
  } else {
    ready_head_ = fiber;
  }
  ready_tail_ = fiber;
  ++ready_count_;
}

Fiber* Scheduler::pop_ready() {
  Fiber* fiber = ready_head_;
  if (fiber == nullptr) return nullptr;
  if (picker_ && ready_count_ > 1) {
    // Seeded choice (simulator): unlink the k-th ready fiber.
    std::size_t k = picker_(ready_count_);
    ASSERT_LT(k, ready_count_);
    Fiber* prev = nullptr;
    for (std::size_t i = 0; i < k; ++i) {
      prev = fiber;
      fiber = fiber->next_ready_;
    }
    if (prev == nullptr) {
      ready_head_ = fiber->next_ready_;
    } else {
      prev->next_ready_ = fiber->next_ready_;
    }
    if (ready_tail_ == fiber) ready_tail_ = prev;
  } else {
    ready_head_ = fiber->next_ready_;
    if (ready_head_ == nullptr) ready_tail_ = nullptr;
  }
  fiber->next_ready_ = nullptr;
  fiber->ready_ = false;
  --ready_count_;
  return fiber;
}

void Scheduler::wake(Fiber* fiber) {
  ASSERT(fiber != nullptr);
  ASSERT(fiber->scheduler_ == this);
  if (fiber->ready_) return;
  push_ready(fiber);
}

// The two functions that switch stacks are not instrumented by ThreadSanitizer: TSan keeps a
// shadow call stack per fiber, and an instrumented frame that straddled a switch would be
// pushed on one fiber's shadow stack and popped from another's.
EDDY_NO_TSAN void Scheduler::resume(Fiber* fiber) {
  ASSERT(current_ == nullptr);
  current_ = fiber;
  fiber->started_ = true;
#if defined(EDDY_TSAN_FIBERS)
  if (main_tsan_fiber_ == nullptr) main_tsan_fiber_ = __tsan_get_current_fiber();
  if (fiber->tsan_fiber_ == nullptr) fiber->tsan_fiber_ = __tsan_create_fiber(0);
  __tsan_switch_to_fiber(fiber->tsan_fiber_, 0);
#endif
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(&main_asan_fake_stack_, fiber->stack_bottom_, fiber->stack_bytes_);
#endif
  fiber->context_ = std::move(fiber->context_).resume();
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(main_asan_fake_stack_, nullptr, nullptr);
#endif
#if defined(EDDY_TSAN_FIBERS)
  __tsan_switch_to_fiber(main_tsan_fiber_, 0);
#endif
  current_ = nullptr;
  if (!fiber->context_) {
    // Finished: its stack has been released by Boost.Context.
#if defined(EDDY_TSAN_FIBERS)
    __tsan_destroy_fiber(fiber->tsan_fiber_);
#endif
    ASSERT(!fiber->ready_);
    unlink_live(fiber);
    --live_;
    delete fiber;
  }
}

EDDY_NO_TSAN void Scheduler::switch_to_scheduler() {
  Fiber* fiber = current_;
  ASSERT(fiber != nullptr);
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(&fiber->asan_fake_stack_, main_stack_bottom_, main_stack_bytes_);
#endif
#if defined(EDDY_TSAN_FIBERS)
  __tsan_switch_to_fiber(main_tsan_fiber_, 0);
#endif
  fiber->caller_ = std::move(fiber->caller_).resume();
#if defined(EDDY_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(fiber->asan_fake_stack_, &main_stack_bottom_, &main_stack_bytes_);
#endif
  // Not while unwinding already (a destructor that suspends): a second exception would
  // terminate; the teardown then reports the fiber as suspended again.
  if (fiber->cancelled_ && std::uncaught_exceptions() == 0) throw FiberCancelled{};
}

void Scheduler::suspend() {
  switch_to_scheduler();
}

void Scheduler::yield() {
  ASSERT(current_ != nullptr);
  push_ready(current_);
  switch_to_scheduler();
}

std::size_t Scheduler::run_ready() {
  std::size_t budget = ready_count_;
  std::size_t ran = 0;
  while (ran < budget) {
    Fiber* fiber = pop_ready();
    if (fiber == nullptr) break;
    resume(fiber);
    ++ran;
  }
  return ran;
}

bool Scheduler::run_one() {
  Fiber* fiber = pop_ready();
  if (fiber == nullptr) return false;
  resume(fiber);
  return true;
}

void WaitGroup::done() {
  ASSERT_GT(pending_, 0u);
  if (--pending_ == 0 && waiter_ != nullptr) scheduler_->wake(waiter_);
}

void WaitGroup::wait() {
  ASSERT(waiter_ == nullptr);
  while (pending_ > 0) {
    waiter_ = scheduler_->current();
    scheduler_->suspend();
  }
  waiter_ = nullptr;
}

}  // namespace eddy::fiber

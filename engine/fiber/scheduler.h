#pragma once
// The fiber core every runtime uses: one Scheduler per core (or per simulated core), run from
// that core's loop. Fibers are cooperative: they run until they suspend, yield or finish.
// A runtime differs only in where wake-ups come from (epoll, simulated events, stdin) and, in
// the simulator, in which ready fiber runs next (a seeded pick instead of FIFO).
//
// Not thread-safe by design: a scheduler and its fibers belong to one OS thread.

#include <boost/context/fiber.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/fiber/stack_pool.h"

namespace eddy::fiber {

class Scheduler;

class Fiber {
 public:
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  std::uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }

 private:
  friend class Scheduler;
  Fiber(Scheduler* scheduler, std::uint64_t id, std::string name, std::function<void()> body);

  Scheduler* scheduler_;
  std::uint64_t id_;
  std::string name_;
  std::function<void()> body_;
  boost::context::fiber context_;  // the fiber's own continuation while it is not running
  boost::context::fiber caller_;   // the scheduler's continuation while the fiber runs
  Fiber* next_ready_ = nullptr;
  Fiber* prev_live_ = nullptr;  // every fiber not yet finished, for the teardown
  Fiber* next_live_ = nullptr;
  bool ready_ = false;
  bool started_ = false;
  bool cancelled_ = false;  // set at teardown: its next return from a suspension unwinds it
  // Sanitizer bookkeeping for stack switches (unused in normal builds).
  [[maybe_unused]] const void* stack_bottom_ = nullptr;
  [[maybe_unused]] std::size_t stack_bytes_ = 0;
  [[maybe_unused]] void* asan_fake_stack_ = nullptr;
  [[maybe_unused]] void* tsan_fiber_ = nullptr;
};

class Scheduler {
 public:
  explicit Scheduler(std::size_t stack_bytes);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Creates a fiber and makes it ready; it first runs at the next run_ready().
  Fiber* spawn(std::string name, std::function<void()> body);

  // From inside a fiber: park until someone calls wake() on it.
  void suspend();
  // Makes a parked fiber ready. Waking a fiber that is already ready, or the running one
  // before it suspends, is harmless: a wake is never lost, at most the fiber runs once more
  // and re-checks its condition (every waiter loops on its condition).
  void wake(Fiber* fiber);
  // From inside a fiber: go to the back of the ready queue.
  void yield();

  // From the core's loop (outside any fiber): runs the fibers that are ready now; fibers made
  // ready meanwhile wait for the next call, so I/O polling is never starved. Returns how many
  // fibers ran.
  std::size_t run_ready();
  // Runs one ready fiber (the picker's choice); false when none was ready. The simulator
  // interleaves cores one fiber at a time.
  bool run_one();

  // The simulator sets a picker choosing which of `ready_count` ready fibers runs next; the
  // default is FIFO.
  void set_picker(std::function<std::size_t(std::size_t ready_count)> picker) {
    picker_ = std::move(picker);
  }

  Fiber* current() const { return current_; }
  bool in_fiber() const { return current_ != nullptr; }
  bool has_ready() const { return ready_head_ != nullptr; }
  std::size_t live_count() const { return live_; }

 private:
  void push_ready(Fiber* fiber);
  Fiber* pop_ready();
  void link_live(Fiber* fiber);
  void unlink_live(Fiber* fiber);
  void resume(Fiber* fiber);
  void switch_to_scheduler();  // from a fiber
  static boost::context::fiber fiber_main(Fiber* fiber, boost::context::fiber&& caller);

  StackPool stacks_;
  Fiber* current_ = nullptr;
  Fiber* ready_head_ = nullptr;
  Fiber* ready_tail_ = nullptr;
  std::size_t ready_count_ = 0;
  std::size_t live_ = 0;
  Fiber* live_head_ = nullptr;
  std::uint64_t next_id_ = 1;
  std::function<std::size_t(std::size_t)> picker_;
  // The thread stack's extent and sanitizer state, learned on the first switch.
  [[maybe_unused]] const void* main_stack_bottom_ = nullptr;
  [[maybe_unused]] std::size_t main_stack_bytes_ = 0;
  [[maybe_unused]] void* main_asan_fake_stack_ = nullptr;
  [[maybe_unused]] void* main_tsan_fiber_ = nullptr;
};

// A counter a fiber can wait on until it reaches zero (outstanding hops of one batch).
class WaitGroup {
 public:
  explicit WaitGroup(Scheduler* scheduler) : scheduler_(scheduler) {}
  void add(std::size_t n = 1) { pending_ += n; }
  void done();
  // From a fiber: returns once pending reaches zero.
  void wait();
  std::size_t pending() const { return pending_; }

 private:
  Scheduler* scheduler_;
  std::size_t pending_ = 0;
  Fiber* waiter_ = nullptr;
};

}  // namespace eddy::fiber

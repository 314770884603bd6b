#include "sim/node.h"

#include <xxhash.h>

#include <algorithm>

#include "engine/base/assert.h"
#include "engine/base/fault.h"
#include "engine/limits.h"
#include "sim/sim_disk.h"
#include "sim/stream.h"

namespace eddy::sim {

namespace {

// 2026-01-01T00:00:00Z: the wall clock every simulated node starts near.
constexpr std::int64_t kEpochUs = 1'767'225'600'000'000LL;

}  // namespace

SimNode::SimNode(World* world, std::string name, std::uint32_t cores, std::size_t fiber_stack_bytes)
    : world_(world),
      name_(std::move(name)),
      hash_seed_(XXH3_64bits_withSeed(name_.data(), name_.size(), world_->seed())) {
  // Disk latency is virtual time the calling fiber waits; outside a fiber an operation is
  // instant (nothing in the engine touches the disk from a hop handler).
  disk_ = std::make_unique<SimDisk>(world_->rng(World::Stream::kDisk), world_->faults().disk,
                                    [this](Nanos latency) {
                                      if (scheduler().in_fiber()) sleep_for(latency);
                                    });
  ASSERT_GE(cores, 1u);
  Rng& clocks = world_->rng(World::Stream::kClocks);
  const WorldFaults& faults = world_->faults();
  if (faults.clock_offset_max_ns > 0) {
    clock_offset_ns_ = clocks.between(-faults.clock_offset_max_ns, faults.clock_offset_max_ns);
  }
  if (faults.clock_drift_ppm_max > 0) {
    clock_drift_ = (clocks.unit() * 2 - 1) * faults.clock_drift_ppm_max * 1e-6;
  }
  if (faults.clock_jump_interval_ns > 0) schedule_clock_jump();
  Rng& scheduler_rng = world_->rng(World::Stream::kScheduler);
  for (std::uint32_t c = 0; c < cores; ++c) {
    auto core = std::make_unique<Core>();
    core->scheduler = std::make_unique<fiber::Scheduler>(fiber_stack_bytes);
    core->rng = scheduler_rng.split();
    // Which of several ready fibers on a core runs next is the seed's choice too.
    Rng* pick = &world_->rng(World::Stream::kScheduler);
    core->scheduler->set_picker([pick](std::size_t ready) { return pick->below(ready); });
    cores_.push_back(std::move(core));
  }
  in_mailbox_.assign(cores, std::vector<std::size_t>(cores, 0));
}

SimNode::~SimNode() = default;

void SimNode::schedule_clock_jump() {
  const WorldFaults& faults = world_->faults();
  Rng& clocks = world_->rng(World::Stream::kClocks);
  const Nanos wait =
      clocks.between(faults.clock_jump_interval_ns / 2, faults.clock_jump_interval_ns * 3 / 2);
  world_->schedule(wait, this, 0, [this] {
    if (stopping_) return;
    const Nanos max = world_->faults().clock_jump_max_ns;
    const Nanos jump = world_->rng(World::Stream::kClocks).between(-max, max);
    // Only the wall clock jumps (NTP stepping it); monotonic time never goes back.
    clock_offset_ns_ += jump;
    world_->trace(this, 0, "clock jump " + std::to_string(jump / 1000) + "us");
    schedule_clock_jump();
  });
}

std::size_t SimNode::live_fibers() const {
  std::size_t live = 0;
  for (const auto& core : cores_) live += core->scheduler->live_count();
  return live;
}

void SimNode::stop() {
  stopping_ = true;
  for (auto& [fiber, core] : inbox_waiters_) cores_[core]->scheduler->wake(fiber);
  inbox_waiters_.clear();
  for (std::uint32_t c = 0; c < cores_.size(); ++c) {
    for (auto& [sleeper, token] : cores_[c]->sleeping) cores_[c]->scheduler->wake(sleeper);
    cores_[c]->sleeping.clear();
  }
  for (SimListener* listener : std::vector<SimListener*>(listeners_)) listener->close();
  for (SimStream* stream : streams_) stream->end_waiting_read();
}

std::uint32_t SimNode::current_core() const {
  ASSERT_MSG(world_->current_node() == this, "runtime call for a node that is not running");
  return world_->current_core();
}

Nanos SimNode::monotonic_now() {
  // Drift scales elapsed time; it never makes it go back.
  return world_->now() + static_cast<Nanos>(static_cast<double>(world_->now()) * clock_drift_);
}

std::int64_t SimNode::unix_now_us() {
  return kEpochUs + (monotonic_now() + clock_offset_ns_) / 1000;
}

fiber::Scheduler& SimNode::scheduler() {
  return *cores_[current_core()]->scheduler;
}

Rng& SimNode::rng() {
  return cores_[current_core()]->rng;
}

void SimNode::sleep_for(Nanos duration) {
  const std::uint32_t core = current_core();
  fiber::Scheduler& scheduler = *cores_[core]->scheduler;
  ASSERT(scheduler.in_fiber());
  fiber::Fiber* self = scheduler.current();
  if (stopping_) {
    // As in the epoll runtime: no timers once stopping, but never return without letting
    // others run, so a loop around sleep_for cannot spin forever inside one fiber.
    scheduler.yield();
    return;
  }
  const Nanos deadline = world_->now() + std::max<Nanos>(duration, 0);
  while (world_->now() < deadline && !stopping_) {
    auto& sleeping = cores_[core]->sleeping;
    const std::uint64_t token = ++sleep_token_;
    sleeping.emplace_back(self, token);
    auto wake = [this, core, self, token] {
      auto& list = cores_[core]->sleeping;
      auto it = std::find(list.begin(), list.end(), std::make_pair(self, token));
      if (it == list.end()) return;  // this sleep is over already
      list.erase(it);
      cores_[core]->scheduler->wake(self);
    };
    // Fault point: a timer that fires early; the sleeper must notice and sleep on.
    if (BUGGIFY("timer.spurious")) {
      world_->schedule(world_->rng(World::Stream::kBuggify).between(0, deadline - world_->now()),
                       this, core, wake);
    }
    world_->schedule(deadline - world_->now(), this, core, wake);
    scheduler.suspend();
  }
}

Nanos SimNode::hop_latency() {
  const WorldFaults& faults = world_->faults();
  Rng& rng = world_->rng(World::Stream::kHops);
  Nanos latency = rng.between(faults.hop_latency_min_ns, faults.hop_latency_max_ns);
  if (rng.chance(faults.hop_long_tail_probability)) latency += faults.hop_long_tail_ns;
  // Fault point: a slow shard (its core busy elsewhere) takes its mail late.
  if (BUGGIFY("shard.slow"))
    latency += world_->rng(World::Stream::kBuggify).between(1, 5) * 1'000'000;
  return latency;
}

void SimNode::post(Hop* hop) {
  const std::uint32_t origin = current_core();
  ASSERT_NE(hop->target_core, origin);
  ASSERT_LT(hop->target_core, cores_.size());
  hop->origin_core = origin;
  // Fault point: the mailbox towards the target is full, so the sender waits its turn, as
  // the epoll runtime's back-pressure makes it.
  fiber::Scheduler& scheduler = *cores_[origin]->scheduler;
  if (scheduler.in_fiber() && BUGGIFY("runtime.mailbox_full")) {
    const std::uint64_t yields = 1 + world_->rng(World::Stream::kBuggify).below(4);
    for (std::uint64_t i = 0; i < yields; ++i) scheduler.yield();
  }
  const std::uint32_t target = hop->target_core;
  while (in_mailbox_[origin][target] >= world_->faults().mailbox_entries) {
    // Wait for the target to take a hop (a yield would spin: in the simulator nothing else
    // moves time while a fiber is ready).
    ASSERT(scheduler.in_fiber());
    mailbox_waiters_.push_back({origin, target, scheduler.current()});
    scheduler.suspend();
  }
  ++in_mailbox_[origin][target];
  world_->trace(this, origin, "hop -> " + std::to_string(target));
  world_->schedule(hop_latency(), this, target, [this, hop, origin, target] {
    --in_mailbox_[origin][target];
    for (auto it = mailbox_waiters_.begin(); it != mailbox_waiters_.end();) {
      if (it->origin == origin && it->target == target) {
        cores_[origin]->scheduler->wake(it->fiber);
        it = mailbox_waiters_.erase(it);
      } else {
        ++it;
      }
    }
    if (hop->run_at_target()) send_home(hop);
  });
}

void SimNode::send_home(Hop* hop) {
  world_->schedule(hop_latency(), this, hop->origin_core, [this, hop] {
    world_->trace(this, hop->origin_core, "hop home from " + std::to_string(hop->target_core));
    hop->run_at_origin();
  });
}

std::unique_ptr<Listener> SimNode::listen(const std::string&, std::uint16_t port, std::string*) {
  auto listener = std::make_unique<SimListener>(this, current_core(), port);
  listeners_.push_back(listener.get());
  return listener;
}

std::unique_ptr<Stream> SimNode::connect(const std::string&, std::uint16_t port,
                                         std::string* error) {
  return sim_connect(*world_, this, current_core(), port, error);
}

Disk& SimNode::disk() {
  return *disk_;
}

SimDisk& SimNode::sim_disk() {
  return *disk_;
}

bool SimNode::send_to_peer(const std::string& peer, std::string bytes) {
  return world_->network().send(this, peer, std::move(bytes));
}

std::optional<PeerMessage> SimNode::receive_from_peer() {
  const std::uint32_t core = current_core();
  fiber::Scheduler& scheduler = *cores_[core]->scheduler;
  while (inbox_.empty() && !stopping_) {
    inbox_waiters_.emplace_back(scheduler.current(), core);
    scheduler.suspend();
  }
  if (inbox_.empty()) return std::nullopt;
  PeerMessage message = std::move(inbox_.front());
  inbox_.pop_front();
  return message;
}

void SimNode::deliver_peer_message(PeerMessage message) {
  inbox_.push_back(std::move(message));
  // Wake every waiter: each re-checks the inbox; those that find it empty wait again.
  for (auto& [fiber, core] : inbox_waiters_) cores_[core]->scheduler->wake(fiber);
  inbox_waiters_.clear();
}

}  // namespace eddy::sim

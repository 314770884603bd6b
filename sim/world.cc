#include "sim/world.h"

#include <cstdio>

#include <xxhash.h>

#include <algorithm>

#include "engine/base/assert.h"
#include "sim/node.h"
#include "sim/stream.h"

namespace eddy::sim {

namespace {
constexpr std::size_t kRecentTraceLines = 200;
}

World::World(std::uint64_t seed, WorldFaults faults) : seed_(seed), faults_(faults) {
  Rng root(seed);
  for (std::size_t i = 0; i < static_cast<std::size_t>(Stream::kCount); ++i) {
    rngs_.push_back(root.split());
  }
  if (faults_.buggify) set_fault_injector(this);
  network_ = std::make_unique<SimNetwork>(this, NetworkFaults{});
}

World::~World() {
  if (detail::g_fault_injector == this) set_fault_injector(nullptr);
  // Nodes (and their fibers) go before the event queue they may reference.
  nodes_.clear();
}

SimNode& World::add_node(std::string name, std::uint32_t cores, std::size_t fiber_stack_bytes) {
  nodes_.push_back(std::make_unique<SimNode>(this, std::move(name), cores, fiber_stack_bytes));
  network_->add_node(nodes_.back().get());
  return *nodes_.back();
}

void World::schedule(Nanos delay, SimNode* node, std::uint32_t core, std::function<void()> fn) {
  ASSERT_GE(delay, 0);
  auto event = std::make_unique<Event>();
  event->time = now_ + delay;
  event->sequence = sequence_++;
  event->node = node;
  event->core = core;
  event->fn = std::move(fn);
  queue_.push(std::move(event));
}

bool World::run_one_fiber() {
  // Candidates in a fixed order (nodes as added, cores by index); the seed picks one.
  std::size_t ready = 0;
  for (auto& node : nodes_) {
    for (std::uint32_t c = 0; c < node->core_count(); ++c) {
      if (node->scheduler_of(c).has_ready()) ++ready;
    }
  }
  if (ready == 0) return false;
  std::size_t pick = rng(Stream::kScheduler).below(ready);
  for (auto& node : nodes_) {
    for (std::uint32_t c = 0; c < node->core_count(); ++c) {
      if (!node->scheduler_of(c).has_ready()) continue;
      if (pick-- != 0) continue;
      set_current(node.get(), c);
      node->scheduler_of(c).run_one();
      set_current(nullptr, 0);
      return true;
    }
  }
  UNREACHABLE();
}

bool World::run_until(Nanos until) {
  return run_until(until, [] { return false; });
}

bool World::run_until(Nanos until, const std::function<bool()>& done) {
  // Fibers that keep each other ready without time ever moving are a livelock: the run is
  // stopped and reported instead of spinning forever.
  constexpr std::uint64_t kFiberRunsWithoutEventMax = 10'000'000;
  std::uint64_t runs_without_event = 0;
  for (;;) {
    if (done()) return true;
    if (runs_without_event > kFiberRunsWithoutEventMax) {
      livelocked_ = true;
      trace(nullptr, 0, "livelock: fibers ran 10M times without time moving");
      return false;
    }
    // Everything runnable at this instant runs before time moves, in a seeded order;
    // sometimes time moves first (a core that was slow to get to its fibers).
    bool delay_first = false;
    if (faults_.scheduling_delay_probability > 0 && !queue_.empty() &&
        rng(Stream::kScheduler).chance(faults_.scheduling_delay_probability)) {
      delay_first = queue_.top()->time <= now_ + faults_.scheduling_delay_max_ns;
    }
    if (!delay_first && run_one_fiber()) {
      ++runs_without_event;
      continue;
    }
    if (queue_.empty()) {
      if (run_one_fiber()) {
        ++runs_without_event;
        continue;
      }
      return false;
    }
    if (queue_.top()->time > until) {
      if (run_one_fiber()) {
        ++runs_without_event;
        continue;
      }
      now_ = std::max(now_, until);
      return true;
    }
    // priority_queue::top is const; the event is moved out through a const_cast of the
    // unique_ptr's owner, which pop() then discards.
    std::unique_ptr<Event> event = std::move(const_cast<std::unique_ptr<Event>&>(queue_.top()));
    queue_.pop();
    runs_without_event = 0;
    ASSERT_GE(event->time, now_);
    now_ = event->time;
    ++events_;
    set_current(event->node, event->core);
    event->fn();
    set_current(nullptr, 0);
  }
}

void World::trace(SimNode* node, std::uint32_t core, std::string_view text) {
  std::string line = std::to_string(now_) + " " + (node != nullptr ? node->name() : "-") + "/" +
                     std::to_string(core) + " " + std::string(text);
  trace_hash_ = XXH3_64bits_withSeed(line.data(), line.size(), trace_hash_);
  if (echo_trace_) std::fprintf(stderr, "%s\n", line.c_str());
  recent_.push_back(TraceLine{now_, std::move(line)});
  if (recent_.size() > kRecentTraceLines) recent_.pop_front();
}

void World::register_listener(std::uint16_t port, SimListener* listener) {
  for (auto& [p, list] : listeners_) {
    if (p == port) {
      list.push_back(listener);
      return;
    }
  }
  listeners_.push_back({port, {listener}});
}

void World::unregister_listener(std::uint16_t port, SimListener* listener) {
  for (auto& [p, list] : listeners_) {
    if (p == port) list.erase(std::remove(list.begin(), list.end(), listener), list.end());
  }
}

SimListener* World::pick_listener(std::uint16_t port) {
  for (auto& [p, list] : listeners_) {
    if (p == port && !list.empty()) {
      // Like SO_REUSEPORT: the connection lands on one of the cores' listeners.
      return list[rng(Stream::kStreams).below(list.size())];
    }
  }
  return nullptr;
}

bool World::is_listening(std::uint16_t port, const SimListener* listener) const {
  for (const auto& [p, list] : listeners_) {
    if (p == port) return std::find(list.begin(), list.end(), listener) != list.end();
  }
  return false;
}

bool World::fire(const char* site) {
  // Whether a site is enabled is decided the first time it is seen, from the seed and the
  // site's name only, so enabling does not depend on the order sites are reached.
  bool enabled = false;
  bool known = false;
  for (const auto& [name, on] : buggify_sites_) {
    if (name == site) {
      enabled = on;
      known = true;
      break;
    }
  }
  if (!known) {
    std::string name(site);
    Rng decide(seed_ ^ XXH3_64bits(name.data(), name.size()));
    enabled = decide.chance(faults_.buggify_site_probability);
    buggify_sites_.emplace_back(std::move(name), enabled);
  }
  return enabled && rng(Stream::kBuggify).chance(faults_.buggify_fire_probability);
}

}  // namespace eddy::sim

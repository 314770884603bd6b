#include "engine/tx/coordinator.h"

#include <algorithm>
#include <iterator>

namespace eddy {

bool StepHop::run_at_target() {
  ASSERT(shard != nullptr);
  shard->refresh_clock();
  switch (kind) {
    case Kind::kLock: {
      LockTable& locks = shard->locks();
      for (std::uint64_t hash : shared_hashes) {
        if (!locks.can_lock(hash, LockMode::kShared)) {
          shard->park(this);
          return false;
        }
      }
      for (std::uint64_t hash : exclusive_hashes) {
        if (!locks.can_lock(hash, LockMode::kExclusive)) {
          shard->park(this);
          return false;
        }
      }
      for (std::uint64_t hash : shared_hashes) locks.lock(hash, LockMode::kShared);
      for (std::uint64_t hash : exclusive_hashes) locks.lock(hash, LockMode::kExclusive);
      if (step != nullptr) (*step)(*shard);
      return true;
    }
    case Kind::kLockShard: {
      LockTable& locks = shard->locks();
      if (!locks.can_lock_whole_shard()) {
        if (!waiting_for_shard) {
          locks.whole_shard_waiting(true);
          waiting_for_shard = true;
        }
        shard->park(this);
        return false;
      }
      if (waiting_for_shard) {
        locks.whole_shard_waiting(false);
        waiting_for_shard = false;
      }
      locks.lock_whole_shard();
      return true;
    }
    case Kind::kUnlockShard:
      shard->locks().unlock_whole_shard();
      shard->retry_parked();
      return true;
    case Kind::kRun:
      ASSERT(step != nullptr);
      (*step)(*shard);
      return true;
    case Kind::kRunUnlocked:
      ASSERT(step != nullptr);
      if (!shard->locks().empty()) {
        shard->park(this);
        return false;
      }
      (*step)(*shard);
      return true;
    case Kind::kUnlock: {
      if (step != nullptr) (*step)(*shard);
      for (std::uint64_t hash : shared_hashes) shard->locks().unlock(hash, LockMode::kShared);
      for (std::uint64_t hash : exclusive_hashes) {
        shard->locks().unlock(hash, LockMode::kExclusive);
      }
      shard->retry_parked();
      return true;
    }
  }
  UNREACHABLE();
}

namespace {

// A hop that runs a function on a core (not a shard): per-core state such as client lists.
class CoreHop final : public Hop {
 public:
  bool run_at_target() override {
    (*fn)(target_core);
    return true;
  }
  void run_at_origin() override { wait_group->done(); }

  FunctionRef<void(std::uint32_t)>* fn = nullptr;
  fiber::WaitGroup* wait_group = nullptr;
};

}  // namespace

Coordinator::Coordinator(Engine* engine) : engine_(engine) { ASSERT(engine_ != nullptr); }

void Coordinator::dispatch(StepHop* hop) {
  Runtime& rt = engine_->runtime();
  hop->origin_core = rt.current_core();
  hop->target_core = hop->shard->home_core();
  if (hop->target_core == hop->origin_core) {
    if (hop->run_at_target()) hop->run_at_origin();
    // else: parked at the shard; the runtime brings it home when it finishes.
  } else {
    rt.post(hop);
  }
}

void Coordinator::run_on(std::uint32_t shard, FunctionRef<void(Shard&)> fn) {
  fiber::WaitGroup wait_group(&engine_->runtime().scheduler());
  StepHop hop;
  hop.kind = StepHop::Kind::kRun;
  hop.shard = &engine_->shard(shard);
  hop.step = &fn;
  hop.wait_group = &wait_group;
  wait_group.add();
  dispatch(&hop);
  wait_group.wait();
}

void Coordinator::run_on_all(FunctionRef<void(Shard&)> fn) { run_on_all_kind(fn, false); }

void Coordinator::run_on_all_unlocked(FunctionRef<void(Shard&)> fn) {
  run_on_all_kind(fn, true);
}

void Coordinator::run_on_all_kind(FunctionRef<void(Shard&)> fn, bool unlocked_only) {
  const std::uint32_t count = engine_->shard_count();
  fiber::WaitGroup wait_group(&engine_->runtime().scheduler());
  std::vector<StepHop> hops(count);
  wait_group.add(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    hops[i].kind = unlocked_only ? StepHop::Kind::kRunUnlocked : StepHop::Kind::kRun;
    hops[i].shard = &engine_->shard(i);
    hops[i].step = &fn;
    hops[i].wait_group = &wait_group;
    dispatch(&hops[i]);
  }
  wait_group.wait();
}

void Coordinator::run_on_all_cores(FunctionRef<void(std::uint32_t core)> fn) {
  Runtime& rt = engine_->runtime();
  const std::uint32_t cores = rt.core_count();
  fiber::WaitGroup wait_group(&rt.scheduler());
  std::vector<CoreHop> hops(cores);
  wait_group.add(cores);
  for (std::uint32_t core = 0; core < cores; ++core) {
    CoreHop& hop = hops[core];
    hop.fn = &fn;
    hop.wait_group = &wait_group;
    hop.origin_core = rt.current_core();
    hop.target_core = core;
    if (core == hop.origin_core) {
      hop.run_at_target();
      hop.run_at_origin();
    } else {
      rt.post(&hop);
    }
  }
  wait_group.wait();
}

void Coordinator::keyspace_hop(std::uint32_t shard, StepHop::Kind kind) {
  fiber::WaitGroup wait_group(&engine_->runtime().scheduler());
  StepHop hop;
  hop.kind = kind;
  hop.shard = &engine_->shard(shard);
  hop.wait_group = &wait_group;
  wait_group.add();
  dispatch(&hop);
  wait_group.wait();
}

void Coordinator::lock_keyspace() {
  // One shard at a time, ascending: the order every transaction follows.
  for (std::uint32_t i = 0; i < engine_->shard_count(); ++i) {
    keyspace_hop(i, StepHop::Kind::kLockShard);
  }
}

void Coordinator::unlock_keyspace() {
  for (std::uint32_t i = 0; i < engine_->shard_count(); ++i) {
    keyspace_hop(i, StepHop::Kind::kUnlockShard);
  }
}

Coordinator::Transaction::Transaction(Coordinator* coordinator, Args args,
                                      std::span<const std::uint32_t> key_indexes, LockMode mode)
    : coordinator_(coordinator),
      now_ms_(coordinator->engine().runtime().unix_now_ms()),
      id_(coordinator->engine().next_tx_id()) {
  for (std::uint32_t index : key_indexes) add_key(args, index, mode);
  finish_groups();
}

Coordinator::Transaction::Transaction(Coordinator* coordinator, Args args,
                                      std::span<const std::uint32_t> key_indexes,
                                      std::span<const LockMode> modes, Locking locking)
    : coordinator_(coordinator),
      locking_(locking),
      now_ms_(coordinator->engine().runtime().unix_now_ms()),
      id_(coordinator->engine().next_tx_id()) {
  ASSERT_EQ(key_indexes.size(), modes.size());
  for (std::size_t i = 0; i < key_indexes.size(); ++i) add_key(args, key_indexes[i], modes[i]);
  finish_groups();
}

void Coordinator::Transaction::add_key(Args args, std::uint32_t index, LockMode mode) {
  ASSERT_LT(index, args.size());
  const std::uint32_t shard = coordinator_->engine().shard_of_key(args[index]);
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [shard](const Group& g) { return g.shard == shard; });
  if (it == groups_.end()) {
    groups_.push_back(Group{shard, {}, {}, {}});
    it = groups_.end() - 1;
  }
  it->key_indexes.push_back(index);
  auto& hashes = mode == LockMode::kShared ? it->shared_hashes : it->exclusive_hashes;
  hashes.push_back(lock_hash(args[index]));
}

void Coordinator::Transaction::finish_groups() {
  // Ascending shard order is what makes lock acquisition deadlock-free.
  std::sort(groups_.begin(), groups_.end(),
            [](const Group& a, const Group& b) { return a.shard < b.shard; });
  auto sort_unique = [](std::vector<std::uint64_t>& hashes) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  };
  for (Group& group : groups_) {
    sort_unique(group.shared_hashes);
    sort_unique(group.exclusive_hashes);
    // A key held exclusively needs no shared lock besides (the lock table refuses both).
    std::vector<std::uint64_t> shared_only;
    shared_only.reserve(group.shared_hashes.size());
    std::set_difference(group.shared_hashes.begin(), group.shared_hashes.end(),
                        group.exclusive_hashes.begin(), group.exclusive_hashes.end(),
                        std::back_inserter(shared_only));
    group.shared_hashes = std::move(shared_only);
  }
}

Coordinator::Transaction::~Transaction() {
  // Locks left held would block their keys forever: every path must unlock.
  ASSERT(!locked_);
}

std::size_t Coordinator::Transaction::group_of(std::uint32_t arg_index) const {
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const auto& indexes = groups_[g].key_indexes;
    if (std::find(indexes.begin(), indexes.end(), arg_index) != indexes.end()) return g;
  }
  UNREACHABLE();
}

void Coordinator::Transaction::write_part(Shard& shard, FunctionRef<void()> fn) {
  shard.writes().run_unit(now_ms_, id_, static_cast<std::uint32_t>(groups_.size()), fn);
}

void Coordinator::Transaction::lock_all() {
  lock_all([](Shard&, const Group&) {});
}

void Coordinator::Transaction::lock_all(FunctionRef<void(Shard&, const Group&)> on_locked) {
  ASSERT(!locked_);
  Engine& engine = coordinator_->engine();
  for (const Group& group : groups_) {
    fiber::WaitGroup wait_group(&engine.runtime().scheduler());
    auto step_fn = [&](Shard& shard) { on_locked(shard, group); };
    FunctionRef<void(Shard&)> step(step_fn);
    StepHop hop;
    hop.kind = locking_ == Locking::kKeys ? StepHop::Kind::kLock : StepHop::Kind::kRun;
    hop.shard = &engine.shard(group.shard);
    hop.shared_hashes = group.shared_hashes;
    hop.exclusive_hashes = group.exclusive_hashes;
    hop.step = &step;
    hop.wait_group = &wait_group;
    wait_group.add();
    coordinator_->dispatch(&hop);
    wait_group.wait();
  }
  locked_ = true;
}

void Coordinator::Transaction::run(std::size_t index, FunctionRef<void(Shard&, const Group&)> fn) {
  ASSERT(locked_);
  ASSERT_LT(index, groups_.size());
  const Group& group = groups_[index];
  coordinator_->run_on(group.shard, [&](Shard& shard) { fn(shard, group); });
}

void Coordinator::Transaction::unlock_all() {
  unlock_all([](Shard&, const Group&) {});
}

void Coordinator::Transaction::unlock_all(FunctionRef<void(Shard&, const Group&)> before_unlock) {
  ASSERT(locked_);
  Engine& engine = coordinator_->engine();
  fiber::WaitGroup wait_group(&engine.runtime().scheduler());
  const std::size_t count = groups_.size();
  std::vector<StepHop> hops(count);
  // One callable per group so each hop knows its group; they live until the wait returns.
  struct Bound {
    FunctionRef<void(Shard&, const Group&)>* fn;
    const Group* group;
    void operator()(Shard& shard) const { (*fn)(shard, *group); }
  };
  std::vector<Bound> bound(count);
  std::vector<FunctionRef<void(Shard&)>> steps;
  steps.reserve(count);
  for (std::size_t g = 0; g < count; ++g) {
    bound[g] = Bound{&before_unlock, &groups_[g]};
    steps.emplace_back(bound[g]);
  }
  wait_group.add(count);
  for (std::size_t g = 0; g < count; ++g) {
    StepHop& hop = hops[g];
    hop.kind = locking_ == Locking::kKeys ? StepHop::Kind::kUnlock : StepHop::Kind::kRun;
    hop.shard = &engine.shard(groups_[g].shard);
    hop.shared_hashes = groups_[g].shared_hashes;
    hop.exclusive_hashes = groups_[g].exclusive_hashes;
    hop.step = &steps[g];
    hop.wait_group = &wait_group;
    coordinator_->dispatch(&hop);
  }
  wait_group.wait();
  locked_ = false;
}

}  // namespace eddy

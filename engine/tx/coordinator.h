#pragma once
// Runs work on other shards and cores from a session's fiber, and makes multi-shard commands
// atomic.
//
// Atomicity (MSET, MGET, DEL, EXISTS, MSETNX, RENAME across shards) uses ordered key locks, the
// scheme of Calvin-style deterministic locking: the coordinator locks the keys it needs on each
// shard, one shard at a time in ascending shard order, then runs its steps, then unlocks
// everywhere. Because every transaction takes shards in the same order, no two can wait for
// each other in a cycle, so there is no deadlock and no global lock. Any other work that
// touches a locked key on that shard (a single-key GET from another client, say) is parked at
// the shard and resumes when the lock goes, so no reader ever sees part of a multi-key write.
// The single-key path pays one branch (are there any locks on this shard?) and nothing more.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/function_ref.h"
#include "engine/engine.h"
#include "engine/fiber/scheduler.h"

namespace eddy {

// One hop of a coordinator: lock keys, run a step, or unlock, on one shard.
class StepHop final : public Hop {
 public:
  // kLockShard / kUnlockShard take and release the whole shard (Coordinator::lock_keyspace).
  enum class Kind : std::uint8_t { kLock, kRun, kRunUnlocked, kUnlock, kLockShard, kUnlockShard };

  bool run_at_target() override;
  void run_at_origin() override { wait_group->done(); }

  Kind kind = Kind::kRun;
  Shard* shard = nullptr;
  // For kLock/kUnlock: the key locks, each hash unique and in one list only.
  std::span<const std::uint64_t> shared_hashes;
  std::span<const std::uint64_t> exclusive_hashes;
  // Runs on the shard: after the lock is granted (kLock), as the step (kRun), or before the
  // unlock (kUnlock). May be empty for lock/unlock.
  FunctionRef<void(Shard&)>* step = nullptr;
  fiber::WaitGroup* wait_group = nullptr;
  bool waiting_for_shard = false;  // kLockShard parked: counted as a waiter by the lock table
};

class Coordinator {
 public:
  explicit Coordinator(Engine* engine);

  Engine& engine() { return *engine_; }

  // Runs fn on one shard and waits (inline when the shard lives on this core).
  void run_on(std::uint32_t shard, FunctionRef<void(Shard&)> fn);
  // Runs fn on every shard in parallel and waits for all.
  void run_on_all(FunctionRef<void(Shard&)> fn);
  // The same, but on each shard only when no transaction holds locks there (whole-keyspace
  // writes such as FLUSHALL and SWAPDB must not pull keys from under a transaction).
  void run_on_all_unlocked(FunctionRef<void(Shard&)> fn);
  // Runs fn on the home core of each core in parallel (fn gets the core index), e.g. to visit
  // per-core client registries.
  void run_on_all_cores(FunctionRef<void(std::uint32_t core)> fn);

  // Takes every shard whole and exclusively, in ascending shard order; each shard is granted
  // once it holds no key locks (and new key locks there wait behind the request). Because it
  // follows the same shard order as transactions, it cannot deadlock with them. Meanwhile
  // every other command on every shard waits: the escalation for work whose key set cannot
  // be known before reading some keys and did not hold still under optimistic locking (SORT's
  // BY/GET patterns). Release with unlock_keyspace; while held, reach shards with run_on or a
  // Transaction built with Locking::kKeyspaceHeld.
  void lock_keyspace();
  void unlock_keyspace();

  // A multi-shard transaction over the keys of `args` at `key_indexes`.
  class Transaction {
   public:
    struct Group {
      std::uint32_t shard;
      std::vector<std::uint32_t> key_indexes;       // into args, in command order
      std::vector<std::uint64_t> shared_hashes;     // unique; none also in exclusive_hashes
      std::vector<std::uint64_t> exclusive_hashes;  // unique
    };
    // kKeyspaceHeld: the caller holds lock_keyspace, so lock_all/unlock_all take and release
    // no key locks (they only run their steps on each shard).
    enum class Locking : std::uint8_t { kKeys, kKeyspaceHeld };

    Transaction(Coordinator* coordinator, Args args, std::span<const std::uint32_t> key_indexes,
                LockMode mode);
    // Each key in its own mode (modes[i] for key_indexes[i]); a key named in both modes is
    // locked exclusively.
    Transaction(Coordinator* coordinator, Args args, std::span<const std::uint32_t> key_indexes,
                std::span<const LockMode> modes, Locking locking = Locking::kKeys);
    ~Transaction();

    // Locks every group, in ascending shard order; `on_locked` runs on each shard right after
    // its keys are granted (e.g. to read them).
    void lock_all(FunctionRef<void(Shard&, const Group&)> on_locked);
    void lock_all();
    // Runs fn on the shard of group `index` and waits.
    void run(std::size_t index, FunctionRef<void(Shard&, const Group&)> fn);
    // Runs `before_unlock` on every shard in parallel, then releases the locks there.
    void unlock_all(FunctionRef<void(Shard&, const Group&)> before_unlock);
    void unlock_all();

    const std::vector<Group>& groups() const { return groups_; }

    // Runs `fn` on `shard` (which must be this transaction's, and the caller already there: a
    // step's body) as one write-path unit tagged with this transaction: its effects form one of
    // the transaction's groups().size() parts. Every group writes once, or none does.
    void write_part(Shard& shard, FunctionRef<void()> fn);
    std::uint64_t id() const { return id_; }
    // The transaction's clock: read once when it starts and used by every step on every
    // shard, so a key seen alive by one step cannot expire before the next (lazy expiry
    // follows the time it is given).
    std::int64_t now_ms() const { return now_ms_; }
    // The group that holds key argument `arg_index`.
    std::size_t group_of(std::uint32_t arg_index) const;

   private:
    void add_key(Args args, std::uint32_t index, LockMode mode);
    void finish_groups();

    Coordinator* coordinator_;
    Locking locking_ = Locking::kKeys;
    std::int64_t now_ms_;
    std::uint64_t id_;
    std::vector<Group> groups_;
    bool locked_ = false;
  };

 private:
  friend class Transaction;
  // Sends hop (already filled in) to its shard's core, or runs it inline when local.
  void dispatch(StepHop* hop);
  void run_on_all_kind(FunctionRef<void(Shard&)> fn, bool unlocked_only);
  void keyspace_hop(std::uint32_t shard, StepHop::Kind kind);

  Engine* engine_;
};

// Registers the cross-shard versions of MSET, MSETNX, MGET, DEL, UNLINK, EXISTS, RENAME and
// RENAMENX with the command table.
void register_multi_shard_commands(CommandTable& table);

}  // namespace eddy

#pragma once
// A shard actor: one part of the keyspace (all 16 databases of the slots it owns), touched
// only from its home core. Work arrives as hops (batches of commands, transaction steps) and
// runs to completion. Multi-shard transactions hold key locks here while they move between
// shards; any other work touching a locked key is parked in arrival order and resumed when
// the lock goes (see engine/tx and docs/architecture.md).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>

#include "engine/blocking.h"
#include "engine/db.h"
#include "engine/kv/encoding_limits.h"
#include "engine/limits.h"
#include "engine/runtime.h"
#include "engine/write_path.h"

namespace eddy {

enum class LockMode : std::uint8_t { kShared, kExclusive };

// Key locks held by multi-shard transactions. Keys are identified by their 64-bit hash: two
// keys that collide only wait for each other, which is safe.
//
// The whole shard can also be held exclusively (Coordinator::lock_keyspace: work whose keys
// are known only once it has read some of them, see engine/cmd/sort_command.cc). It is granted
// only when no key lock is held, and while such a request waits no new key lock is granted
// either, so a stream of short transactions cannot starve it.
class LockTable {
 public:
  bool empty() const { return locks_.empty() && !whole_shard_; }
  bool can_lock(std::uint64_t key_hash, LockMode mode) const;
  void lock(std::uint64_t key_hash, LockMode mode);
  void unlock(std::uint64_t key_hash, LockMode mode);
  // Locks held, the whole-shard lock counting as one.
  std::size_t size() const { return locks_.size() + (whole_shard_ ? 1 : 0); }

  bool can_lock_whole_shard() const { return locks_.empty() && !whole_shard_; }
  void lock_whole_shard();
  void unlock_whole_shard();
  // A whole-shard request parked here (it blocks new key locks until granted).
  void whole_shard_waiting(bool waiting);

 private:
  struct State {
    std::uint32_t shared = 0;
    bool exclusive = false;
  };
  std::unordered_map<std::uint64_t, State> locks_;
  bool whole_shard_ = false;
  std::uint32_t whole_shard_waiters_ = 0;
};

std::uint64_t lock_hash(std::string_view key);

struct ShardStats {
  std::uint64_t keyspace_hits = 0;
  std::uint64_t keyspace_misses = 0;
  std::uint64_t commands_processed = 0;
};

class Shard {
 public:
  Shard(std::uint32_t id, std::uint32_t home_core, Runtime* runtime);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  std::uint32_t id() const { return id_; }
  std::uint32_t home_core() const { return home_core_; }
  Runtime& runtime() { return *runtime_; }

  Db& db(std::size_t index) {
    ASSERT_LT(index, dbs_.size());
    return dbs_[index];
  }
  std::size_t db_count() const { return dbs_.size(); }

  // The thresholds at which collections change encoding (the engine's; defaults otherwise).
  const kv::EncodingLimits& encoding_limits() const { return *encoding_limits_; }
  void set_encoding_limits(const kv::EncodingLimits* limits) { encoding_limits_ = limits; }

  // The one path through which this shard's keyspace changes (engine/write_path.h).
  WritePath& writes() { return writes_; }

  // Clients blocked on this shard's keys (engine/blocking.h).
  BlockingRegistry& blocking() { return blocking_; }

  // Whole-database writes, as units of the write path with their effects: the fan-outs
  // FLUSHDB/FLUSHALL/SWAPDB run these on every shard, and replaying those effects runs them too.
  void flush_db(int db, std::int64_t now_ms);
  void flush_all(std::int64_t now_ms);
  void swap_dbs(int a, int b, std::int64_t now_ms);

  // Bytes held by the keyspace of this shard, all databases. O(databases).
  std::size_t used_bytes() const;

  // Wall-clock ms as this shard sees it; refreshed at the start of each hop's work.
  std::int64_t now_ms() const { return now_ms_; }
  void refresh_clock() { now_ms_ = runtime_->unix_now_ms(); }

  LockTable& locks() { return locks_; }
  // Whether work touching `keys` in `mode` must wait for a lock holder.
  bool blocked_by_locks(std::span<const std::string_view> keys, LockMode mode) const;

  // Parks a hop until locks change; it is retried (run_at_target again) in arrival order.
  void park(Hop* hop);
  // After unlocking: retries parked hops in order; each that finishes is sent home.
  void retry_parked();
  std::size_t parked_count() const { return parked_count_; }

  // Active expiry: deletes expired keys across databases for at most `budget_ns` of monotonic
  // time. Returns keys deleted.
  std::size_t active_expire_cycle(Nanos budget_ns);

  ShardStats& stats() { return stats_; }

 private:
  std::uint32_t id_;
  std::uint32_t home_core_;
  Runtime* runtime_;
  WritePath writes_;
  BlockingRegistry blocking_;
  const kv::EncodingLimits* encoding_limits_ = &kv::EncodingLimits::defaults();
  std::array<Db, limits::databases> dbs_;
  std::int64_t now_ms_ = 0;
  LockTable locks_;
  Hop* parked_head_ = nullptr;
  Hop* parked_tail_ = nullptr;
  std::size_t parked_count_ = 0;
  std::size_t expire_db_cursor_ = 0;
  ShardStats stats_;
};

}  // namespace eddy

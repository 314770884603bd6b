#include "engine/shard.h"

#include <xxhash.h>

namespace eddy {

std::uint64_t lock_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

bool LockTable::can_lock(std::uint64_t key_hash, LockMode mode) const {
  if (whole_shard_ || whole_shard_waiters_ != 0) return false;
  auto it = locks_.find(key_hash);
  if (it == locks_.end()) return true;
  if (it->second.exclusive) return false;
  return mode == LockMode::kShared;
}

void LockTable::lock(std::uint64_t key_hash, LockMode mode) {
  State& state = locks_[key_hash];
  if (mode == LockMode::kExclusive) {
    // The same transaction may name a key twice (MSET a 1 a 2): it then holds it once.
    ASSERT(!state.exclusive || state.shared == 0);
    ASSERT_EQ(state.shared, 0u);
    state.exclusive = true;
  } else {
    ASSERT(!state.exclusive);
    ++state.shared;
  }
}

void LockTable::unlock(std::uint64_t key_hash, LockMode mode) {
  auto it = locks_.find(key_hash);
  ASSERT(it != locks_.end());
  if (mode == LockMode::kExclusive) {
    ASSERT(it->second.exclusive);
    it->second.exclusive = false;
  } else {
    ASSERT_GT(it->second.shared, 0u);
    --it->second.shared;
  }
  if (!it->second.exclusive && it->second.shared == 0) locks_.erase(it);
}

void LockTable::lock_whole_shard() {
  ASSERT(can_lock_whole_shard());
  whole_shard_ = true;
}

void LockTable::unlock_whole_shard() {
  ASSERT(whole_shard_);
  whole_shard_ = false;
}

void LockTable::whole_shard_waiting(bool waiting) {
  if (waiting) {
    ++whole_shard_waiters_;
  } else {
    ASSERT_GT(whole_shard_waiters_, 0u);
    --whole_shard_waiters_;
  }
}

Shard::Shard(std::uint32_t id, std::uint32_t home_core, Runtime* runtime)
    : id_(id), home_core_(home_core), runtime_(runtime), writes_(this, id) {
  ASSERT(runtime_ != nullptr);
  // One seed for the shard's databases: SWAPDB trades their tables, and each keeps hashing
  // with the seed its entries were placed by.
  const std::uint64_t hash_seed = runtime_->hash_seed();
  for (std::size_t i = 0; i < dbs_.size(); ++i) {
    dbs_[i].attach(&writes_, static_cast<int>(i), hash_seed);
  }
}

void Shard::flush_db(int db, std::int64_t now_ms) {
  writes_.run_unit(now_ms, 0, 1, [&] {
    this->db(static_cast<std::size_t>(db)).clear();
    writes_.emit(db, {"FLUSHDB"});
  });
}

void Shard::flush_all(std::int64_t now_ms) {
  writes_.run_unit(now_ms, 0, 1, [&] {
    for (Db& d : dbs_) d.clear();
    writes_.emit(0, {"FLUSHALL"});
  });
}

void Shard::swap_dbs(int a, int b, std::int64_t now_ms) {
  writes_.run_unit(now_ms, 0, 1, [&] {
    if (a != b) db(static_cast<std::size_t>(a)).swap_contents(db(static_cast<std::size_t>(b)));
    char first[24];
    char second[24];
    writes_.emit(0, {"SWAPDB", kv::Value::format_int(a, first), kv::Value::format_int(b, second)});
    // Clients blocked in either database may find their key there now (served as the unit
    // ends).
    blocking_.databases_changed(a, b);
  });
}

std::size_t Shard::used_bytes() const {
  std::size_t bytes = 0;
  for (const Db& d : dbs_) bytes += d.used_bytes();
  return bytes;
}

bool Shard::blocked_by_locks(std::span<const std::string_view> keys, LockMode mode) const {
  if (EDDY_LIKELY(locks_.empty() && parked_head_ == nullptr)) return false;
  // While anything is parked, newcomers touching a locked key queue behind it, so a waiter is
  // never overtaken on the key it waits for.
  for (std::string_view key : keys) {
    if (!locks_.can_lock(lock_hash(key), mode)) return true;
  }
  return false;
}

void Shard::park(Hop* hop) {
  ASSERT(hop->next_parked == nullptr);
  ASSERT_LT(parked_count_, limits::parked_hops_max);
  if (parked_tail_ == nullptr) {
    parked_head_ = hop;
  } else {
    parked_tail_->next_parked = hop;
  }
  parked_tail_ = hop;
  ++parked_count_;
}

void Shard::retry_parked() {
  // Detach the list first: a retried hop that blocks again re-parks itself at the tail.
  Hop* hop = parked_head_;
  parked_head_ = parked_tail_ = nullptr;
  std::size_t count = parked_count_;
  parked_count_ = 0;
  while (hop != nullptr) {
    Hop* next = hop->next_parked;
    hop->next_parked = nullptr;
    --count;
    if (hop->run_at_target()) runtime_->send_home(hop);
    hop = next;
  }
  ASSERT_EQ(count, 0u);
}

std::size_t Shard::active_expire_cycle(Nanos budget_ns) {
  const Nanos start = runtime_->monotonic_now();
  refresh_clock();
  std::size_t deleted = 0;
  // Slices of 256 slots keep the clock checks cheap relative to the work.
  constexpr std::size_t kSliceSlots = 256;
  for (std::size_t visited = 0; visited < dbs_.size();) {
    Db& db = dbs_[expire_db_cursor_];
    if (db.volatile_count() == 0 || locks_.size() != 0) {
      // A locked key must not vanish under a transaction; skip this round while locks exist.
      expire_db_cursor_ = (expire_db_cursor_ + 1) % dbs_.size();
      ++visited;
      continue;
    }
    writes_.run_unit(now_ms_, 0, 1, [&] { deleted += db.expire_slice(now_ms_, kSliceSlots); });
    if (runtime_->monotonic_now() - start >= budget_ns) break;
    // Move on when this database has had a full pass or has nothing left to expire.
    if (db.volatile_count() == 0 || db.expire_pass_complete()) {
      expire_db_cursor_ = (expire_db_cursor_ + 1) % dbs_.size();
      ++visited;
    }
  }
  return deleted;
}

}  // namespace eddy

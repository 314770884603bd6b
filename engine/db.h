#pragma once
// One logical database (SELECT n) within one shard: the kv table plus Redis's expiry semantics,
// and the only code that changes entries.
//
// Reads go through find(), which deletes a key whose time has passed (lazy expiry), so no
// command ever observes an expired key. Lookups hand out `const kv::Entry*`: a handler can read
// an entry but can change it only through Db's mutators (find_or_insert, update, set_expire,
// erase, ...). Each mutator keeps the database's memory count exact in O(1) and reports the
// change to the shard's write path (engine/write_path.h), which versions watched keys, counts
// modifications and, for expiry, emits the DEL effect. Mutators may run only inside a write-path
// unit (the write path asserts it), so no change can bypass it.

#include <cstdint>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/kv/table.h"
#include "engine/write_path.h"

namespace eddy {

class Db {
 public:
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Called once by the owning shard.
  void attach(WritePath* writes, int index, std::uint64_t hash_seed) {
    writes_ = writes;
    index_ = index;
    table_.set_hash_seed(hash_seed);
  }
  int index() const { return index_; }

  // Redis's rule (keyIsExpired): a key lives through the millisecond of its deadline and is
  // gone only once the clock has passed it.
  static bool expired(const kv::Entry& entry, std::int64_t now_ms) {
    const std::int64_t at_ms = entry.expire_at_ms();
    return at_ms != 0 && at_ms < now_ms;
  }

  // The live entry for key, or nullptr (absent or expired; an expired one is deleted here).
  const kv::Entry* find(std::string_view key, std::int64_t now_ms) {
    kv::Entry* entry = table_.find(key);
    if (entry == nullptr) return nullptr;
    if (EDDY_UNLIKELY(expired(*entry, now_ms))) {
      before_change(key);
      expire(entry, now_ms);
      return nullptr;
    }
    return entry;
  }
  // A lookup that never deletes (fan-outs that only look, outside any unit).
  const kv::Entry* peek(std::string_view key) const { return table_.find(key); }

  // The live entry for key, creating an empty string (no expiry) when absent or expired.
  std::pair<const kv::Entry*, bool> find_or_insert(std::string_view key, std::int64_t now_ms) {
    before_change(key);
    auto [entry, inserted] = table_.find_or_insert(key);
    if (inserted) {
      entry_bytes_ += entry->key.heap_bytes();
      writes_->key_inserted(index_, entry);
      return {entry, true};
    }
    if (EDDY_UNLIKELY(expired(*entry, now_ms))) return {recreate_expired(entry, now_ms), true};
    return {entry, false};
  }

  // Changes an entry's value in place: `fn(kv::Value&)` may do anything to the value except
  // destroy the entry. Memory and versions are accounted from before and after.
  template <typename Fn>
  void update(const kv::Entry* entry, Fn&& fn) {
    kv::Entry* mutable_entry = const_cast<kv::Entry*>(entry);
    before_change(entry->key.view());
    const std::size_t before = mutable_entry->value.memory_bytes();
    fn(mutable_entry->value);
    const std::size_t after = mutable_entry->value.memory_bytes();
    ASSERT_GE(entry_bytes_ + after, before);
    entry_bytes_ = entry_bytes_ + after - before;
    writes_->key_modified(index_, entry);
  }
  // Redis's bit commands unshare the string they write (SETBIT, BITFIELD SET/INCRBY) even when
  // no bit changes, so OBJECT ENCODING says "raw" from then on. That is an encoding-only change:
  // no modification, no version bump, no effect, as in Redis (which does not propagate it).
  void make_raw(const kv::Entry* entry) {
    kv::Entry* mutable_entry = const_cast<kv::Entry*>(entry);
    if (!mutable_entry->value.is_string()) return;
    const std::size_t before = mutable_entry->value.memory_bytes();
    mutable_entry->value.mutable_string();
    // An int's decimal form (at most 20 bytes) stays inline: no memory moves.
    ASSERT_EQ(mutable_entry->value.memory_bytes(), before);
  }

  // An encoding-only change that may move memory (SORT converting the sorted set it sorts to
  // the skiplist form, as Redis does): the value means the same afterwards, so there is no
  // modification, no version bump and no effect (Redis does not propagate it either), only the
  // memory count follows. `fn(kv::Value&)` must not change what the value means.
  template <typename Fn>
  void reencode(const kv::Entry* entry, Fn&& fn) {
    kv::Entry* mutable_entry = const_cast<kv::Entry*>(entry);
    const std::size_t before = mutable_entry->value.memory_bytes();
    fn(mutable_entry->value);
    const std::size_t after = mutable_entry->value.memory_bytes();
    ASSERT_GE(entry_bytes_ + after, before);
    entry_bytes_ = entry_bytes_ + after - before;
  }

  // Creates or overwrites `key` with `value` and `expire_at_ms` (0: none).
  void put(std::string_view key, kv::Value&& value, std::int64_t expire_at_ms,
           std::int64_t now_ms) {
    const kv::Entry* entry = find_or_insert(key, now_ms).first;
    update(entry, [&](kv::Value& v) { v = std::move(value); });
    (void)set_expire(entry, expire_at_ms);
  }

  // Deletes the key if it is live; true if it was.
  bool erase(std::string_view key, std::int64_t now_ms) {
    const kv::Entry* entry = find(key, now_ms);
    if (entry == nullptr) return false;
    erase(entry);
    return true;
  }
  // `entry` came from a lookup with no insert or erase since.
  void erase(const kv::Entry* entry) {
    writes_->key_removed(index_, entry);
    remove(const_cast<kv::Entry*>(entry));
  }
  // Takes the value out of a live key and deletes the key (RENAME, MOVE).
  kv::Value take(const kv::Entry* entry) {
    before_change(entry->key.view());
    kv::Value value = std::move(const_cast<kv::Entry*>(entry)->value);
    // The moved-from value is an empty string: account for what left with it.
    entry_bytes_ -= value.memory_bytes();
    erase(entry);
    return value;
  }

  // Sets (at_ms > 0) or clears (0) a key's deadline. Returns the entry, which moves when it
  // gains or loses a deadline (kv::Table::set_deadline): `entry` must not be used after.
  [[nodiscard]] const kv::Entry* set_expire(const kv::Entry* entry, std::int64_t at_ms) {
    ASSERT_GE(at_ms, 0);
    if (entry->expire_at_ms() == at_ms) return entry;
    before_change(entry->key.view());
    kv::Entry* moved = table_.set_deadline(const_cast<kv::Entry*>(entry), at_ms);
    writes_->key_moved(index_, entry, moved);
    return moved;
  }

  // FLUSHDB's part. Reported as a whole-database change, touching the watched keys it held.
  void clear() {
    before_db_change(index_);
    writes_->db_changed(index_, [&](std::string_view key) { return table_.find(key) != nullptr; });
    table_.clear();
    expire_cursor_ = 0;
    entry_bytes_ = 0;
  }

  // SWAPDB's part: the contents trade places; each Db keeps its index and write path.
  void swap_contents(Db& other) {
    // As Redis: a watched key is touched when it was in its database, or the database swapped
    // in holds it live; an expired key arriving where the key was absent is no change.
    before_db_change(index_);
    before_db_change(other.index_);
    const std::int64_t now_ms = writes_->unit_now_ms();
    auto touched_by = [now_ms](const kv::Table& emptied, const kv::Table& replacement) {
      return [&emptied, &replacement, now_ms](std::string_view key) {
        if (emptied.find(key) != nullptr) return true;
        const kv::Entry* arriving = replacement.find(key);
        return arriving != nullptr && !expired(*arriving, now_ms);
      };
    };
    writes_->db_changed(index_, touched_by(table_, other.table_));
    writes_->db_changed(other.index_, touched_by(other.table_, table_));
    table_.swap(other.table_);
    std::swap(expire_cursor_, other.expire_cursor_);
    std::swap(entry_bytes_, other.entry_bytes_);
  }

  // A snapshot of this database (engine/storage/shard_snapshot.h; kv::Table's snapshot support).
  void begin_snapshot() { table_.begin_snapshot(); }
  void end_snapshot() { table_.end_snapshot(); }
  std::uint64_t snapshot_step(std::uint64_t cursor, std::size_t entries_max,
                              FunctionRef<void(const kv::Entry&)> visit) {
    return table_.snapshot_step(cursor, entries_max, visit);
  }
  std::size_t snapshot_segment_of(std::uint64_t hash, FunctionRef<void(const kv::Entry&)> visit) {
    return table_.snapshot_segment_of(hash, visit);
  }

  std::size_t size() const { return table_.size(); }
  std::size_t volatile_count() const { return table_.volatile_size(); }
  const kv::Table& table() const { return table_; }
  // RANDOMKEY: a random entry (possibly expired: the caller judges), nullptr if empty.
  const kv::Entry* random_entry(std::uint64_t random) { return table_.random_entry(random); }

  // Bytes this database holds: the table's structure plus what its keys and values hold on the
  // heap. Exact and O(1): every mutator above keeps it so (tests check it against a walk).
  std::size_t used_bytes() const { return table_.structure_bytes() + entry_bytes_; }

  // One slice of active expiry: inspects at most `slots_max` slots from where the last slice
  // stopped, deleting keys whose deadline has passed. Returns keys deleted.
  std::size_t expire_slice(std::int64_t now_ms, std::size_t slots_max);

  // True when the last slice finished a full pass over the table.
  bool expire_pass_complete() const { return expire_cursor_ == 0; }
  std::uint64_t expired_keys() const { return expired_keys_; }
  // CONFIG RESETSTAT: INFO's expired_keys counts from zero again.
  void reset_stats() { expired_keys_ = 0; }

 private:
  // find_or_insert's cold part, out of line so the common lookup inlines: the old key expired,
  // which is a DEL, and the command then creates the key afresh in the same entry.
  [[gnu::noinline]] const kv::Entry* recreate_expired(kv::Entry* entry, std::int64_t now_ms);
  void expire(kv::Entry* entry, std::int64_t now_ms) {
    writes_->key_expired(index_, entry->key.view(), now_ms);
    ++expired_keys_;
    remove(entry);
  }
  void remove(kv::Entry* entry) {
    before_change(entry->key.view());
    const std::size_t bytes = entry->key.heap_bytes() + entry->value.memory_bytes();
    ASSERT_GE(entry_bytes_, bytes);
    entry_bytes_ -= bytes;
    table_.erase(entry);
  }

  // The snapshot hook (engine/write_path.h: SnapshotHook), before every change; one branch
  // when no snapshot runs.
  void before_change(std::string_view key) {
    if (EDDY_UNLIKELY(table_.snapshot_running())) before_change_slow(key);
  }
  [[gnu::noinline]] void before_change_slow(std::string_view key);
  void before_db_change(int index) {
    if (EDDY_UNLIKELY(writes_->snapshot_hook() != nullptr)) {
      writes_->snapshot_hook()->before_db_change(index);
    }
  }

  kv::Table table_;
  WritePath* writes_ = nullptr;
  int index_ = 0;
  std::size_t entry_bytes_ = 0;  // keys' and values' heap bytes
  std::uint64_t expire_cursor_ = 0;
  std::uint64_t expired_keys_ = 0;
};

}  // namespace eddy

#pragma once
// The write path: the one place through which a shard's keyspace changes.
//
// Every change — a command, a step of a cross-shard transaction, lazy or active expiry,
// FLUSHDB, SWAPDB (and eviction later) — runs inside a *unit* opened here. During a unit, Db's
// mutators report each change (key_modified, key_expired), which keeps the shard's modification
// count and watched-key versions true; the command's handler, or the step, says what the change
// *means* as effects. When the unit ends its effects go to the shard's observers in one batch.
//
// An effect is the change's deterministic rewrite as a Redis command, as Redis propagates
// writes: relative TTLs become absolute PEXPIREAT/PXAT, SPOP becomes SREM of the chosen
// members, INCRBYFLOAT becomes SET ... KEEPTTL, an expired key becomes DEL, a write that changed
// nothing produces nothing. A deterministic write that did change something is its own effect
// (the command verbatim) unless its handler emitted explicit effects. Replaying the effects in
// order, at the batches' clocks, on an empty engine reproduces the keyspace exactly (a property
// test checks that).
//
// Observers (the write-ahead log, replication, keyspace notifications) attach here and never to
// a handler. With no observer attached nothing is recorded: the hot path pays two branches.
//
// Effects of a cross-shard transaction carry its id and the number of shards that write, one
// batch per shard, so a log or a replica can apply them all or none.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/hash_seed.h"
#include "engine/kv/value.h"

namespace eddy {

namespace kv {
struct Entry;
}
struct BlockingRequest;
struct CommandSpec;
class ReplyBuilder;
class Shard;

struct Effect {
  std::uint16_t db;
  std::span<const std::string_view> args;  // args[0] is the command name
};

struct EffectBatch {
  std::uint32_t shard;
  std::uint64_t tx_id;     // 0: a single-shard unit
  std::uint32_t tx_parts;  // shards that write in the transaction (1 for tx_id 0)
  std::int64_t now_ms;     // the clock the unit ran at; replay applies at the same clock
  std::span<const Effect> effects;
};

class WriteObserver {
 public:
  virtual ~WriteObserver() = default;
  // The views in `batch` live only during the call: an observer that keeps effects copies them.
  virtual void on_effects(const EffectBatch& batch) = 0;
};

// A snapshot in progress on this shard (engine/storage/shard_snapshot.h). Db calls it *before*
// a change, while the key's old contents are still there: a part of the table the snapshot has
// not serialized yet is serialized first (the cut Dragonfly uses), so the snapshot holds the
// keyspace as it was when it began. Only while a table's snapshot runs (kv::Table::
// snapshot_running): otherwise Db pays one branch.
class SnapshotHook {
 public:
  virtual ~SnapshotHook() = default;
  // `key` (hash `hash` in db's table) is about to change, be created or be deleted.
  virtual void before_key_change(int db, std::uint64_t hash) = 0;
  // The whole database is about to be emptied or swapped with another (FLUSHDB, SWAPDB).
  virtual void before_db_change(int db) = 0;
};

class WritePath {
 public:
  WritePath(Shard* shard, std::uint32_t shard_id);
  WritePath(const WritePath&) = delete;
  WritePath& operator=(const WritePath&) = delete;

  // ---- units

  // Runs one command's handler on `db` at `now_ms` as a unit. The handler must be a kKeys
  // command's; `args` stay valid for the call.
  // A blocking command (BLPOP ...) gets `blocking` where it may wait (engine/blocking.h).
  void apply(const CommandSpec& spec, int db, std::span<const std::string_view> args,
             ReplyBuilder& reply, std::int64_t now_ms, BlockingRequest* blocking = nullptr);

  // Runs `fn` as a unit of internal work (active expiry, FLUSHDB, a transaction's step): its
  // effects are whatever it emits, plus expiry DELs. tx_id 0 = not part of a transaction.
  void run_unit(std::int64_t now_ms, std::uint64_t tx_id, std::uint32_t tx_parts,
                FunctionRef<void()> fn);

  bool in_unit() const { return in_unit_; }
  std::int64_t unit_now_ms() const { return now_ms_; }

  // ---- effects (inside a unit)

  // True when effects are being recorded (some observer is attached). Handlers whose rewrite
  // costs something (formatting numbers) check this first.
  bool recording() const { return !observers_.empty(); }
  // An explicit effect: replaces the verbatim default for the current command.
  void emit(int db, std::initializer_list<std::string_view> args);
  void emit(int db, std::span<const std::string_view> args);
  // Incremental form for effects with many arguments: begin, add each, end.
  void emit_begin(int db, std::string_view name);
  void emit_arg(std::string_view arg);
  void emit_int_arg(std::int64_t value);
  void emit_end();
  // Effects that make `key` hold exactly `value` with deadline `expire_at_ms` (0: none),
  // whatever it held before: how a value that arrives from elsewhere (another shard) is
  // described.
  void emit_rebuild(int db, std::string_view key, const kv::Value& value,
                    std::int64_t expire_at_ms);
  // The current command changed nothing worth propagating even if it touched keys.
  void suppress_verbatim() { explicit_effects_ = true; }

  // ---- reports from Db (inside a unit)

  // A key's value, TTL or existence changed. Counted once per key per run of changes to it
  // (creating a key and setting its value is one change, as Redis counts its dirty keys).
  // The run is recognised by the entry's address, which Db reports as it changes: an entry
  // keeps its address until it is removed, except when it gains or loses a deadline
  // (entry_moved) and when an insertion reorganises the table, and an insertion always starts
  // a new run. Inline and free of calls on its common path (nothing watched, nobody blocked):
  // it runs for every key every write changes.
  void key_modified(int db, const kv::Entry* entry) {
    ASSERT_MSG(in_unit_, "a keyspace change outside the write path");
    if (entry != last_modified_) {
      ++modifications_;
      last_modified_ = entry;
    }
    if (EDDY_UNLIKELY(!watched_.empty() || blocked_calls_ != 0)) key_modified_slow(db, entry);
  }
  // A new key: always a change of its own (its address may be one an earlier change of this
  // unit used before the table moved that entry).
  void key_inserted(int db, const kv::Entry* entry) {
    ASSERT_MSG(in_unit_, "a keyspace change outside the write path");
    ++modifications_;
    last_modified_ = entry;
    if (EDDY_UNLIKELY(!watched_.empty() || blocked_calls_ != 0)) key_modified_slow(db, entry);
  }
  // The entry at `from` now lives at `to` (it gained or lost a deadline) and changed.
  void key_moved(int db, const kv::Entry* from, const kv::Entry* to) {
    ASSERT_MSG(in_unit_, "a keyspace change outside the write path");
    if (from != last_modified_) ++modifications_;
    last_modified_ = to;
    if (EDDY_UNLIKELY(!watched_.empty() || blocked_calls_ != 0)) key_modified_slow(db, to);
  }
  // The entry is about to be deleted (DEL, RENAME's source ...): a change, after which its
  // address may hold another key.
  void key_removed(int db, const kv::Entry* entry) {
    key_modified(db, entry);
    last_modified_ = nullptr;
  }
  // A key was deleted because its TTL passed (lazy or active expiry): DEL is its effect. Outside
  // a unit (a read step that looks up keys) the deletion is a unit of its own, at `now_ms`.
  void key_expired(int db, std::string_view key, std::int64_t now_ms);
  // A whole database was emptied or two swapped (FLUSHDB/FLUSHALL/SWAPDB). As Redis's
  // touchAllWatchedKeysInDb, a watched key of it changes only when `touched(key)` says its
  // contents did (it was there, or the swapped-in database holds it live); a key absent on both
  // sides keeps its version, so a WATCH on it survives the flush.
  void db_changed(int db, FunctionRef<bool(std::string_view)> touched);

  // ---- blocked clients (engine/blocking.h)

  // How many clients wait at this shard: while any do, changed keys are noted and, when the
  // outermost unit ends, their waiters are served.
  void set_blocked_calls(std::size_t count) { blocked_calls_ = count; }
  // Defers serving blocked clients until release (MULTI/EXEC: served after the whole EXEC).
  void hold_serving() { ++serving_holds_; }
  void release_serving();

  // ---- observers

  void add_observer(WriteObserver* observer);
  void remove_observer(WriteObserver* observer);

  // ---- the snapshot in progress (nullptr: none)

  void set_snapshot_hook(SnapshotHook* hook) { snapshot_hook_ = hook; }
  SnapshotHook* snapshot_hook() const { return snapshot_hook_; }

  // ---- key versions, for WATCH

  // Registers interest in a key and returns its version: any later change of the key (or
  // of its database as a whole) gives it a new, larger version. Unwatch when done.
  std::uint64_t watch(int db, std::string_view key);
  std::uint64_t watched_version(int db, std::string_view key) const;
  void unwatch(int db, std::string_view key);

  // Changes of the keyspace since start (Redis's server.dirty, counted per shard).
  std::uint64_t modifications() const { return modifications_; }
  // Keys deleted because their TTL passed.
  std::uint64_t expirations() const { return expirations_; }

 private:
  struct PendingEffect {
    std::uint16_t db;
    bool verbatim;            // args in `verbatim_args`, else in the arena
    std::uint32_t first_arg;  // arena: index into arg_spans_
    std::uint32_t arg_count;
    std::span<const std::string_view> verbatim_args;
  };
  struct WatchedKey {
    std::uint64_t version;
    std::uint32_t watchers;
  };

  // Inline: every write pays them (callgrind: ~55 instructions a command out of line).
  void begin_unit(std::int64_t now_ms, std::uint64_t tx_id, std::uint32_t tx_parts) {
    ASSERT_MSG(!in_unit_, "write-path units do not nest");
    ASSERT(pending_.empty());
    ASSERT_GE(tx_parts, 1u);
    in_unit_ = true;
    explicit_effects_ = false;
    last_modified_ = nullptr;
    now_ms_ = now_ms;
    tx_id_ = tx_id;
    tx_parts_ = tx_parts;
  }
  void end_unit() {
    ASSERT(in_unit_);
    ASSERT_MSG(!emitting_, "an effect was begun and not ended");
    in_unit_ = false;
    if (EDDY_UNLIKELY(!observers_.empty())) {
      deliver_effects();
      return;
    }
    // Nothing is recorded without an observer (emit* and key_expired check recording()).
    ASSERT(pending_.empty());
    if (EDDY_UNLIKELY(blocked_calls_ != 0)) serve_blocked();
  }
  // end_unit's part with observers: the pending effects go to each, then blocked clients.
  void deliver_effects();
  void append_arg(std::string_view arg);
  // key_modified's part for watched keys and blocked clients.
  void key_modified_slow(int db, const kv::Entry* entry);
  void bump_watched(int db, std::string_view key);
  void note_blocked_key(int db, std::string_view key);
  void serve_blocked();
  static std::string watch_key(int db, std::string_view key);

  Shard* shard_;
  std::uint32_t shard_id_;
  std::vector<WriteObserver*> observers_;
  SnapshotHook* snapshot_hook_ = nullptr;

  bool in_unit_ = false;
  bool explicit_effects_ = false;
  bool emitting_ = false;
  std::int64_t now_ms_ = 0;
  std::uint64_t tx_id_ = 0;
  std::uint32_t tx_parts_ = 1;
  std::uint64_t modifications_ = 0;
  // The entry the unit changed last (see key_modified): comparing addresses, not keys, keeps
  // the count exact for keys of any length at one compare per change (callgrind: copying and
  // comparing the key was ~45 instructions a key, a third of MSET's write path).
  const kv::Entry* last_modified_ = nullptr;
  std::uint64_t expirations_ = 0;

  // The unit's effects; buffers keep their capacity, so recording allocates nothing once warm.
  std::string arena_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> arg_spans_;  // (offset, length) in arena_
  std::vector<PendingEffect> pending_;
  std::vector<std::string_view> views_;
  std::vector<Effect> effects_;

  std::size_t blocked_calls_ = 0;
  std::uint32_t serving_holds_ = 0;

  std::uint64_t version_counter_ = 0;
  std::unordered_map<std::string, WatchedKey, kv::SeededStringHash> watched_;
};

}  // namespace eddy

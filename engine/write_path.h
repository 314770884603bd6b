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
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xxhash.h>

#include "engine/base/assert.h"
#include "engine/base/function_ref.h"
#include "engine/kv/value.h"

namespace eddy {

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
  void key_modified(int db, std::string_view key) {
    ASSERT_MSG(in_unit_, "a keyspace change outside the write path");
    if (!is_last_modified(db, key)) {
      ++modifications_;
      remember_last_modified(db, key);
    }
    if (EDDY_UNLIKELY(!watched_.empty())) bump_watched(db, key);
    if (EDDY_UNLIKELY(blocked_calls_ != 0)) note_blocked_key(db, key);
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

  void begin_unit(std::int64_t now_ms, std::uint64_t tx_id, std::uint32_t tx_parts);
  void end_unit();
  void append_arg(std::string_view arg);
  void bump_watched(int db, std::string_view key);
  void note_blocked_key(int db, std::string_view key);
  void serve_blocked();
  static std::string watch_key(int db, std::string_view key);

  Shard* shard_;
  std::uint32_t shard_id_;
  std::vector<WriteObserver*> observers_;

  bool in_unit_ = false;
  bool explicit_effects_ = false;
  bool emitting_ = false;
  std::int64_t now_ms_ = 0;
  std::uint64_t tx_id_ = 0;
  std::uint32_t tx_parts_ = 1;
  std::uint64_t modifications_ = 0;
  // The key the unit changed last, without a string copy per change (callgrind: assigning a
  // std::string was ~70 instructions of every SET): up to kLastKeyBytes inline, a longer key by
  // its length and 64-bit hash (a collision would only undercount a statistic).
  static constexpr std::size_t kLastKeyBytes = 64;
  bool is_last_modified(int db, std::string_view key) const {
    if (db != last_modified_db_ || key.size() != last_modified_size_) return false;
    if (key.size() <= kLastKeyBytes)
      return std::memcmp(key.data(), last_modified_key_, key.size()) == 0;
    return XXH3_64bits(key.data(), key.size()) == last_modified_hash_;
  }
  void remember_last_modified(int db, std::string_view key) {
    last_modified_db_ = db;
    last_modified_size_ = key.size();
    if (key.size() <= kLastKeyBytes) {
      std::memcpy(last_modified_key_, key.data(), key.size());
    } else {
      last_modified_hash_ = XXH3_64bits(key.data(), key.size());
    }
  }
  int last_modified_db_ = -1;  // -1: none yet in this unit
  std::size_t last_modified_size_ = 0;
  std::uint64_t last_modified_hash_ = 0;
  char last_modified_key_[kLastKeyBytes];
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
  std::unordered_map<std::string, WatchedKey> watched_;
};

}  // namespace eddy

#pragma once
// Runs single-shard command handlers atomically over keys that live on several shards, by
// running them on private copies of those keys.
//
// Families write each command once, as a handler over one Db. When the keys a piece of work
// names span shards (a cross-shard SMOVE or ZUNIONSTORE, a MULTI/EXEC transaction) a
// CloneTransaction:
//   1. locks every key through a Coordinator::Transaction (ascending shard order, so no
//      deadlock) and, on each shard as its locks are granted, clones the live keys it owns
//      (a caller's check, such as WATCH's version test, runs there too);
//   2. installs the clones in a scratch shard on the coordinating fiber, where the caller runs
//      the handlers at the transaction's clock: each reply is the handler's own, so a command
//      means the same whichever path runs it;
//   3. commit(): finds the keys the handlers changed (their versions moved) and, while every
//      lock is still held, writes each back to its owner shard as a part of one transaction
//      whose effects rebuild the key (or delete it), so a log or a replica applies all parts or
//      none; then unlocks.
// No other client observes the keys between 1 and 3. The cost is copying the values named:
// the price of atomicity without a global lock, paid only when work spans shards.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/function_ref.h"
#include "engine/tx/coordinator.h"

namespace eddy {

// A key of a database.
struct KeyRef {
  int db;
  std::string_view key;
};

// Appends the keys a keyed command touches, with their databases: its key arguments in the
// client's database, except COPY ... DB n's destination (in n), plus MOVE's key in its target
// database. (A target that is not a valid database adds nothing: the handler refuses it.)
void touched_keys(const CommandSpec& spec, Args args, int client_db, std::vector<KeyRef>& out);

// How a CloneTransaction copies and locks.
struct CloneOptions {
  // What the scratch shard gets for keys[i], live as `entry` on `shard` (its owner, locked):
  // nullptr clones the whole value; otherwise the function's value (nullopt: left absent). A
  // command that reads only part of a large value (SORT's patterns) copies only that part.
  FunctionRef<std::optional<kv::Value>(std::size_t i, Shard& shard, const kv::Entry& entry)>* copy =
      nullptr;
  // The caller holds Coordinator::lock_keyspace: no key locks are taken.
  bool keyspace_held = false;
  // The caller lists every (db, key) once: no need to look for repeats (SORT's million keys).
  bool keys_unique = false;
};

class CloneTransaction {
 public:
  // `keys` (views that outlive this object) may repeat: each distinct (db, key) is cloned and
  // written back once. Every key in `mode`.
  CloneTransaction(Coordinator* coordinator, std::span<const KeyRef> keys, LockMode mode);
  // Each key in its own mode (modes[i] for keys[i]; a key named in both is locked
  // exclusively). Only keys locked exclusively may change: only they are written back.
  CloneTransaction(Coordinator* coordinator, std::span<const KeyRef> keys,
                   std::span<const LockMode> modes, const CloneOptions& options);
  ~CloneTransaction();
  CloneTransaction(const CloneTransaction&) = delete;
  CloneTransaction& operator=(const CloneTransaction&) = delete;

  // Locks and clones. `on_locked` runs on each shard right after its locks are granted and
  // before its keys are cloned (WATCH's check); it gets the shard and the indexes into `keys`
  // that live there.
  void lock_and_clone(FunctionRef<void(Shard&, std::span<const std::uint32_t>)> on_locked);
  void lock_and_clone();

  // The shard holding the clones; run handlers on scratch().writes() at now_ms().
  Shard& scratch() { return *scratch_; }
  std::int64_t now_ms() const { return tx_.now_ms(); }

  // Writes back what changed among the exclusively locked keys, and unlocks.
  void commit();
  // Unlocks without writing anything back.
  void abort();

 private:
  struct Copy {
    std::uint32_t key_index;  // into keys_
    bool first;               // the first mention of (db, key): the one cloned and written
    std::optional<kv::Value> value;
    std::int64_t expire_at_ms = 0;
    std::uint64_t version = 0;  // in the scratch shard, before the handlers ran
    bool changed = false;
    kv::Encoding encoding{};     // the owner's, when cloned
    bool encoding_only = false;  // unchanged, but a bit command made the string raw (make_raw)
    bool exclusive = false;      // some mention of the key locks it exclusively: it may change
  };

  std::vector<std::string_view> key_views_;  // for Coordinator::Transaction
  std::vector<std::uint32_t> key_indexes_;
  std::span<const KeyRef> keys_;
  std::vector<LockMode> modes_;
  CloneOptions options_;
  Coordinator* coordinator_;
  Coordinator::Transaction tx_;
  std::vector<std::vector<Copy>> copies_;  // by group of tx_
  std::optional<Shard> scratch_;
  bool open_ = false;
};

}  // namespace eddy

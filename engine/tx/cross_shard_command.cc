// Any multi-key command across shards, atomically, by running its own single-shard handler on
// a private copy of the keys it names.
//
// The families write their multi-key commands (SMOVE, LMOVE, SINTERSTORE, ZUNIONSTORE, BITOP,
// PFMERGE, COPY, ...) once, as handlers over one Db. When a call's keys live on several shards
// this executor:
//   1. locks every key through a Coordinator::Transaction (ascending shard order, so no
//      deadlock; exclusive for writes, shared for reads) and, on each shard as its locks are
//      granted, clones the live keys it owns;
//   2. builds a scratch shard on the coordinating fiber holding exactly those clones, and runs
//      the command's handler there at the transaction's clock: the reply is the handler's own,
//      so the command means the same whichever path runs it;
//   3. for a write, finds the keys the handler changed (their versions moved) and, while every
//      lock is still held, writes each one back to its owner shard as a transaction part whose
//      effect rebuilds the key (or deletes it), so a log or a replica applies all parts or none.
// No other client can observe the keys between 1 and 3. (run_on_locked_copies is that
// executor over any list of keys; SORT drives it with the keys its patterns name.) The cost is
// copying the values named (a cross-shard SINTERSTORE of two large sets copies both): the price of
// atomicity without a global lock, paid only when a client spans shards.

#include "engine/tx/cross_shard_command.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/session_context.h"
#include "engine/tx/coordinator.h"

namespace eddy {

namespace {

using Group = Coordinator::Transaction::Group;

struct KeyCopy {
  std::uint32_t key;               // index into the keys
  std::optional<kv::Value> value;  // nullopt: absent
  std::int64_t expire_at_ms = 0;
  std::uint64_t version = 0;  // the key's version in the scratch shard before the handler
  bool changed = false;       // the handler changed it: write it back
};

struct DbKey {
  int db;
  std::string_view name;
  bool operator==(const DbKey&) const = default;
};
struct DbKeyHash {
  std::size_t operator()(const DbKey& key) const {
    return std::hash<std::string_view>()(key.name) ^ static_cast<std::size_t>(key.db);
  }
};

// COPY src dst DB n names its destination in another database: the one layout where a key of
// a keyed command is not in the client's database.
int database_of_key(const CommandSpec& spec, Args args, std::uint32_t arg_index, int client_db) {
  if (spec.name != "copy" || arg_index != 2) return client_db;
  for (std::size_t i = 3; i + 1 < args.size(); ++i) {
    std::int64_t db = 0;
    if (equals_ignore_case(args[i], "db") && kv::Value::parse_canonical_int(args[i + 1], &db) &&
        db >= 0 && db < static_cast<std::int64_t>(limits::databases)) {
      return static_cast<int>(db);
    }
  }
  return client_db;
}

void cross_shard_command(SessionContext& ctx) {
  const CommandSpec& spec = ctx.spec;
  std::vector<std::uint32_t> indexes;
  key_indexes(spec, ctx.args, indexes);
  const LockMode mode = spec.is_write() ? LockMode::kExclusive : LockMode::kShared;
  std::vector<LockedKey> keys;
  keys.reserve(indexes.size());
  for (std::uint32_t index : indexes) {
    keys.push_back(
        LockedKey{ctx.args[index], database_of_key(spec, ctx.args, index, ctx.client.db), mode});
  }
  run_on_locked_copies(ctx, keys, LockedCopyOptions{});
}

}  // namespace

bool run_on_locked_copies(SessionContext& ctx, std::span<const LockedKey> keys,
                          const LockedCopyOptions& options) {
  const CommandSpec& spec = ctx.spec;
  // The transaction groups keys by shard through views and positions.
  std::vector<std::string_view> names;
  std::vector<std::uint32_t> positions;
  std::vector<LockMode> modes;
  names.reserve(keys.size());
  positions.reserve(keys.size());
  modes.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    names.push_back(keys[i].name);
    positions.push_back(static_cast<std::uint32_t>(i));
    modes.push_back(keys[i].mode);
  }
  using Locking = Coordinator::Transaction::Locking;
  Coordinator::Transaction tx(&ctx.coordinator, names, positions, modes,
                              options.keyspace_held ? Locking::kKeyspaceHeld : Locking::kKeys);

  // Copies by group; a key named twice is copied and installed once: a client naming one
  // large value a thousand times must not make a thousand copies of it.
  std::vector<std::vector<KeyCopy>> copies(tx.groups().size());
  tx.lock_all([&](Shard& shard, const Group& group) {
    auto& out = copies[static_cast<std::size_t>(&group - tx.groups().data())];
    std::unordered_set<DbKey, DbKeyHash> seen;
    for (std::uint32_t index : group.key_indexes) {
      const LockedKey& key = keys[index];
      KeyCopy copy{index, std::nullopt, 0, 0, false};
      if (!options.keys_unique && !seen.insert(DbKey{key.db, key.name}).second) {
        out.push_back(std::move(copy));
        continue;
      }
      if (const kv::Entry* entry =
              shard.db(static_cast<std::size_t>(key.db)).find(key.name, tx.now_ms())) {
        if (options.copy == nullptr) {
          copy.value.emplace(entry->value.clone());
        } else {
          copy.value = (*options.copy)(index, shard, *entry);
        }
        if (copy.value) copy.expire_at_ms = entry->expire_at_ms;
      }
      out.push_back(std::move(copy));
    }
  });

  Engine& engine = ctx.engine;
  Shard scratch(engine.shard_count(), engine.runtime().current_core(), &engine.runtime());
  scratch.set_encoding_limits(&engine.encoding_limits());
  WritePath& writes = scratch.writes();
  writes.run_unit(tx.now_ms(), 0, 1, [&] {
    for (auto& group : copies) {
      for (KeyCopy& copy : group) {
        if (!copy.value) continue;
        const LockedKey& key = keys[copy.key];
        Db& db = scratch.db(static_cast<std::size_t>(key.db));
        if (db.peek(key.name) != nullptr) continue;  // named twice
        db.put(key.name, std::move(*copy.value), copy.expire_at_ms, tx.now_ms());
        copy.value.reset();
      }
    }
  });
  // Only keys locked exclusively may change (a handler writes nothing it reads under a shared
  // lock), so only they are watched: a SORT reading a million weights watches its destination.
  for (auto& group : copies) {
    for (KeyCopy& copy : group) {
      const LockedKey& key = keys[copy.key];
      if (key.mode == LockMode::kExclusive) copy.version = writes.watch(key.db, key.name);
    }
  }
  auto unwatch_all = [&] {
    for (auto& group : copies) {
      for (KeyCopy& copy : group) {
        const LockedKey& key = keys[copy.key];
        if (key.mode != LockMode::kExclusive) continue;
        const std::uint64_t after = writes.watched_version(key.db, key.name);
        writes.unwatch(key.db, key.name);
        // (A key first watched here starts at version 0, so 0 cannot mean "unchanged".)
        copy.changed = after != copy.version;
      }
    }
  };

  if (options.check != nullptr && !(*options.check)(scratch)) {
    unwatch_all();
    tx.unlock_all();
    return false;
  }

  writes.apply(spec, ctx.client.db, ctx.args, ctx.reply, tx.now_ms());

  unwatch_all();
  bool changed_any = false;
  for (auto& group : copies) {
    for (const KeyCopy& copy : group) changed_any = changed_any || copy.changed;
  }
  if (!changed_any) {
    tx.unlock_all();
    return true;
  }
  ASSERT(spec.is_write());
  tx.unlock_all([&](Shard& shard, const Group& group) {
    auto& mine = copies[static_cast<std::size_t>(&group - tx.groups().data())];
    std::unordered_set<DbKey, DbKeyHash> written;  // a key named twice is written back once
    tx.write_part(shard, [&] {
      for (const KeyCopy& copy : mine) {
        if (!copy.changed) continue;
        const LockedKey& key = keys[copy.key];
        if (!written.insert(DbKey{key.db, key.name}).second) continue;
        Db& target = shard.db(static_cast<std::size_t>(key.db));
        const kv::Entry* result = scratch.db(static_cast<std::size_t>(key.db)).peek(key.name);
        if (result == nullptr || Db::expired(*result, tx.now_ms())) {
          if (target.erase(key.name, tx.now_ms())) shard.writes().emit(key.db, {"DEL", key.name});
          continue;
        }
        shard.writes().emit_rebuild(key.db, key.name, result->value, result->expire_at_ms);
        target.put(key.name, result->value.clone(), result->expire_at_ms, tx.now_ms());
      }
    });
  });
  return true;
}

void register_cross_shard_fallback(CommandTable& table) {
  // Every keyed command without a cross-shard version of its own gets this one. Single-key
  // commands never span shards, so only multi-key ones ever run it.
  for (const CommandSpec& spec : table.all()) {
    if (spec.route != CommandRoute::kKeys || spec.session_handler != nullptr) continue;
    table.find_mutable(spec.name)->session_handler = cross_shard_command;
  }
}

}  // namespace eddy

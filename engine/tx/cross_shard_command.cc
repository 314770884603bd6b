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
// No other client can observe the keys between 1 and 3. The cost is copying the values named
// (a cross-shard SINTERSTORE of two large sets copies both): the price of atomicity without a
// global lock, paid only when a client spans shards.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/session_context.h"
#include "engine/tx/coordinator.h"

namespace eddy {

namespace {

using Group = Coordinator::Transaction::Group;

struct KeyCopy {
  std::uint32_t arg_index;
  int db;
  std::optional<kv::Value> value;  // nullopt: absent
  std::int64_t expire_at_ms = 0;
  std::uint64_t version = 0;  // the key's version in the scratch shard before the handler
  bool changed = false;       // the handler changed it: write it back
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
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, mode);

  // Copies by group; a key named twice is cloned and installed once.
  std::vector<std::vector<KeyCopy>> copies(tx.groups().size());
  tx.lock_all([&](Shard& shard, const Group& group) {
    auto& out = copies[static_cast<std::size_t>(&group - tx.groups().data())];
    std::unordered_set<std::string_view> seen;  // keys of the client's database cloned here
    for (std::uint32_t index : group.key_indexes) {
      const int db = database_of_key(spec, ctx.args, index, ctx.client.db);
      KeyCopy copy{index, db, std::nullopt, 0, 0, false};
      // A key named again is cloned once: a client naming one large value a thousand times
      // must not make a thousand copies of it. (Only COPY ... DB names a key of another
      // database, and it names two keys: a linear look there is enough.)
      bool named_before = false;
      if (db == ctx.client.db) {
        named_before = !seen.insert(ctx.args[index]).second;
      } else {
        for (const KeyCopy& earlier : out) {
          named_before =
              named_before || (earlier.db == db && ctx.args[earlier.arg_index] == ctx.args[index]);
        }
      }
      if (named_before) {
        out.push_back(std::move(copy));
        continue;
      }
      if (const kv::Entry* entry =
              shard.db(static_cast<std::size_t>(db)).find(ctx.args[index], tx.now_ms())) {
        copy.value.emplace(entry->value.clone());
        copy.expire_at_ms = entry->expire_at_ms;
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
        Db& db = scratch.db(static_cast<std::size_t>(copy.db));
        if (db.peek(ctx.args[copy.arg_index]) != nullptr) continue;  // named twice
        db.put(ctx.args[copy.arg_index], copy.value->clone(), copy.expire_at_ms, tx.now_ms());
      }
    }
  });
  for (auto& group : copies) {
    for (KeyCopy& copy : group) copy.version = writes.watch(copy.db, ctx.args[copy.arg_index]);
  }

  writes.apply(spec, ctx.client.db, ctx.args, ctx.reply, tx.now_ms());

  bool changed_any = false;
  for (auto& group : copies) {
    for (KeyCopy& copy : group) {
      const std::uint64_t after = writes.watched_version(copy.db, ctx.args[copy.arg_index]);
      writes.unwatch(copy.db, ctx.args[copy.arg_index]);
      // (A key first watched here starts at version 0, so 0 cannot mean "unchanged".)
      copy.changed = after != copy.version;
      changed_any = changed_any || copy.changed;
    }
  }
  if (!changed_any) {
    tx.unlock_all();
    return;
  }
  ASSERT(spec.is_write());
  tx.unlock_all([&](Shard& shard, const Group& group) {
    auto& mine = copies[static_cast<std::size_t>(&group - tx.groups().data())];
    tx.write_part(shard, [&] {
      for (std::size_t i = 0; i < mine.size(); ++i) {
        const KeyCopy& copy = mine[i];
        const std::string_view key = ctx.args[copy.arg_index];
        if (!copy.changed) continue;
        bool seen = false;  // a key named twice is written back once
        for (std::size_t j = 0; j < i; ++j) {
          seen = seen || (mine[j].db == copy.db && ctx.args[mine[j].arg_index] == key);
        }
        if (seen) continue;
        Db& target = shard.db(static_cast<std::size_t>(copy.db));
        const kv::Entry* result = scratch.db(static_cast<std::size_t>(copy.db)).peek(key);
        if (result == nullptr || Db::expired(*result, tx.now_ms())) {
          if (target.erase(key, tx.now_ms())) shard.writes().emit(copy.db, {"DEL", key});
          continue;
        }
        shard.writes().emit_rebuild(copy.db, key, result->value, result->expire_at_ms);
        target.put(key, result->value.clone(), result->expire_at_ms, tx.now_ms());
      }
    });
  });
}

}  // namespace

void register_cross_shard_fallback(CommandTable& table) {
  // Every keyed command without a cross-shard version of its own gets this one. Single-key
  // commands never span shards, so only multi-key ones ever run it.
  for (const CommandSpec& spec : table.all()) {
    if (spec.route != CommandRoute::kKeys || spec.session_handler != nullptr) continue;
    table.find_mutable(spec.name)->session_handler = cross_shard_command;
  }
}

}  // namespace eddy

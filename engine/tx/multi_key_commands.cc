// Cross-shard versions of the multi-key commands. Each locks its keys through a
// Coordinator::Transaction (ascending shard order), does its per-shard parts with the shared
// keyparts functions, and unlocks. The single-shard versions in engine/cmd use the same parts.

#include <optional>
#include <string>
#include <vector>

#include "engine/base/fault.h"
#include "engine/cmd/key_parts.h"
#include "engine/session_context.h"
#include "engine/tx/coordinator.h"

namespace eddy {

namespace {

using Group = Coordinator::Transaction::Group;

std::vector<std::uint32_t> all_key_indexes(const SessionContext& ctx) {
  std::vector<std::uint32_t> indexes;
  key_indexes(ctx.spec, ctx.args, indexes);
  return indexes;
}

// The effect of a group's part of MSET/MSETNX: MSET of that shard's pairs.
void emit_mset(Shard& shard, int db, Args args, const Group& group) {
  WritePath& writes = shard.writes();
  writes.emit_begin(db, "MSET");
  for (std::uint32_t index : group.key_indexes) {
    writes.emit_arg(args[index]);
    writes.emit_arg(args[index + 1]);
  }
  writes.emit_end();
}

// MSET and MSETNX take key/value pairs: an odd count is an arity error, as in Redis.
bool pairs_ok(SessionContext& ctx) {
  if (ctx.args.size() % 2 == 1) return true;
  ctx.reply.error("ERR wrong number of arguments for '" + std::string(ctx.spec.name) +
                  "' command");
  return false;
}

void mset_multi(SessionContext& ctx) {
  if (!pairs_ok(ctx)) return;
  const int db = ctx.client.db;
  auto indexes = all_key_indexes(ctx);
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kExclusive);
  if (PLANTED(PlantedBug::kMsetNotAtomic)) {
    // The planted bug: shard by shard, no locks, so a reader can see half of it.
    for (const Group& group : tx.groups()) {
      ctx.coordinator.run_on(group.shard, [&](Shard& shard) {
        shard.writes().run_unit(shard.now_ms(), 0, 1, [&] {
          keyparts::mset(shard.db(db), ctx.args, group.key_indexes, shard.now_ms());
          emit_mset(shard, db, ctx.args, group);
        });
      });
    }
    ctx.reply.ok();
    return;
  }
  tx.lock_all();
  tx.unlock_all([&](Shard& shard, const Group& group) {
    tx.write_part(shard, [&] {
      keyparts::mset(shard.db(db), ctx.args, group.key_indexes, tx.now_ms());
      emit_mset(shard, db, ctx.args, group);
    });
  });
  ctx.reply.ok();
}

void msetnx_multi(SessionContext& ctx) {
  if (!pairs_ok(ctx)) return;
  const int db = ctx.client.db;
  auto indexes = all_key_indexes(ctx);
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kExclusive);
  std::vector<std::size_t> existing(tx.groups().size(), 0);
  tx.lock_all([&](Shard& shard, const Group& group) {
    existing[static_cast<std::size_t>(&group - tx.groups().data())] =
        keyparts::count_existing(shard.db(db), ctx.args, group.key_indexes, tx.now_ms());
  });
  std::size_t total = 0;
  for (std::size_t n : existing) total += n;
  if (total != 0) {
    tx.unlock_all();
    ctx.reply.integer(0);
    return;
  }
  tx.unlock_all([&](Shard& shard, const Group& group) {
    tx.write_part(shard, [&] {
      keyparts::mset(shard.db(db), ctx.args, group.key_indexes, tx.now_ms());
      emit_mset(shard, db, ctx.args, group);
    });
  });
  ctx.reply.integer(1);
}

void mget_multi(SessionContext& ctx) {
  const int db = ctx.client.db;
  auto indexes = all_key_indexes(ctx);
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kShared);
  // Values by argument index; each shard fills the slots of its own keys.
  std::vector<std::optional<std::string>> values(ctx.args.size());
  tx.lock_all([&](Shard& shard, const Group& group) {
    std::vector<std::optional<std::string>> part(group.key_indexes.size());
    keyparts::mget(shard.db(db), ctx.args, group.key_indexes, tx.now_ms(), part);
    for (std::size_t j = 0; j < part.size(); ++j) {
      values[group.key_indexes[j]] = std::move(part[j]);
    }
  });
  tx.unlock_all();
  ctx.reply.array(indexes.size());
  for (std::uint32_t index : indexes) {
    if (values[index].has_value()) {
      ctx.reply.bulk(*values[index]);
    } else {
      ctx.reply.null();
    }
  }
}

void del_multi(SessionContext& ctx) {
  const int db = ctx.client.db;
  auto indexes = all_key_indexes(ctx);
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kExclusive);
  std::vector<std::size_t> deleted(tx.groups().size(), 0);
  tx.lock_all();
  tx.unlock_all([&](Shard& shard, const Group& group) {
    tx.write_part(shard, [&] {
      // Key by key, so the effect names exactly the keys that went.
      std::size_t n = 0;
      WritePath& writes = shard.writes();
      for (std::uint32_t index : group.key_indexes) {
        if (!shard.db(db).erase(ctx.args[index], tx.now_ms())) continue;
        if (n++ == 0) writes.emit_begin(db, "DEL");
        writes.emit_arg(ctx.args[index]);
      }
      if (n != 0) writes.emit_end();
      deleted[static_cast<std::size_t>(&group - tx.groups().data())] = n;
    });
  });
  std::size_t total = 0;
  for (std::size_t n : deleted) total += n;
  ctx.reply.integer(static_cast<std::int64_t>(total));
}

void exists_multi(SessionContext& ctx) {
  const int db = ctx.client.db;
  auto indexes = all_key_indexes(ctx);
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kShared);
  std::vector<std::size_t> found(tx.groups().size(), 0);
  tx.lock_all([&](Shard& shard, const Group& group) {
    found[static_cast<std::size_t>(&group - tx.groups().data())] =
        keyparts::count_existing(shard.db(db), ctx.args, group.key_indexes, tx.now_ms());
  });
  tx.unlock_all();
  std::size_t total = 0;
  for (std::size_t n : found) total += n;
  ctx.reply.integer(static_cast<std::int64_t>(total));
}

// RENAME / RENAMENX with source and destination on different shards: both keys are locked,
// the value leaves the source shard and lands on the destination while no one can look.
void rename_multi_impl(SessionContext& ctx, bool only_if_absent) {
  const int db = ctx.client.db;
  const std::uint32_t indexes[] = {1, 2};
  Coordinator::Transaction tx(&ctx.coordinator, ctx.args, indexes, LockMode::kExclusive);
  ASSERT_EQ(tx.groups().size(), 2u);
  const std::size_t source_group = tx.group_of(1);
  const std::size_t target_group = tx.group_of(2);
  bool source_exists = false;
  bool target_exists = false;
  tx.lock_all([&](Shard& shard, const Group& group) {
    if (&group == &tx.groups()[source_group]) {
      source_exists = keyparts::exists(shard.db(db), ctx.args[1], tx.now_ms());
    } else {
      target_exists = keyparts::exists(shard.db(db), ctx.args[2], tx.now_ms());
    }
  });
  if (!source_exists) {
    tx.unlock_all();
    ctx.reply.error(errors::kNoSuchKey);
    return;
  }
  if (only_if_absent && target_exists) {
    tx.unlock_all();
    ctx.reply.integer(0);
    return;
  }
  std::optional<keyparts::MovedValue> moved;
  tx.run(source_group, [&](Shard& shard, const Group&) {
    tx.write_part(shard, [&] {
      moved = keyparts::take(shard.db(db), ctx.args[1], tx.now_ms());
      shard.writes().emit(db, {"DEL", ctx.args[1]});
    });
  });
  // The source is locked since it was seen, every step reads the transaction's one clock, and
  // FLUSHDB/FLUSHALL/SWAPDB wait for locks, so it is still there.
  ASSERT(moved.has_value());
  tx.run(target_group, [&](Shard& shard, const Group&) {
    tx.write_part(shard, [&] {
      shard.writes().emit_rebuild(db, ctx.args[2], moved->value, moved->expire_at_ms);
      keyparts::put(shard.db(db), ctx.args[2], std::move(*moved), tx.now_ms());
    });
  });
  tx.unlock_all();
  if (only_if_absent) {
    ctx.reply.integer(1);
  } else {
    ctx.reply.ok();
  }
}

void rename_multi(SessionContext& ctx) { rename_multi_impl(ctx, false); }
void renamenx_multi(SessionContext& ctx) { rename_multi_impl(ctx, true); }

}  // namespace

void register_cross_shard_fallback(CommandTable& table);

void register_multi_shard_commands(CommandTable& table) {
  struct Binding {
    std::string_view name;
    SessionHandler handler;
  };
  const Binding bindings[] = {
      {"mset", mset_multi},     {"msetnx", msetnx_multi}, {"mget", mget_multi},
      {"del", del_multi},       {"unlink", del_multi},    {"exists", exists_multi},
      {"rename", rename_multi}, {"renamenx", renamenx_multi},
  };
  for (const Binding& binding : bindings) {
    CommandSpec* spec = table.find_mutable(binding.name);
    ASSERT_MSG(spec != nullptr, std::string(binding.name));
    ASSERT(spec->route == CommandRoute::kKeys);
    spec->session_handler = binding.handler;
  }
  register_cross_shard_fallback(table);
}

}  // namespace eddy

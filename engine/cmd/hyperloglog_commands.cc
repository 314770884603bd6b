// The hyperloglog family: PFADD PFCOUNT PFMERGE PFDEBUG, on Redis's own HLL strings
// (engine/kv/hyperloglog.h), with Redis 7.0's replies and errors.
//
// PFCOUNT and the cached cardinality. As in Redis, a single-key PFCOUNT that finds the cache
// stale computes the estimate and writes it into the string's header: a "read" that modifies
// the value (it bumps WATCH versions, as Redis's does) and is propagated as the PFCOUNT itself,
// which recomputes the same bytes wherever it is replayed. So the bytes of every HLL are
// Redis's bytes, cache included, and a GET or DUMP interchanges with Redis. PFCOUNT of several
// keys merges registers and stores nothing, as in Redis.
//
// Effects: PFADD, PFMERGE and PFDEBUG TODENSE/GETREG are deterministic given the same bytes and
// the same hll-sparse-max-bytes, so each is its own effect; a PFADD that changes no register
// does not open Db::update and so propagates nothing.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/kv/hyperloglog.h"
#include "engine/shard.h"

namespace eddy {

namespace {

namespace hll = kv::hll;

constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
constexpr std::string_view kCorrupt = "INVALIDOBJ Corrupted HLL object detected";

const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

// The HLL bytes of a live entry, or an empty view after replying WRONGTYPE (another type, or a
// string that is not an HLL). An HLL is never int-encoded: no decimal starts with "HYLL".
std::string_view hll_bytes_or_reply(const kv::Entry& entry, ReplyBuilder& reply) {
  if (!entry.value.is_string()) {
    reply.error(errors::kWrongType);
    return {};
  }
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view bytes = entry.value.view(scratch);
  if (entry.value.is_int() || !hll::looks_valid(bytes)) {
    reply.error(kNotHll);
    return {};
  }
  return bytes;
}

std::size_t sparse_max_bytes(CommandContext& ctx) {
  const std::int64_t limit =
      kv::EncodingLimits::load(ctx.shard.encoding_limits().hll_sparse_max_bytes);
  return limit < 0 ? 0 : static_cast<std::size_t>(limit);
}

// Multi-key counts and merges gather registers here: 16 KiB is too much for a fiber's stack,
// and a handler runs to completion, so one buffer per thread serves every call.
hll::Registers& scratch_registers() {
  thread_local hll::Registers registers;
  registers.fill(0);
  return registers;
}

// ---------------------------------------------------------------------------------------------

void pfadd_command(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const std::size_t argc = ctx.args.size();
  const std::size_t max_bytes = sparse_max_bytes(ctx);
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  std::size_t next = 2;  // the first element still to add
  bool created = false;
  if (entry == nullptr) {
    entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
    created = true;
  } else {
    const std::string_view bytes = hll_bytes_or_reply(*entry, ctx.reply);
    if (bytes.empty()) return;
    // Elements that raise no register change nothing: find the first that does before
    // writing, so an add of known elements is not a write at all.
    for (; next < argc; ++next) {
      const hll::Pattern pattern = hll::pattern_of(ctx.args[next]);
      const hll::SetResult probe = hll::probe_register(bytes, pattern.index, pattern.count);
      if (probe == hll::SetResult::kCorrupt) {
        ctx.reply.error(kCorrupt);
        return;
      }
      if (probe == hll::SetResult::kChanged) break;
    }
    if (next == argc) {
      ctx.reply.integer(0);
      return;
    }
  }
  bool corrupt = false;
  bool updated = created;
  ctx.db.update(entry, [&](kv::Value& value) {
    if (created) value.set_string(hll::empty_sparse());
    kv::SmallString& bytes = value.mutable_string();
    for (; next < argc; ++next) {
      const hll::Pattern pattern = hll::pattern_of(ctx.args[next]);
      const hll::SetResult result =
          hll::set_register(bytes, pattern.index, pattern.count, max_bytes);
      if (result == hll::SetResult::kCorrupt) {
        // Redis stops here too, keeping what the earlier elements changed (the command is
        // still its own effect, and a replica stops at the same element).
        corrupt = true;
        return;
      }
      updated = updated || result == hll::SetResult::kChanged;
    }
    if (updated) hll::invalidate_cache(bytes.resize(bytes.size()));
  });
  if (corrupt) {
    ctx.reply.error(kCorrupt);
    return;
  }
  ctx.reply.integer(updated ? 1 : 0);
}

void pfcount_command(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    // The cardinality of the union: registers merged, caches ignored.
    hll::Registers& max = scratch_registers();
    for (std::size_t i = 1; i < ctx.args.size(); ++i) {
      const kv::Entry* entry = lookup_read(ctx, ctx.args[i]);
      if (entry == nullptr) continue;  // an empty HLL
      const std::string_view bytes = hll_bytes_or_reply(*entry, ctx.reply);
      if (bytes.empty()) return;
      if (!hll::merge_into(bytes, max)) {
        ctx.reply.error(kCorrupt);
        return;
      }
    }
    ctx.reply.integer(static_cast<std::int64_t>(hll::count(max)));
    return;
  }
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  const std::string_view bytes = hll_bytes_or_reply(*entry, ctx.reply);
  if (bytes.empty()) return;
  if (const auto cached = hll::cached_cardinality(bytes)) {
    ctx.reply.integer(static_cast<std::int64_t>(*cached));
    return;
  }
  const auto estimate = hll::count(bytes);
  if (!estimate) {
    ctx.reply.error(kCorrupt);
    return;
  }
  // Stored, and propagated as itself: see the top of this file.
  ctx.db.update(entry, [&](kv::Value& value) {
    kv::SmallString& stored = value.mutable_string();
    hll::store_cache(stored.resize(stored.size()), *estimate);
  });
  ctx.writes.emit(ctx.db_index, ctx.args);
  ctx.reply.integer(static_cast<std::int64_t>(*estimate));
}

void pfmerge_command(CommandContext& ctx) {
  hll::Registers& max = scratch_registers();
  bool use_dense = false;
  // The destination is read as a source too (PFMERGE d a b merges d, a and b).
  for (std::size_t i = 1; i < ctx.args.size(); ++i) {
    const kv::Entry* entry = lookup_read(ctx, ctx.args[i]);
    if (entry == nullptr) continue;
    const std::string_view bytes = hll_bytes_or_reply(*entry, ctx.reply);
    if (bytes.empty()) return;
    // One dense input makes the result dense straight away, as in Redis.
    use_dense = use_dense || hll::encoding_of(bytes) == hll::Encoding::kDense;
    if (!hll::merge_into(bytes, max)) {
      ctx.reply.error(kCorrupt);
      return;
    }
  }
  const std::size_t max_bytes = sparse_max_bytes(ctx);
  auto [entry, inserted] = ctx.db.find_or_insert(ctx.args[1], ctx.now_ms);
  // A plain copy for the lambda: clang before 16 cannot capture a structured binding.
  const bool created = inserted;
  ctx.db.update(entry, [&](kv::Value& value) {
    if (created) value.set_string(hll::empty_sparse());
    kv::SmallString& bytes = value.mutable_string();
    // The destination passed the checks above (or is new), so neither step can fail.
    if (use_dense) {
      const bool converted = hll::to_dense(bytes);
      ASSERT(converted);
    }
    for (std::uint32_t i = 0; i < hll::kRegisters; ++i) {
      if (max[i] == 0) continue;
      const hll::SetResult result = hll::set_register(bytes, i, max[i], max_bytes);
      ASSERT(result != hll::SetResult::kCorrupt);
    }
    hll::invalidate_cache(bytes.resize(bytes.size()));
  });
  ctx.reply.ok();
}

void pfdebug_command(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const kv::Entry* entry = ctx.db.find(ctx.args[2], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.error("ERR The specified key does not exist");
    return;
  }
  const std::string_view bytes = hll_bytes_or_reply(*entry, ctx.reply);
  if (bytes.empty()) return;
  const bool sparse = hll::encoding_of(bytes) == hll::Encoding::kSparse;

  // GETREG and TODENSE leave the value dense (a write, propagated as the command itself).
  auto make_dense = [&]() {
    bool ok = true;
    ctx.db.update(entry, [&](kv::Value& value) { ok = hll::to_dense(value.mutable_string()); });
    if (!ok) ctx.reply.error(kCorrupt);
    return ok;
  };
  if (equals_ignore_case(sub, "getreg")) {
    if (sparse && !make_dense()) return;
    char scratch[kv::Value::kIntScratchBytes];
    const std::string_view dense = entry->value.view(scratch);
    ctx.reply.array(hll::kRegisters);
    for (std::size_t i = 0; i < hll::kRegisters; ++i) {
      ctx.reply.integer(hll::dense_register(dense, i));
    }
  } else if (equals_ignore_case(sub, "decode")) {
    if (!sparse) {
      ctx.reply.error("ERR HLL encoding is not sparse");
      return;
    }
    std::string decoded;
    hll::decode_sparse(bytes, decoded);
    ctx.reply.bulk(decoded);
  } else if (equals_ignore_case(sub, "encoding")) {
    ctx.reply.simple(sparse ? "sparse" : "dense");
  } else if (equals_ignore_case(sub, "todense")) {
    if (sparse && !make_dense()) return;
    ctx.reply.integer(sparse ? 1 : 0);
  } else {
    std::string message = "ERR Unknown PFDEBUG subcommand '";
    message += sub;
    message += "'";
    ctx.reply.error(message);
  }
}

CommandSpec hll_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                     int last_key, CommandHandler handler, std::string_view summary,
                     std::string_view acl_categories, std::string_view syntax) {
  CommandSpec spec = keyed_spec("hyperloglog", name, arity, flags, first_key, last_key, 1, handler,
                                summary, "2.8.9", acl_categories);
  spec.syntax = syntax;
  return spec;
}

}  // namespace

void register_hyperloglog_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  table.add(hll_spec("pfadd", -2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, pfadd_command,
                     "Adds the specified elements to the specified HyperLogLog.",
                     "@write @hyperloglog @fast", "key [element [element ...]]"));
  table.add(hll_spec("pfcount", -2, kCmdReadonly | kCmdMayReplicate, 1, -1, pfcount_command,
                     "Return the approximated cardinality of the set(s) observed by the "
                     "HyperLogLog at key(s).",
                     "@read @hyperloglog @slow", "key [key ...]"));
  table.add(hll_spec("pfmerge", -2, kCmdWrite | kCmdDenyOom, 1, -1, pfmerge_command,
                     "Merge N different HyperLogLogs into a single one.",
                     "@write @hyperloglog @slow", "destkey [sourcekey [sourcekey ...]]"));
  table.add(hll_spec("pfdebug", 3, kCmdWrite | kCmdDenyOom | kCmdAdmin, 2, 2, pfdebug_command,
                     "Internal commands for debugging HyperLogLog values",
                     "@write @hyperloglog @admin @slow @dangerous", "subcommand key"));
}

}  // namespace eddy

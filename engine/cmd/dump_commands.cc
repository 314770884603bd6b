// DUMP and RESTORE, with Redis 7.0's payload format (engine/kv/rdb_serializer.h), options,
// error wording and error precedence (restoreCommand: options, then an existing key, then the
// TTL, then the footer, then the contents). Part of the generic key family; registered from
// engine/cmd/key_commands.cc.
//
// Effects. RESTORE with a relative TTL is not deterministic on replay, so, as Redis propagates
// it, its effect names the absolute deadline: RESTORE key <unix ms> payload ... ABSTTL. With
// no TTL, or ABSTTL, the command is its own effect. A deadline already past creates nothing:
// with REPLACE over an existing key the effect is DEL (what happened), else nothing changed.
// IDLETIME and FREQ are validated as Redis does and otherwise ignored: eddy keeps no access
// times or frequencies (OBJECT IDLETIME / FREQ say so).

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/kv/rdb_serializer.h"
#include "engine/shard.h"

namespace eddy {

namespace {

void dump_command(CommandContext& ctx) {
  const kv::Entry* entry =
      keyparts::find_for_read(ctx.db, ctx.shard.stats(), ctx.args[1], ctx.now_ms);
  if (entry == nullptr) {
    ctx.reply.null();
    return;
  }
  std::string payload;
  kv::rdb::dump_payload(entry->value, &payload);
  ctx.reply.bulk(payload);
}

struct RestoreOptions {
  bool replace = false;
  bool absolute_ttl = false;
};

// RESTORE's options after the payload. IDLETIME and FREQ exclude each other: the second one
// named is a syntax error, as in Redis.
bool parse_restore_options(CommandContext& ctx, RestoreOptions* options) {
  bool idle_given = false;
  bool freq_given = false;
  const std::size_t argc = ctx.args.size();
  for (std::size_t j = 4; j < argc; ++j) {
    const std::string_view option = ctx.args[j];
    const bool has_value = j + 1 < argc;
    if (equals_ignore_case(option, "replace")) {
      options->replace = true;
    } else if (equals_ignore_case(option, "absttl")) {
      options->absolute_ttl = true;
    } else if (equals_ignore_case(option, "idletime") && has_value && !freq_given) {
      std::int64_t idle;
      if (!parse_int64_arg(ctx.args[j + 1], &idle, ctx.reply)) return false;
      if (idle < 0) {
        ctx.reply.error("ERR Invalid IDLETIME value, must be >= 0");
        return false;
      }
      idle_given = true;
      ++j;
    } else if (equals_ignore_case(option, "freq") && has_value && !idle_given) {
      std::int64_t freq;
      if (!parse_int64_arg(ctx.args[j + 1], &freq, ctx.reply)) return false;
      if (freq < 0 || freq > 255) {
        ctx.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return false;
      }
      freq_given = true;
      ++j;
    } else {
      ctx.reply.error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

void restore_command(CommandContext& ctx) {
  RestoreOptions options;
  if (!parse_restore_options(ctx, &options)) return;
  const std::string_view key = ctx.args[1];
  if (!options.replace && ctx.db.find(key, ctx.now_ms) != nullptr) {
    ctx.reply.error("BUSYKEY Target key name already exists.");
    return;
  }
  std::int64_t ttl;
  if (!parse_int64_arg(ctx.args[2], &ttl, ctx.reply)) return;
  if (ttl < 0) {
    ctx.reply.error("ERR Invalid TTL value, must be >= 0");
    return;
  }
  const std::string_view payload = ctx.args[3];
  if (!kv::rdb::payload_footer_valid(payload)) {
    ctx.reply.error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  kv::Value value;
  if (!kv::rdb::load_payload(payload, ctx.shard.encoding_limits(), ctx.shard.runtime().rng(),
                             &value)) {
    ctx.reply.error("ERR Bad data format");
    return;
  }

  // The deadline (0: none). A relative TTL so large that the deadline passes int64 wraps
  // around in Redis (and so counts as already past there); here it simply counts as past.
  std::int64_t expire_at = ttl;
  bool already_past = false;
  if (ttl != 0 && !options.absolute_ttl) {
    if (ttl > std::numeric_limits<std::int64_t>::max() - ctx.now_ms) {
      already_past = true;
    } else {
      expire_at = ttl + ctx.now_ms;
    }
  }
  if (expire_at != 0 && expire_at <= ctx.now_ms) already_past = true;

  if (already_past) {
    // Nothing is created; an existing key that REPLACE would have replaced is deleted.
    if (options.replace && ctx.db.erase(key, ctx.now_ms)) {
      ctx.writes.emit(ctx.db_index, {"DEL", key});
    } else {
      ctx.writes.suppress_verbatim();
    }
    ctx.reply.ok();
    return;
  }

  ctx.db.put(key, std::move(value), expire_at, ctx.now_ms);
  if (ttl != 0 && !options.absolute_ttl) {
    ctx.writes.emit_begin(ctx.db_index, "RESTORE");
    ctx.writes.emit_arg(key);
    ctx.writes.emit_int_arg(expire_at);
    for (std::size_t j = 3; j < ctx.args.size(); ++j) ctx.writes.emit_arg(ctx.args[j]);
    ctx.writes.emit_arg("ABSTTL");
    ctx.writes.emit_end();
  }
  ctx.reply.ok();
}

}  // namespace

void register_dump_commands(CommandTable& table) {
  // As Redis 7.0's COMMAND INFO and COMMAND DOCS report them.
  CommandSpec dump = keyed_spec("generic", "dump", 2, kCmdReadonly, 1, 1, 1, dump_command,
                                "Return a serialized version of the value stored at the "
                                "specified key.",
                                "2.6.0", "@keyspace @read @slow");
  dump.syntax = "key";
  table.add(dump);
  CommandSpec restore =
      keyed_spec("generic", "restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, restore_command,
                 "Create a key using the provided serialized value, previously obtained using "
                 "DUMP.",
                 "2.6.0", "@keyspace @write @slow @dangerous");
  restore.syntax =
      "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]";
  table.add(restore);
}

}  // namespace eddy

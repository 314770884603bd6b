#include "engine/replay.h"

#include <string_view>

#include "engine/cmd/reply_builder.h"
#include "engine/limits.h"

namespace eddy {

namespace {

bool parse_db_index(std::string_view text, int* out) {
  std::int64_t value;
  if (!kv::Value::parse_canonical_int(text, &value)) return false;
  if (value < 0 || value >= static_cast<std::int64_t>(limits::databases)) return false;
  *out = static_cast<int>(value);
  return true;
}

}  // namespace

bool replay_effects(const CommandTable& table, Shard& shard, const EffectBatch& batch,
                    std::string* error) {
  std::string discarded;  // replies of replayed commands go nowhere
  for (const Effect& effect : batch.effects) {
    if (effect.args.empty()) {
      *error = "empty effect";
      return false;
    }
    if (effect.db >= limits::databases) {
      *error = "effect for database " + std::to_string(effect.db) + " out of range";
      return false;
    }
    const CommandSpec* spec = table.find(effect.args[0]);
    if (spec == nullptr || !spec->arity_ok(effect.args.size())) {
      *error = "not a valid command: '" + std::string(effect.args[0]) + "'";
      return false;
    }
    // The whole-database writes are fan-outs for a client; as effects they name one shard's part.
    if (spec->name == "flushdb") {
      shard.flush_db(effect.db, batch.now_ms);
      continue;
    }
    if (spec->name == "flushall") {
      shard.flush_all(batch.now_ms);
      continue;
    }
    if (spec->name == "swapdb") {
      int a = 0;
      int b = 0;
      if (effect.args.size() != 3 || !parse_db_index(effect.args[1], &a) ||
          !parse_db_index(effect.args[2], &b)) {
        *error = "malformed SWAPDB effect";
        return false;
      }
      shard.swap_dbs(a, b, batch.now_ms);
      continue;
    }
    if (spec->route != CommandRoute::kKeys || spec->handler == nullptr ||
        (!spec->is_write() && (spec->flags & kCmdMayReplicate) == 0)) {
      *error = "'" + std::string(spec->name) + "' is not a keyspace write";
      return false;
    }
    discarded.clear();
    ReplyBuilder reply(&discarded, 2);
    shard.writes().apply(*spec, effect.db, effect.args, reply, batch.now_ms);
  }
  return true;
}

}  // namespace eddy

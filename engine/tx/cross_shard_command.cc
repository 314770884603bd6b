// Any multi-key command across shards, atomically: its own single-shard handler runs on
// private copies of the keys it names (engine/tx/clone_transaction.h), so the reply is the
// handler's own and the write-back is one transaction.

#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/session_context.h"
#include "engine/tx/clone_transaction.h"
#include "engine/tx/coordinator.h"

namespace eddy {

namespace {

void cross_shard_command(SessionContext& ctx) {
  const CommandSpec& spec = ctx.spec;
  std::vector<KeyRef> keys;
  touched_keys(spec, ctx.args, ctx.client.db, keys);
  const LockMode mode = spec.is_write() ? LockMode::kExclusive : LockMode::kShared;
  CloneTransaction tx(&ctx.coordinator, keys, mode);
  tx.lock_and_clone();
  tx.scratch().writes().apply(spec, ctx.client.db, ctx.args, ctx.reply, tx.now_ms());
  tx.commit();
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

// Any multi-key command across shards, atomically: its own single-shard handler runs on
// private copies of the keys it names (engine/tx/clone_transaction.h), so the reply is the
// handler's own and the write-back is one transaction. run_on_locked_copies is the same over
// any list of keys, each in its own lock mode; SORT drives it with the keys its patterns name.

#include "engine/tx/cross_shard_command.h"

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
  std::vector<KeyRef> refs;
  touched_keys(spec, ctx.args, ctx.client.db, refs);
  const LockMode mode = spec.is_write() ? LockMode::kExclusive : LockMode::kShared;
  CloneTransaction tx(&ctx.coordinator, refs, mode);
  tx.lock_and_clone();
  tx.scratch().writes().apply(spec, ctx.client.db, ctx.args, ctx.reply, tx.now_ms());
  tx.commit();
}

}  // namespace

bool run_on_locked_copies(SessionContext& ctx, std::span<const LockedKey> keys,
                          const LockedCopyOptions& options) {
  std::vector<KeyRef> refs;
  std::vector<LockMode> modes;
  refs.reserve(keys.size());
  modes.reserve(keys.size());
  for (const LockedKey& key : keys) {
    refs.push_back(KeyRef{key.db, key.name});
    modes.push_back(key.mode);
  }
  CloneOptions clone_options;
  clone_options.copy = options.copy;
  clone_options.keyspace_held = options.keyspace_held;
  clone_options.keys_unique = options.keys_unique;
  CloneTransaction tx(&ctx.coordinator, refs, modes, clone_options);
  tx.lock_and_clone();
  if (options.check != nullptr && !(*options.check)(tx.scratch())) {
    tx.abort();
    return false;
  }
  tx.scratch().writes().apply(ctx.spec, ctx.client.db, ctx.args, ctx.reply, tx.now_ms());
  tx.commit();
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

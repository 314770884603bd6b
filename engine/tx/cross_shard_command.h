#pragma once
// Running a keyed command's own single-shard handler over keys that live on several shards:
// lock them (Coordinator::Transaction), copy them into a scratch shard, run the handler there
// at the transaction's clock, and write the keys it changed back to their owners before
// unlocking (see cross_shard_command.cc). Every multi-key command without a dedicated
// cross-shard path uses it as is; SORT uses it with the keys its BY/GET patterns name
// (engine/cmd/sort_command.cc).

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "engine/base/function_ref.h"
#include "engine/kv/table.h"
#include "engine/kv/value.h"
#include "engine/shard.h"
#include "engine/tx/coordinator.h"

namespace eddy {

struct SessionContext;

// A key to lock and copy. `name` must stay valid for the call.
struct LockedKey {
  std::string_view name;
  int db;
  LockMode mode;
};

struct LockedCopyOptions {
  // What the scratch shard gets for keys[i], live as `entry` on `shard` (its owner, locked):
  // nullptr copies the whole value; otherwise the function's value (nullopt: the key is left
  // absent there). A command that reads only part of a large value copies only that part.
  FunctionRef<std::optional<kv::Value>(std::size_t i, Shard& shard, const kv::Entry& entry)>* copy =
      nullptr;
  // Runs with every lock held and every copy in place, before the handler; returning false
  // abandons the attempt: no handler, no reply, nothing written, the locks released, and
  // run_on_locked_copies returns false. (SORT checks here that the keys it locked are still
  // the keys its source names.)
  FunctionRef<bool(Shard& scratch)>* check = nullptr;
  // The caller holds Coordinator::lock_keyspace: no key locks are taken.
  bool keyspace_held = false;
  // The caller lists every key once (no (db, name) twice): no need to look for repeats.
  bool keys_unique = false;
};

// Runs ctx.spec's handler on copies of `keys` (a key listed twice is copied once; better, list each
// key once with the strongest mode it needs: only keys locked exclusively are written back, so
// every key the handler may change must be). The reply is the handler's, into ctx.reply.
// Returns false only when options.check refused.
bool run_on_locked_copies(SessionContext& ctx, std::span<const LockedKey> keys,
                          const LockedCopyOptions& options);

}  // namespace eddy

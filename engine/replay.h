#pragma once
// Applies effects (engine/write_path.h) to a shard through its write path: how a replica, a
// write-ahead log's recovery and the replay property test turn an effect stream back into a
// keyspace. Effects come from disk or from a peer, so each is checked first: an unknown
// command, a wrong arity, a database out of range or a command that is not a keyspace write
// is refused with a message, never applied and never a crash.

#include <string>

#include "engine/cmd/command.h"
#include "engine/shard.h"
#include "engine/write_path.h"

namespace eddy {

// Applies every effect of `batch` in order, each at batch.now_ms. Returns false (with the
// reason in *error) at the first effect that is not valid; effects before it stay applied.
bool replay_effects(const CommandTable& table, Shard& shard, const EffectBatch& batch,
                    std::string* error);

}  // namespace eddy

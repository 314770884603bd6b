#pragma once
// The seed of the hash tables inside values (a large hash's FieldTable, a large set's
// StringHashSet). With a fixed seed anyone could precompute fields that collide and turn a
// table's probes into a scan of it (hash flooding); so the engine takes a seed from its runtime
// (OS entropy in eddy-server, the run's seed in the simulator, so a simulation still replays).
//
// Each table reads the seed once, when it is made, and keeps it: a table built under one seed
// stays valid if the seed changes later (a second engine in the same process, as in the tests
// and the simulator's clusters). The keyspace table (kv::Table) takes its seed directly from
// its shard instead.

#include <cstdint>

namespace eddy::kv {

void set_collection_hash_seed(std::uint64_t seed);
std::uint64_t collection_hash_seed();

}  // namespace eddy::kv

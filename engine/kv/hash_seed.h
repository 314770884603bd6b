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

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace eddy::kv {

void set_collection_hash_seed(std::uint64_t seed);
std::uint64_t collection_hash_seed();

// The hasher of the engine's side tables keyed by what clients send (watched keys, the keys
// blocked clients wait on, ZUNION's members, a transaction's keys): libstdc++'s std::hash of a
// string has a fixed seed, so keys that collide in those could be precomputed as well. It
// reads the seed once, when its table is made.
struct SeededStringHash {
  SeededStringHash() : seed(collection_hash_seed()) {}
  std::size_t operator()(std::string_view text) const noexcept;
  std::uint64_t seed;
};

}  // namespace eddy::kv

#include "engine/kv/hash_seed.h"

#include <atomic>

#include <xxhash.h>

namespace eddy::kv {

namespace {
// Atomic because the engines of one test process may start on different threads; a table reads
// it once when made, never per operation.
std::atomic<std::uint64_t> g_collection_hash_seed{0};
}  // namespace

void set_collection_hash_seed(std::uint64_t seed) {
  g_collection_hash_seed.store(seed, std::memory_order_relaxed);
}

std::uint64_t collection_hash_seed() {
  return g_collection_hash_seed.load(std::memory_order_relaxed);
}

std::size_t SeededStringHash::operator()(std::string_view text) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits_withSeed(text.data(), text.size(), seed));
}

}  // namespace eddy::kv

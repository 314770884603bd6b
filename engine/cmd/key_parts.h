#pragma once
// The per-shard pieces of multi-key commands (MSET, MSETNX, MGET, DEL, UNLINK, EXISTS, RENAME,
// RENAMENX, MOVE). The single-shard handlers in engine/cmd and the cross-shard transactions in
// engine/tx both build on these, so a command means the same thing whichever path runs it.
// Each function acts on one Db and only on the key arguments named by `key_indexes` (all of
// which the calling shard owns). None of them writes replies or counts keyspace hits/misses:
// the caller does, from the results (see find_for_read).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/cmd/command.h"
#include "engine/db.h"
#include "engine/kv/value.h"
#include "engine/shard.h"

namespace eddy::keyparts {

// MSET's part: for each index i, sets key args[i] to args[i + 1] and clears its TTL (as SET
// without KEEPTTL does). Later duplicates win, as in Redis. Every i + 1 must be a valid
// argument: callers check MSET's argument count before routing.
void mset(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms);

// EXISTS's part: how many of the keys exist; a key named twice counts twice.
std::size_t count_existing(Db& db, Args args, std::span<const std::uint32_t> key_indexes,
                           std::int64_t now_ms);

// DEL/UNLINK's part: deletes the keys; returns how many were deleted (a key named twice is
// deleted, and counted, once).
std::size_t del(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms);

// MGET's part: out[j] becomes a copy of the value of key args[key_indexes[j]], or nullopt when
// the key is missing. out.size() must equal key_indexes.size().
void mget(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms,
          std::span<std::optional<std::string>> out);

// A key's contents in transit (RENAME across shards, MOVE across databases).
struct MovedValue {
  kv::Value value;
  std::int64_t expire_at_ms = 0;  // 0: no TTL
};

// Removes `key` and returns its value and deadline; nullopt when the key does not exist.
std::optional<MovedValue> take(Db& db, std::string_view key, std::int64_t now_ms);

// Creates or overwrites `key` with the moved value and deadline.
void put(Db& db, std::string_view key, MovedValue&& moved, std::int64_t now_ms);

bool exists(Db& db, std::string_view key, std::int64_t now_ms);

// Redis's lookupKeyRead: Db::find that also counts a keyspace hit or miss, as every read
// command's lookup does (GET, MGET, EXISTS, TTL, TYPE, STRLEN, ...; also SET..GET, GETSET,
// GETDEL, GETEX). Write lookups (INCR, APPEND, DEL, EXPIRE, RENAME, ...) do not count.
// The parts above never count: a caller of mget/count_existing adds hits (values found) and
// misses (keys not found) itself.
inline const kv::Entry* find_for_read(Db& db, ShardStats& stats, std::string_view key,
                                      std::int64_t now_ms) {
  const kv::Entry* entry = db.find(key, now_ms);
  if (entry != nullptr) {
    ++stats.keyspace_hits;
  } else {
    ++stats.keyspace_misses;
  }
  return entry;
}

// Calls part(std::span<const std::uint32_t>) with the argument indexes first, first + step, ...
// below `argc`, in chunks held on the stack: a single-shard multi-key command then needs no
// heap allocation however many keys it names. The parts above act key by key in order, so
// chunking does not change their result (a repeated key is still deleted once, counted twice
// by EXISTS, and the last MSET of a key still wins).
template <typename Part>
void for_each_key_chunk(std::size_t first, std::size_t step, std::size_t argc, Part&& part) {
  constexpr std::size_t kChunkKeys = 64;
  std::uint32_t indexes[kChunkKeys];
  std::size_t count = 0;
  for (std::size_t i = first; i < argc; i += step) {
    indexes[count++] = static_cast<std::uint32_t>(i);
    if (count == kChunkKeys) {
      part(std::span<const std::uint32_t>(indexes, count));
      count = 0;
    }
  }
  if (count != 0) part(std::span<const std::uint32_t>(indexes, count));
}

}  // namespace eddy::keyparts

#pragma once
// Every buffer, queue and count in eddy has a named bound here, units last in the name.
// Values follow Redis's defaults where Redis has one.

#include <cstddef>
#include <cstdint>

namespace eddy::limits {

// RESP protocol (Redis: proto-max-bulk-len, PROTO_INLINE_MAX_SIZE, multibulk count limit).
inline constexpr std::int64_t bulk_bytes_max = 512LL * 1024 * 1024;
inline constexpr std::int64_t multibulk_count_max = 1024 * 1024;
inline constexpr std::size_t inline_command_bytes_max = 64 * 1024;
// Before a client authenticates, the parser is stricter still (resp::RequestParser::
// set_unauthenticated: at most 10 arguments of 16 KiB each), as Redis is.

// Per connection.
inline constexpr std::size_t read_chunk_bytes = 16 * 1024;
// Replies accumulated in one batch before the session stops parsing and flushes: a client
// that never reads can hold at most this much (plus one reply) of server memory.
inline constexpr std::size_t reply_batch_bytes_max = 64 * 1024;
// Query buffer bound (Redis client-query-buffer-limit, 1 GB): a single command's bytes.
inline constexpr std::size_t query_buffer_bytes_max = 1024ULL * 1024 * 1024;
// Commands parsed per batch before they are executed and replied to.
inline constexpr std::size_t batch_commands_max = 1024;

// MULTI/EXEC: what one connection may queue and watch. Redis bounds neither (only its
// maxmemory-clients); a transaction past these is refused (EXEC answers EXECABORT).
inline constexpr std::size_t multi_queued_commands_max = 1024 * 1024;
inline constexpr std::size_t multi_queued_bytes_max = query_buffer_bytes_max;
inline constexpr std::size_t watched_keys_max = 1024 * 1024;

// Server.
inline constexpr std::size_t databases = 16;
inline constexpr std::size_t shards_max = 256;
inline constexpr std::size_t cluster_slots = 16384;
inline constexpr std::size_t maxclients_default = 10000;
// How often each core looks for clients idle past CONFIG's `timeout`.
inline constexpr std::int64_t client_timeout_check_ms = 100;
inline constexpr std::size_t maxclients_max = 1000000;
// Hops parked at one shard: each client has at most one batch hop and one transaction step
// there at a time.
inline constexpr std::size_t parked_hops_max = 2 * maxclients_max;

// Cross-core messaging: the ring per ordered core pair. A fiber posting to a full ring yields
// until there is room. A hop going home to a full ring waits in an intrusive overflow list
// (no allocation; bounded by the hops that exist, each owned by a waiting fiber). Parked
// hops occupy no ring slot, so a lock holder's hops always get through.
inline constexpr std::size_t mailbox_ring_entries = 1024;

// Active expiry: one cycle never holds a shard longer than this.
inline constexpr std::int64_t expire_cycle_budget_ns = 1'000'000;
inline constexpr std::int64_t expire_cycle_interval_ms = 100;

// Fibers.
inline constexpr std::size_t fiber_stack_bytes = 64 * 1024;

// CONFIG REWRITE reads the config file whole; a larger one is refused ("File too large").
inline constexpr std::size_t config_file_bytes_max = 16 * 1024 * 1024;

static_assert((mailbox_ring_entries & (mailbox_ring_entries - 1)) == 0);
static_assert(reply_batch_bytes_max < query_buffer_bytes_max);

}  // namespace eddy::limits

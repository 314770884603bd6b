#pragma once
// The per-client bounds CONFIG sets at run time (Redis 7.0's client-output-buffer-limit,
// maxmemory-clients, proto-max-bulk-len, client-query-buffer-limit, tcp-keepalive): their text
// forms as CONFIG GET/SET and eddy-server's flags spell them, and the live values the data
// path reads. Every live value is a relaxed atomic written only by CONFIG SET (under the
// config lock) and loaded at most once per batch by a session: no lock, no read-modify-write
// on the data path.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eddy {

// Redis's client classes for output buffer limits (getClientType): replicas and pub/sub
// subscribers have their own limits. eddy has neither yet, so every client is kNormal; the
// classes exist so that their limits are parsed, kept and shown as Redis shows them.
enum class ClientClass : std::uint8_t { kNormal = 0, kReplica = 1, kPubsub = 2 };
inline constexpr std::size_t kClientClasses = 3;

struct OutputBufferLimit {
  std::uint64_t hard_bytes = 0;  // 0: none
  std::uint64_t soft_bytes = 0;  // 0: none
  std::int64_t soft_seconds = 0;
  bool operator==(const OutputBufferLimit&) const = default;
};
using OutputBufferLimits = std::array<OutputBufferLimit, kClientClasses>;

// Redis 7.0's defaults: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".
OutputBufferLimits default_output_buffer_limits();

// Redis's memory notation (memtoull): digits, then nothing, b, k (1000), kb (1024), m, mb, g
// or gb, case-insensitive; no sign. False on anything else or on overflow.
bool parse_memory_bytes(std::string_view text, std::uint64_t* bytes);

// CONFIG SET client-output-buffer-limit's value: groups of "<class> <hard> <soft> <seconds>"
// separated by spaces; each group replaces its class, the classes not named keep their limits
// (`limits` is updated only when the whole text is valid). The reason is Redis's text.
bool parse_output_buffer_limits(std::string_view text, OutputBufferLimits* limits,
                                std::string* reason);
// CONFIG GET's form: all three classes, replicas named "slave" as Redis 7.0 prints them.
std::string format_output_buffer_limits(const OutputBufferLimits& limits);

// maxmemory-clients: bytes, or a percentage of maxmemory ("10%"), kept as Redis does
// (a percentage as a negative number). False with Redis's reason otherwise.
bool parse_maxmemory_clients(std::string_view text, std::int64_t* value, std::string* reason);
std::string format_maxmemory_clients(std::int64_t value);
// The bound maxmemory-clients sets on the memory of all clients together (0: none), as Redis's
// getClientEvictionLimit: a percentage of maxmemory (none while maxmemory is 0), at least
// 128 KiB so that a tiny setting still lets clients talk to the server.
std::uint64_t client_eviction_limit_bytes(std::int64_t maxmemory_clients,
                                          std::uint64_t maxmemory_bytes);

// The live values.
class ClientLimits {
 public:
  ClientLimits();

  OutputBufferLimit output_limit(ClientClass cls) const {
    const Live& live = output_[static_cast<std::size_t>(cls)];
    return OutputBufferLimit{live.hard_bytes.load(std::memory_order_relaxed),
                             live.soft_bytes.load(std::memory_order_relaxed),
                             live.soft_seconds.load(std::memory_order_relaxed)};
  }
  void set_output_limits(const OutputBufferLimits& limits);

  // Bound to CONFIG's integers (ServerConfig::bind_integer).
  std::atomic<std::int64_t> maxmemory_clients{0};  // negative: a percentage of maxmemory
  std::atomic<std::int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<std::int64_t> query_buffer_bytes_max{1024LL * 1024 * 1024};
  std::atomic<std::int64_t> tcp_keepalive_s{300};

 private:
  struct Live {
    std::atomic<std::uint64_t> hard_bytes{0};
    std::atomic<std::uint64_t> soft_bytes{0};
    std::atomic<std::int64_t> soft_seconds{0};
  };
  std::array<Live, kClientClasses> output_;
};

}  // namespace eddy

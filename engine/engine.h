#pragma once
// The node's engine: its shards, the slot map that routes keys to them, the command table and
// the settings CONFIG GET/SET expose. One Engine per node, shared (read-only after start) by
// every core; each Shard is touched only from its home core.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/acl/registry.h"
#include "engine/client.h"
#include "engine/client_limits.h"
#include "engine/cmd/command.h"
#include "engine/config.h"
#include "engine/limits.h"
#include "engine/runtime.h"
#include "engine/shard.h"
#include "engine/slot.h"

namespace eddy {

namespace storage {
class AppendOnlyLog;
class Snapshotter;
}  // namespace storage

struct EngineOptions {
  std::uint32_t shard_count = 1;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6379;
  std::size_t maxclients = limits::maxclients_default;
  std::int64_t process_id = 0;  // for INFO; the runtime knows it, the engine does not ask
  std::string executable;       // for INFO
  std::string config_file;      // INFO's, and CONFIG REWRITE's file (absolute); empty: none
  // Keys of the config file that CONFIG does not show (eddy-server's shards, pin-threads):
  // CONFIG REWRITE keeps their lines as written. And keys that set a CONFIG parameter under
  // another name (workers -> io-threads).
  std::vector<std::string> config_file_only_keys;
  std::vector<std::pair<std::string, std::string>> config_file_aliases;
  std::string requirepass;     // the default user's password; empty: nopass
  bool protected_mode = true;  // Redis's protected-mode
  std::string aclfile;         // ACL LOAD/SAVE's file (Redis's aclfile); empty: none
};

// Counters shared by all cores (relaxed atomics: only statistics, never used for decisions
// about data).
struct NodeStats {
  std::atomic<std::uint64_t> connections_received{0};
  std::atomic<std::int64_t> connected_clients{0};
  std::atomic<std::uint64_t> rejected_connections{0};
  std::atomic<std::uint64_t> next_client_id{1};
  std::atomic<std::int64_t> blocked_clients{0};   // INFO's blocked_clients
  std::atomic<std::uint64_t> evicted_clients{0};  // closed by maxmemory-clients
};

class Engine {
 public:
  Engine(Runtime* runtime, EngineOptions options);

  Runtime& runtime() { return *runtime_; }
  const EngineOptions& options() const { return options_; }
  const CommandTable& commands() const { return commands_; }
  NodeStats& stats() { return stats_; }

  std::uint32_t shard_count() const { return static_cast<std::uint32_t>(shards_.size()); }
  Shard& shard(std::uint32_t index) {
    ASSERT_LT(index, shards_.size());
    return *shards_[index];
  }
  std::uint32_t shard_of_key(std::string_view key) const {
    if (shards_.size() == 1) return 0;
    return slot_to_shard_[key_slot(key)];
  }
  std::uint32_t shard_of_slot(std::uint16_t slot) const { return slot_to_shard_[slot]; }

  // Milliseconds since the engine started and the Unix time it started, for INFO.
  std::int64_t start_unix_ms() const { return start_unix_ms_; }
  Nanos start_monotonic() const { return start_monotonic_; }

  // Starts each shard's active-expiry fiber; call once on each core, from that core.
  void start_core_services();
  // On core 0 (a no-op elsewhere, and without a snapshotter): the fiber that checks the save
  // rules once a second and starts a snapshot when one is met.
  void start_save_rules();
  // Starts this core's client cron (eddy-server and the servers of tests; the simulator has no
  // idle clients): every 100 ms it closes clients idle longer than CONFIG's `timeout`, closes
  // those whose pending output passed their output buffer limits, samples the largest
  // buffers for INFO, and on core 0 enforces maxmemory-clients.
  void start_client_cron();

  // The clients connected on `core`; touch only from that core (memory_bytes() from any).
  ClientRegistry& clients_on(std::uint32_t core) {
    ASSERT_LT(core, client_registries_.size());
    return *client_registries_[core];
  }

  // The per-client bounds CONFIG sets (engine/client_limits.h).
  ClientLimits& client_limits() { return client_limits_; }

  // What the buffers of all clients hold together (INFO's mem_clients_normal).
  std::uint64_t client_memory_bytes() const;
  // The largest query buffer and pending output any client had in the last few seconds
  // (INFO's client_recent_max_input_buffer and client_recent_max_output_buffer).
  std::pair<std::uint64_t, std::uint64_t> recent_client_buffer_peaks() const;

  // Closes clients, the largest first, until all clients' buffers together hold less than
  // maxmemory-clients allows; CLIENT NO-EVICT clients are spared. Call from a fiber; returns
  // how many it closed.
  std::size_t evict_clients();

  // Deadlines of the clients blocked on `core`; touch only from that core.
  BlockingTimers& blocking_timers_on(std::uint32_t core) {
    ASSERT_LT(core, blocking_timers_.size());
    return blocking_timers_[core];
  }

  // ACL users and ACL LOG (engine/acl/registry.h).
  acl::Registry& acl() { return acl_; }

  // Settings visible through CONFIG GET/SET.
  ServerConfig& config() { return config_; }

  // CONFIG REWRITE: the config file rewritten to hold the current settings
  // (engine/config_rewrite.h), read and replaced through the runtime's Disk. Call from a
  // fiber; a second rewrite waits for the first. False with strerror's words in *reason.
  bool rewrite_config_file(std::string* reason);

  // Collection encoding thresholds (CONFIG's *-max-listpack-* and friends).
  kv::EncodingLimits& encoding_limits() { return encoding_limits_; }

  // Takes a place for a new client, or refuses it (false: maxclients reached, counted in
  // rejected_connections). The count and the check are one atomic step, so a burst of
  // connections accepted on several cores at once cannot pass the limit. A taken place is
  // given back by release_client().
  bool admit_client() {
    const std::int64_t max = maxclients_.load(std::memory_order_relaxed);
    if (stats_.connected_clients.fetch_add(1, std::memory_order_acq_rel) >= max) {
      stats_.connected_clients.fetch_sub(1, std::memory_order_acq_rel);
      stats_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void release_client() { stats_.connected_clients.fetch_sub(1, std::memory_order_acq_rel); }

  // A node-unique id for a cross-shard transaction's effects (never 0).
  std::uint64_t next_tx_id() { return next_tx_id_.fetch_add(1, std::memory_order_relaxed); }
  // After recovery: new transactions take ids above every id in the log, so that a new one is
  // never mistaken for a part of an old one.
  void advance_tx_ids_past(std::uint64_t id) {
    std::uint64_t next = next_tx_id_.load(std::memory_order_relaxed);
    while (next <= id && !next_tx_id_.compare_exchange_weak(next, id + 1)) {
    }
  }

  // The write-ahead log (nullptr: appendonly no). Set once before the cores run; owned by the
  // caller (eddy-server's main), which keeps it alive while the engine runs.
  storage::AppendOnlyLog* aof() const { return aof_; }
  void set_aof(storage::AppendOnlyLog* aof);
  // Snapshots (SAVE, BGSAVE, save rules; nullptr: none, as in tests). Set once before the
  // cores run, owned by the caller as the log is.
  storage::Snapshotter* snapshotter() const { return snapshotter_; }
  void set_snapshotter(storage::Snapshotter* snapshotter) { snapshotter_ = snapshotter; }

  // appendfsync as CONFIG holds it (a storage::FsyncPolicy).
  int appendfsync() const { return appendfsync_.load(std::memory_order_relaxed); }

 private:
  Runtime* runtime_;
  EngineOptions options_;
  CommandTable commands_;
  NodeStats stats_;
  ServerConfig config_;
  acl::Registry acl_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::unique_ptr<ClientRegistry>> client_registries_;
  // Per core, the largest buffers seen in each of the last kPeakSlots seconds (Redis keeps the
  // same 8-second window); written by the core's cron, read by INFO on any core.
  static constexpr std::size_t kPeakSlots = 8;
  struct BufferPeaks {
    std::array<std::atomic<std::uint64_t>, kPeakSlots> input{};
    std::array<std::atomic<std::uint64_t>, kPeakSlots> output{};
    std::int64_t second = -1;  // the slot last written, as a Unix second (core-local)
  };
  std::vector<std::unique_ptr<BufferPeaks>> buffer_peaks_;
  ClientLimits client_limits_;
  // Checks every client of this core against `timeout` and the output buffer limits.
  void client_cron_step(std::uint32_t core);
  std::vector<BlockingTimers> blocking_timers_;
  std::array<std::uint16_t, limits::cluster_slots> slot_to_shard_{};
  std::atomic<std::uint64_t> next_tx_id_{1};
  storage::AppendOnlyLog* aof_ = nullptr;
  storage::Snapshotter* snapshotter_ = nullptr;
  std::atomic<int> appendfsync_{1};
  std::atomic<bool> config_rewriting_{false};
  kv::EncodingLimits encoding_limits_;
  std::atomic<std::int64_t> maxclients_{static_cast<std::int64_t>(limits::maxclients_default)};
  std::atomic<std::int64_t> idle_timeout_s_{0};  // CONFIG's timeout; 0: never
  std::int64_t start_unix_ms_;
  Nanos start_monotonic_;
};

}  // namespace eddy

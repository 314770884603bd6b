#pragma once
// The node's snapshots: SAVE, BGSAVE, LASTSAVE, save rules and the snapshot at shutdown, and
// loading the newest snapshot at start-up.
//
// A snapshot is one file per shard (engine/storage/shard_snapshot.h) plus a manifest, the
// file named by `dbfilename` in the data directory, which lists the shard files of the newest
// complete snapshot with their sizes and hashes (engine/storage/snapshot_format.h). The
// manifest is replaced atomically (temporary file, sync, rename) only after every shard file
// is synced, and the previous snapshot's files are removed only after that: a crash at any
// moment leaves the previous snapshot or the new one, whole.
//
// The cut is the same moment on every shard: the coordinator takes every shard whole
// (Coordinator::lock_keyspace, so no cross-shard transaction is half-way), begins each shard's
// snapshot, and lets go. A cross-shard MSET is in the snapshot whole or not at all. Each
// shard then serializes on its own core in steps (a fiber that yields between steps).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/function_ref.h"
#include "engine/runtime.h"
#include "engine/shard.h"

namespace eddy {
class Coordinator;
}

namespace eddy::storage {

class ShardSnapshot;

struct SnapshotLoadReport {
  bool found = false;  // a manifest was there
  std::uint64_t generation = 0;
  std::uint64_t keys_loaded = 0;
  std::uint64_t keys_expired = 0;  // deadlines passed before the load: not loaded, as Redis
  std::uint64_t bytes = 0;
};

// Entries a shard serializes per step before it yields to the core.
inline constexpr std::size_t kSnapshotStepEntries = 2048;

// Reads the manifest at `manifest_path` (kMissing: nothing to load, *report->found false) and
// loads every shard file it names into `shards`, before any core runs. Keys must belong to the
// shard whose file holds them (`shard_of`), which also means the shard count must be the
// snapshot's. False with *error naming the file and the offset of the damage.
bool load_snapshot(Disk& disk, const std::string& manifest_path, const std::vector<Shard*>& shards,
                   FunctionRef<std::uint32_t(std::string_view key)> shard_of, std::int64_t now_ms,
                   std::uint64_t rng_seed, SnapshotLoadReport* report, std::string* error);

// Save rules ("save <seconds> <changes> ..."): parsed from CONFIG's text.
struct SaveRule {
  std::int64_t seconds = 0;
  std::int64_t changes = 0;
};
bool parse_save_rules(std::string_view text, std::vector<SaveRule>* out);

class Snapshotter {
 public:
  // `shards` live on the runtime's cores; `shard_of` routes keys for the loader.
  Snapshotter(Runtime* runtime, std::vector<Shard*> shards, std::string dbfilename);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  const std::string& dbfilename() const { return dbfilename_; }
  // The name of shard `shard`'s file in generation `generation`.
  std::string shard_file(std::uint64_t generation, std::uint32_t shard) const;

  // At start-up, before the cores run.
  bool load(FunctionRef<std::uint32_t(std::string_view)> shard_of, SnapshotLoadReport* report,
            std::string* error);

  enum class Start { kStarted, kAlreadyRunning, kFailed };
  // From a session fiber: takes the cut and starts every shard serializing. With `wait`, the
  // calling fiber waits until the snapshot is complete (SAVE); otherwise a fiber on this core
  // finishes it (BGSAVE). kFailed (with *error) when the cut could not be taken or, with
  // `wait`, the snapshot failed.
  Start start(Coordinator& coordinator, bool wait, std::string* error);

  // Outside any fiber, with no core running (shutdown, tests): the whole snapshot in this
  // thread. False with *error.
  bool save_blocking(std::string* error);

  // From a fiber on core 0, about once a second: starts a snapshot when a save rule says so
  // (Redis's serverCron: a rule's changes and seconds are both reached, and the last attempt
  // succeeded or is at least 5 seconds old).
  void run_save_rules(Coordinator& coordinator, const std::vector<SaveRule>& rules,
                      std::uint64_t modifications_now);

  // BGSAVE inside EXEC: the save-rules fiber starts a snapshot at its next round, as Redis's
  // rdb_bgsave_scheduled.
  void schedule() { scheduled_.store(true, std::memory_order_relaxed); }
  bool scheduled() const { return scheduled_.load(std::memory_order_relaxed); }

  // SHUTDOWN [SAVE|NOSAVE]: eddy-server's main installs how the node stops (the runtime's
  // stop) and, once every core has stopped, takes the snapshot the mode asks for: kByRules as
  // at SIGTERM (one when save rules exist), kSave always, kNoSave never.
  enum class ShutdownSave : int { kByRules = 0, kSave = 1, kNoSave = 2 };
  void set_stop(std::function<void()> stop) { stop_ = std::move(stop); }
  // False when nothing can stop this node (no stop installed: tests, the simulator).
  bool request_shutdown(ShutdownSave mode) {
    if (!stop_) return false;
    shutdown_save_.store(static_cast<int>(mode), std::memory_order_relaxed);
    stop_();
    return true;
  }
  ShutdownSave shutdown_save() const {
    return static_cast<ShutdownSave>(shutdown_save_.load(std::memory_order_relaxed));
  }

  // For INFO and LASTSAVE (any core).
  bool in_progress() const { return in_progress_.load(std::memory_order_acquire); }
  std::int64_t last_save_unix_s() const {
    return last_save_unix_s_.load(std::memory_order_relaxed);
  }
  bool last_status_ok() const { return last_ok_.load(std::memory_order_relaxed); }
  std::int64_t last_duration_s() const { return last_duration_s_.load(std::memory_order_relaxed); }
  // Seconds the snapshot under way has run; -1 when none.
  std::int64_t current_duration_s() const;
  std::uint64_t saves() const { return saves_.load(std::memory_order_relaxed); }
  // The shards' modification counts (Redis's dirty) as the last successful snapshot cut them.
  std::uint64_t modifications_saved() const {
    return modifications_saved_.load(std::memory_order_relaxed);
  }
  const SnapshotLoadReport& load_report() const { return load_report_; }
  // Entries the last snapshot serialized, and those of them the write hook wrote ahead.
  std::uint64_t last_entries() const { return last_entries_.load(std::memory_order_relaxed); }
  std::uint64_t last_entries_by_hook() const {
    return last_entries_by_hook_.load(std::memory_order_relaxed);
  }

 private:
  struct Job;
  // The manifest switch and the removal of older files, once every shard file is synced.
  bool commit(Job& job, std::string* error);
  // The next snapshot's generation, above every one whose files are on disk (called by the
  // one caller that set in_progress_).
  std::uint64_t claim_generation();
  void finish(Job& job, bool ok);
  // Removes shard files of generations other than `keep` (leftovers and the replaced one).
  void remove_other_generations(std::uint64_t keep);

  Runtime* runtime_;
  std::vector<Shard*> shards_;
  std::string dbfilename_;
  std::uint64_t next_generation_ = 1;
  std::atomic<bool> in_progress_{false};
  std::atomic<bool> scheduled_{false};
  std::atomic<std::int64_t> last_save_unix_s_{0};
  std::atomic<bool> last_ok_{true};
  std::atomic<std::int64_t> last_duration_s_{-1};
  std::atomic<std::int64_t> current_started_ms_{0};
  std::atomic<std::int64_t> last_attempt_unix_s_{0};
  std::atomic<std::uint64_t> saves_{0};
  std::atomic<std::uint64_t> modifications_saved_{0};
  std::atomic<std::uint64_t> last_entries_{0};
  std::atomic<std::uint64_t> last_entries_by_hook_{0};
  SnapshotLoadReport load_report_;
  std::function<void()> stop_;
  std::atomic<int> shutdown_save_{0};
};

}  // namespace eddy::storage

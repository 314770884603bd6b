#pragma once
// The write-ahead log of eddy-server ("append-only file" in Redis's words): one log file per
// shard, each record one EffectBatch (engine/write_path.h, engine/storage/effect_codec.h)
// framed by RecordLog, written and synced by a flusher fiber on the shard's home core.
//
// Why one file per shard: a shard's effects are produced on its home core only, so its log's
// buffer is touched by one thread and needs no lock or cross-core queue; the disk sees one
// sequential writer per shard. A cross-shard transaction writes one record per shard it
// changes, tagged (tx_id, tx_parts); recovery applies it only when every part is in the logs.
//
// Group commit: a shard's effects are framed into an in-memory buffer as units end; the
// flusher swaps the buffer out and writes it with one append, then (policy permitting) one
// sync, so everything queued meanwhile, from every connection, shares that sync. The Disk calls
// suspend the flusher fiber only: the epoll runtime performs them on an I/O thread of its core
// (net/epoll/epoll_runtime.cc), the simulator models their latency.
//
// Replies: before a session sends replies, it calls await_before_reply(). Under `always` that
// waits, for every batch, until every shard's log is durable up to what it held at the time of
// the call (so it covers this batch's writes and any write it may have read: as in Redis, whose
// replies of a loop iteration all wait for its fsync, no client sees data a crash can still
// take back), by parking a
// hop at each shard that is behind; the flusher sends the hops home after its sync. Under
// `everysec` and `no` nothing waits unless a log's unsynced backlog passes its bound (a
// stalled disk): then writers wait for it too, so a stall delays writers instead of growing
// what a crash can lose.
//
// After a failed append or sync the log is never trusted again (fsyncgate): writes are refused
// with Redis's MISCONF error, and waiting replies are not sent (their writes are not known to
// be durable); the way back is a restart, whose recovery finds the good prefix.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/fiber/scheduler.h"
#include "engine/runtime.h"
#include "engine/shard.h"
#include "engine/storage/record_log.h"
#include "engine/write_path.h"

namespace eddy::storage {

enum class FsyncPolicy : int { kAlways = 0, kEverySec = 1, kNo = 2 };
bool parse_fsync_policy(std::string_view text, FsyncPolicy* out);
const char* fsync_policy_name(FsyncPolicy policy);

struct AofOptions {
  std::string directory = "appendonlydir";     // Redis's appenddirname, under the disk's root
  std::string file_prefix = "appendonly.aof";  // Redis's appendfilename
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  bool load_truncated = true;        // Redis's aof-load-truncated: cut a torn tail
  bool load_damaged_prefix = false;  // eddy's aof-load-damaged-prefix: cut mid-file damage
};

// Bounds of the unsynced backlog of one shard's log under everysec and no: past either,
// writers wait for the log (Redis delays writes when an fsync has been pending for 2 s).
inline constexpr std::uint64_t kUnsyncedBytesMax = 64ull << 20;
inline constexpr Nanos kUnsyncedAgeMax = 2 * kNanosPerSecond;
inline constexpr Nanos kEverySecInterval = kNanosPerSecond;
// A record holds one unit's effects, whose values may each be a bulk of proto-max-bulk-len.
inline constexpr std::uint32_t kAofRecordPayloadMaxBytes = 768u << 20;

struct RecoveryReport {
  std::uint64_t batches_applied = 0;
  std::uint64_t batches_dropped = 0;       // parts of transactions not whole in the logs
  std::uint64_t transactions_dropped = 0;  // such transactions
  std::uint64_t torn_bytes = 0;            // cut off the ends of files (torn tails)
  std::uint64_t damaged_bytes = 0;         // cut at damage (only with load_damaged_prefix)
  std::uint64_t max_tx_id = 0;             // the largest transaction id seen
  std::uint64_t log_bytes = 0;             // the logs' sizes after recovery
};

class AppendOnlyLog;

// One shard's log. Everything but the atomics is touched on the shard's home core only.
class ShardLog final : public WriteObserver {
 public:
  ShardLog(AppendOnlyLog* owner, Shard* shard, std::unique_ptr<RecordLog> log);
  ~ShardLog() override;

  // WriteObserver: frames the batch into the buffer (no I/O). Must not suspend.
  void on_effects(const EffectBatch& batch) override;

  // One round of the flusher: writes what is buffered, then syncs when the policy (or
  // `force_sync`) says so. Suspends the calling fiber during disk calls (or blocks, outside a
  // fiber on a disk that does not suspend: tests). Returns whether it did any I/O.
  bool flush_once(bool force_sync);

  // The flusher fiber's body (spawned on the home core by AppendOnlyLog::start_core).
  void run_flusher();
  // The flusher is idle: wake it (home core only).
  void nudge();

  std::uint64_t appended_bytes() const { return appended_.load(std::memory_order_acquire); }
  std::uint64_t durable_bytes() const { return durable_.load(std::memory_order_acquire); }
  // Handed to the disk (written, maybe not synced).
  std::uint64_t written_bytes() const { return written_pub_.load(std::memory_order_acquire); }
  Nanos oldest_unsynced_ns() const { return oldest_unsynced_ns_.load(std::memory_order_acquire); }
  std::uint32_t home_core() const { return shard_->home_core(); }
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  std::uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }
  // Framed and not yet handed to the disk (home core only).
  std::size_t buffered_bytes() const { return pending_.size(); }

  // A reply waiting for this log to be durable up to `threshold`.
  class Wait final : public Hop {
   public:
    bool run_at_target() override { return log->admit(this); }
    void run_at_origin() override { group->done(); }
    ShardLog* log = nullptr;
    std::uint64_t threshold = 0;
    bool ok = true;
    fiber::WaitGroup* group = nullptr;
  };

 private:
  // True when `wait` needs no parking (durable already, or the log failed: wait->ok false).
  bool admit(Wait* wait);
  void publish_durable(std::uint64_t position);
  void release_waiters();
  // The position a parked wait must reach to be released.
  std::uint64_t released_position() const;
  void fail(const std::string& what);
  // Once the log failed nothing more is written: what is buffered goes, waiters fail.
  void drop_unwritten();

  AppendOnlyLog* owner_;
  Shard* shard_;
  std::unique_ptr<RecordLog> log_;
  std::string pending_;
  std::uint64_t pending_records_ = 0;
  std::string writing_;
  std::uint64_t appended_total_ = 0;  // home core's copy of appended_
  std::uint64_t written_ = 0;
  std::uint64_t synced_ = 0;
  Nanos last_sync_ns_ = 0;
  std::vector<Wait*> parked_;
  fiber::Fiber* flusher_ = nullptr;
  bool flusher_idle_ = false;
  std::atomic<std::uint64_t> appended_{0};
  std::atomic<std::uint64_t> durable_{0};
  std::atomic<std::uint64_t> written_pub_{0};
  std::atomic<Nanos> oldest_unsynced_ns_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> writes_{0};
};

class AppendOnlyLog {
 public:
  AppendOnlyLog(Runtime* runtime, const CommandTable* commands, std::vector<Shard*> shards);
  ~AppendOnlyLog();
  AppendOnlyLog(const AppendOnlyLog&) = delete;
  AppendOnlyLog& operator=(const AppendOnlyLog&) = delete;

  // Before any client: opens (creating) each shard's log under options.directory, replays it
  // into the shard through replay_effects (a transaction only when all its parts are there),
  // and attaches the writers. Outside the cores (no fiber needed). False with *error naming
  // the file (and the offset of damage) when start-up must stop.
  bool open(const AofOptions& options, RecoveryReport* report, std::string* error);
  bool enabled() const { return enabled_; }

  // On each core once it runs: the flusher fibers of the shards at home there.
  void start_core(std::uint32_t core);

  // From a session fiber, before the replies to a batch leave (see the header comment); only
  // under `always` does a batch that did not write wait. False when the log failed and the
  // batch wrote: its replies must not be sent (reads are still answered, as in Redis).
  bool await_before_reply(bool batch_wrote);

  void set_fsync_policy(FsyncPolicy policy) {
    fsync_.store(static_cast<int>(policy), std::memory_order_relaxed);
  }
  FsyncPolicy fsync_policy() const {
    return static_cast<FsyncPolicy>(fsync_.load(std::memory_order_relaxed));
  }

  // After a failed write or sync: writes are refused with misconf_error().
  bool refusing_writes() const { return failed_.load(std::memory_order_acquire); }
  std::string misconf_error() const;
  // Marks the log failed (once; the first reason is kept).
  void fail(const std::string& reason);

  Runtime& runtime() { return *runtime_; }
  const std::vector<std::unique_ptr<ShardLog>>& logs() const { return logs_; }
  const RecoveryReport& recovery() const { return report_; }
  std::uint64_t log_bytes() const;
  std::uint64_t syncs() const;
  // The file of shard `shard`'s log, relative to the disk's root.
  std::string file_of(std::uint32_t shard) const;
  // Flushers still running on `core` (for the shutdown rule in run_flusher).
  std::uint32_t flushers_on(std::uint32_t core) const {
    return flushers_alive_[core].load(std::memory_order_relaxed);
  }
  void flusher_ended(std::uint32_t core) { flushers_alive_[core].fetch_sub(1); }
  // At shutdown: every core's sessions have ended (see start_core).
  bool all_cores_quiet() const {
    return quiet_cores_.load(std::memory_order_acquire) == runtime_->core_count();
  }

 private:
  Runtime* runtime_;
  const CommandTable* commands_;
  std::vector<Shard*> shards_;
  AofOptions options_;
  bool enabled_ = false;
  RecoveryReport report_;
  std::vector<std::unique_ptr<ShardLog>> logs_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> flushers_alive_;
  std::atomic<std::uint32_t> quiet_cores_{0};
  std::atomic<int> fsync_{static_cast<int>(FsyncPolicy::kEverySec)};
  std::atomic<int> fail_claim_{0};
  std::atomic<bool> failed_{false};
  std::string failure_reason_;  // written once, before failed_ is set
};

}  // namespace eddy::storage

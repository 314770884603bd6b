#include "engine/storage/aof.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/base/assert.h"
#include "engine/replay.h"
#include "engine/storage/effect_codec.h"

namespace eddy::storage {

namespace {

constexpr std::string_view kIncrementSuffix = ".incr.log";
// The ticker's period: how late an everysec sync may start after its second is up.
constexpr Nanos kTickInterval = 100 * kNanosPerMilli;
// A buffer that grew past this (a burst) is given back after it is written.
constexpr std::size_t kBufferKeepBytes = 4u << 20;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

bool parse_fsync_policy(std::string_view text, FsyncPolicy* out) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "always") {
    *out = FsyncPolicy::kAlways;
  } else if (lower == "everysec") {
    *out = FsyncPolicy::kEverySec;
  } else if (lower == "no") {
    *out = FsyncPolicy::kNo;
  } else {
    return false;
  }
  return true;
}

const char* fsync_policy_name(FsyncPolicy policy) {
  switch (policy) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kEverySec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "?";
}

// ---- ShardLog

ShardLog::ShardLog(AppendOnlyLog* owner, Shard* shard, std::unique_ptr<RecordLog> log)
    : owner_(owner), shard_(shard), log_(std::move(log)) {
  ASSERT(log_ != nullptr);
  appended_total_ = written_ = synced_ = log_->size_bytes();
  appended_.store(appended_total_, std::memory_order_release);
  durable_.store(appended_total_, std::memory_order_release);
  written_pub_.store(appended_total_, std::memory_order_release);
  last_sync_ns_ = owner_->runtime().monotonic_now();
}

ShardLog::~ShardLog() {
  ASSERT_MSG(parked_.empty(), "a reply still waits on a log that goes away");
}

void ShardLog::on_effects(const EffectBatch& batch) {
  // A transaction's empty part is logged too: recovery counts the parts it finds against
  // tx_parts (every shard the transaction touched, read-locked ones included), so a part left
  // out would drop the whole transaction at every restart.
  if ((batch.effects.empty() && batch.tx_id == 0) || owner_->refusing_writes()) return;
  const std::size_t header_at = RecordLog::begin_frame(&pending_);
  encode_batch(batch, &pending_);
  const std::size_t payload_bytes = pending_.size() - header_at - kRecordHeaderBytes;
  if (EDDY_UNLIKELY(payload_bytes > kAofRecordPayloadMaxBytes)) {
    pending_.resize(header_at);
    owner_->fail("a unit's effects (" + std::to_string(payload_bytes) +
                 " bytes) exceed the largest log record");
    release_waiters();
    return;
  }
  RecordLog::end_frame(&pending_, header_at);
  ++pending_records_;
  appended_total_ += pending_.size() - header_at;
  appended_.store(appended_total_, std::memory_order_release);
  if (oldest_unsynced_ns_.load(std::memory_order_relaxed) == 0) {
    oldest_unsynced_ns_.store(owner_->runtime().monotonic_now(), std::memory_order_release);
  }
  nudge();
}

void ShardLog::nudge() {
  if (flusher_ != nullptr && flusher_idle_) {
    flusher_idle_ = false;
    owner_->runtime().scheduler().wake(flusher_);
  }
}

void ShardLog::fail(const std::string& what) {
  // Redis's MISCONF text has strerror right after the colon; which call and file follow.
  owner_->fail(owner_->runtime().disk().last_error() + " (" + what + " " +
               owner_->file_of(shard_->id()) + ")");
  release_waiters();
}

void ShardLog::drop_unwritten() {
  ASSERT(owner_->refusing_writes());
  std::string().swap(pending_);
  pending_records_ = 0;
  release_waiters();
}

bool ShardLog::flush_once(bool force_sync) {
  bool did_io = false;
  Runtime& rt = owner_->runtime();
  if (!pending_.empty() && !owner_->refusing_writes()) {
    writing_.swap(pending_);
    const std::uint64_t records = pending_records_;
    pending_records_ = 0;
    const std::uint64_t end = appended_total_;
    const bool ok = log_->append_framed(writing_, records);
    if (writing_.capacity() > kBufferKeepBytes) {
      std::string().swap(writing_);
    } else {
      writing_.clear();
    }
    did_io = true;
    writes_.fetch_add(1, std::memory_order_relaxed);
    if (!ok) {
      fail("write to");
      return true;
    }
    written_ = end;
    written_pub_.store(end, std::memory_order_release);
  }
  const FsyncPolicy policy = owner_->fsync_policy();
  if (written_ > synced_ && !owner_->refusing_writes()) {
    const bool due = force_sync || policy == FsyncPolicy::kAlways ||
                     (policy == FsyncPolicy::kEverySec &&
                      rt.monotonic_now() - last_sync_ns_ >= kEverySecInterval);
    if (due) {
      const std::uint64_t end = written_;
      const bool ok = log_->sync();
      last_sync_ns_ = rt.monotonic_now();
      did_io = true;
      syncs_.fetch_add(1, std::memory_order_relaxed);
      if (!ok) {
        fail("fsync of");
        return true;
      }
      synced_ = end;
      publish_durable(end);
    }
  }
  return did_io;
}

void ShardLog::publish_durable(std::uint64_t position) {
  ASSERT_LE(position, appended_total_);
  durable_.store(position, std::memory_order_release);
  oldest_unsynced_ns_.store(position == appended_total_ ? 0 : owner_->runtime().monotonic_now(),
                            std::memory_order_release);
  release_waiters();
}

bool ShardLog::admit(Wait* wait) {
  if (owner_->refusing_writes()) {
    wait->ok = false;
    return true;
  }
  if (released_position() >= wait->threshold) return true;
  ASSERT_LE(wait->threshold, appended_total_);
  parked_.push_back(wait);
  nudge();
  return false;
}

std::uint64_t ShardLog::released_position() const {
  // What await_before_reply waits for under the policy now: under `no` eddy never syncs, so a
  // wait (a backlog bound, or one parked under another policy before CONFIG SET) ends once
  // the kernel has the bytes.
  return owner_->fsync_policy() == FsyncPolicy::kNo ? written_
                                                    : durable_.load(std::memory_order_relaxed);
}

void ShardLog::release_waiters() {
  if (parked_.empty()) return;
  const bool failed = owner_->refusing_writes();
  const std::uint64_t released = released_position();
  std::size_t kept = 0;
  // Collect first: send_home may run the origin's code at once (a wait from this core).
  std::vector<Wait*> ready;
  for (Wait* wait : parked_) {
    if (failed || released >= wait->threshold) {
      wait->ok = !failed;
      ready.push_back(wait);
    } else {
      parked_[kept++] = wait;
    }
  }
  parked_.resize(kept);
  for (Wait* wait : ready) owner_->runtime().send_home(wait);
}

void ShardLog::run_flusher() {
  Runtime& rt = owner_->runtime();
  fiber::Scheduler& scheduler = rt.scheduler();
  const std::uint32_t core = rt.current_core();
  flusher_ = scheduler.current();
  for (;;) {
    const bool stopping = rt.stopping();
    flush_once(stopping);
    // A failed log writes nothing more, so what was framed meanwhile would stay buffered and
    // the loop below would never go idle: drop it and sleep like an idle flusher.
    if (owner_->refusing_writes()) drop_unwritten();
    release_waiters();
    if (stopping && pending_.empty() && parked_.empty()) {
      // Sessions still finishing on any core may hop one more write to this shard: stay until
      // every core's ticker saw its sessions end.
      if (owner_->all_cores_quiet()) break;
      rt.sleep_for(kNanosPerMilli);
      continue;
    }
    if (pending_.empty() && !stopping) {
      flusher_idle_ = true;
      scheduler.suspend();
      flusher_idle_ = false;
    }
  }
  flusher_ = nullptr;
  owner_->flusher_ended(core);
}

// ---- AppendOnlyLog

AppendOnlyLog::AppendOnlyLog(Runtime* runtime, const CommandTable* commands,
                             std::vector<Shard*> shards)
    : runtime_(runtime), commands_(commands), shards_(std::move(shards)) {
  ASSERT(!shards_.empty());
  const std::uint32_t cores = runtime_->core_count();
  flushers_alive_ = std::make_unique<std::atomic<std::uint32_t>[]>(cores);
  for (std::uint32_t c = 0; c < cores; ++c) flushers_alive_[c].store(0);
}

AppendOnlyLog::~AppendOnlyLog() {
  for (std::size_t i = 0; i < logs_.size(); ++i)
    shards_[i]->writes().remove_observer(logs_[i].get());
}

std::string AppendOnlyLog::file_of(std::uint32_t shard) const {
  return options_.directory + "/" + options_.file_prefix + "." + std::to_string(shard) +
         std::string(kIncrementSuffix);
}

void AppendOnlyLog::fail(const std::string& reason) {
  int expected = 0;
  if (!fail_claim_.compare_exchange_strong(expected, 1)) return;
  failure_reason_ = reason;
  failed_.store(true, std::memory_order_release);
  runtime_->log("append-only log failed, refusing writes until restarted: " + reason);
}

std::string AppendOnlyLog::misconf_error() const {
  // Redis's text (strerror of the failing call); eddy appends which call and file.
  ASSERT(refusing_writes());
  return "MISCONF Errors writing to the AOF file: " + failure_reason_;
}

std::uint64_t AppendOnlyLog::log_bytes() const {
  std::uint64_t total = 0;
  for (const auto& log : logs_) total += log->appended_bytes();
  return total;
}

std::uint64_t AppendOnlyLog::syncs() const {
  std::uint64_t total = 0;
  for (const auto& log : logs_) total += log->syncs();
  return total;
}

bool AppendOnlyLog::open(const AofOptions& options, RecoveryReport* report, std::string* error) {
  ASSERT_MSG(!enabled_, "the append-only log is opened once");
  options_ = options;
  report_ = RecoveryReport{};
  Disk& disk = runtime_->disk();
  const auto shard_count = static_cast<std::uint32_t>(shards_.size());
  if (!disk.make_directory(options_.directory)) {
    *error =
        "Can't open the append-only directory " + options_.directory + ": " + disk.last_error();
    return false;
  }
  // A log of a shard this server does not have: written with more shards. Refuse rather than
  // drop its keys (keys map to shards by slot; a different count moves them).
  const std::string prefix = options_.file_prefix + ".";
  for (const std::string& name : disk.list(options_.directory)) {
    if (!starts_with(name, prefix) || !ends_with(name, kIncrementSuffix)) continue;
    const std::string_view middle = std::string_view(name).substr(
        prefix.size(), name.size() - prefix.size() - kIncrementSuffix.size());
    std::uint64_t index = 0;
    bool digits = !middle.empty() && middle.size() <= 6;
    for (char c : middle) {
      digits = digits && c >= '0' && c <= '9';
      index = index * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (digits && index >= shard_count) {
      *error = "the append-only log " + options_.directory + "/" + name + " belongs to shard " +
               std::string(middle) + ", but this server runs " + std::to_string(shard_count) +
               " shards (start it with the --shards it was written with)";
      return false;
    }
  }

  const RecoveryOptions recovery{options_.load_truncated, options_.load_damaged_prefix,
                                 kAofRecordPayloadMaxBytes};
  struct TxSeen {
    std::uint32_t parts = 0;
    std::vector<std::uint32_t> shards;
  };
  std::map<std::uint64_t, TxSeen> transactions;
  std::vector<std::unique_ptr<RecordLog>> files;
  DecodedBatch decoded;
  std::string decode_error;

  // Pass 1: headers, the shape of every record, and which shards hold each transaction.
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    const std::string path = file_of(s);
    std::uint64_t index = 0;
    std::string problem;
    auto log = RecordLog::open(
        disk, path,
        [&](std::string_view payload) {
          const std::uint64_t at = index++;
          if (!problem.empty()) return;
          if (at == 0) {
            LogHeader header;
            if (!decode_header(payload, &header, &decode_error)) {
              problem = decode_error;
            } else if (header.shard != s || header.shard_count != shard_count) {
              problem = "written for shard " + std::to_string(header.shard) + " of " +
                        std::to_string(header.shard_count) + ", but this server runs " +
                        std::to_string(shard_count) + " shards";
            }
            return;
          }
          if (!decode_batch(payload, &decoded, &decode_error)) {
            problem = "record " + std::to_string(at) + ": " + decode_error;
            return;
          }
          if (decoded.shard != s) {
            problem = "record " + std::to_string(at) + " is shard " +
                      std::to_string(decoded.shard) + "'s";
            return;
          }
          if (decoded.tx_id == 0) return;
          report_.max_tx_id = std::max(report_.max_tx_id, decoded.tx_id);
          TxSeen& seen = transactions[decoded.tx_id];
          if (seen.parts == 0) seen.parts = decoded.tx_parts;
          if (seen.parts != decoded.tx_parts) {
            problem = "record " + std::to_string(at) + ": transaction " +
                      std::to_string(decoded.tx_id) + " with two part counts";
            return;
          }
          if (std::find(seen.shards.begin(), seen.shards.end(), s) == seen.shards.end()) {
            seen.shards.push_back(s);
          }
        },
        error, recovery);
    if (log == nullptr) return false;
    if (!problem.empty()) {
      // It passed its checksum yet does not decode: not a torn write. Refuse, naming it.
      *error = "Bad record in " + path + ": " + problem;
      return false;
    }
    if (log->discarded_bytes() > 0) {
      (log->cut_damage() ? report_.damaged_bytes : report_.torn_bytes) += log->discarded_bytes();
      runtime_->log(std::string(log->cut_damage() ? "damaged" : "torn") + " end of " + path + ": " +
                    std::to_string(log->discarded_bytes()) + " bytes cut off at offset " +
                    std::to_string(log->size_bytes()));
    }
    if (index == 0) {
      // A new log: its header first, durable before anything is written after it.
      std::string header;
      const std::size_t at = RecordLog::begin_frame(&header);
      encode_header(LogHeader{s, shard_count}, &header);
      RecordLog::end_frame(&header, at);
      if (!log->append_framed(header, 1) || !log->sync()) {
        *error = "write " + path + ": " + disk.last_error();
        return false;
      }
    }
    files.push_back(std::move(log));
  }

  std::set<std::uint64_t> incomplete;
  for (const auto& [id, seen] : transactions) {
    if (seen.shards.size() != seen.parts) incomplete.insert(id);
  }
  report_.transactions_dropped = incomplete.size();

  // Pass 2: apply, skipping the parts of transactions that are not whole.
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    std::uint64_t index = 0;
    std::string problem;
    const bool intact = files[s]->read_records([&](std::string_view payload) {
      if (index++ == 0 || !problem.empty()) return;
      if (!decode_batch(payload, &decoded, &decode_error)) {
        problem = decode_error;
        return;
      }
      if (decoded.tx_id != 0 && incomplete.count(decoded.tx_id) != 0) {
        ++report_.batches_dropped;
        return;
      }
      std::string replay_error;
      if (!replay_effects(*commands_, *shards_[s], decoded.view(), &replay_error)) {
        problem = "record " + std::to_string(index - 1) + ": " + replay_error;
        return;
      }
      ++report_.batches_applied;
    });
    if (!intact || !problem.empty()) {
      *error = "Bad record in " + file_of(s) + " on replay: " + (intact ? problem : "read failed");
      return false;
    }
  }

  for (std::uint32_t s = 0; s < shard_count; ++s) {
    report_.log_bytes += files[s]->size_bytes();
    logs_.push_back(std::make_unique<ShardLog>(this, shards_[s], std::move(files[s])));
    shards_[s]->writes().add_observer(logs_.back().get());
  }
  set_fsync_policy(options_.fsync);
  enabled_ = true;
  if (report != nullptr) *report = report_;
  return true;
}

void AppendOnlyLog::start_core(std::uint32_t core) {
  if (!enabled_) return;
  ASSERT_EQ(core, runtime_->current_core());
  std::vector<ShardLog*> here;
  for (const auto& log : logs_) {
    if (log->home_core() == core) here.push_back(log.get());
  }
  flushers_alive_[core].fetch_add(static_cast<std::uint32_t>(here.size()));
  for (ShardLog* log : here) {
    runtime_->scheduler().spawn("aof-flush", [log] { log->run_flusher(); });
  }
  // Wakes idle flushers so that an everysec sync comes due without a new write. At shutdown
  // (on every core, with shards or not) it waits until only the flushers and itself are left
  // on its core, then counts the core quiet: no session of it can write any more. Flushers
  // end only when every core is quiet.
  runtime_->scheduler().spawn("aof-tick", [this, here, core] {
    while (!runtime_->stopping()) {
      runtime_->sleep_for(kTickInterval);
      for (ShardLog* log : here) log->nudge();
    }
    while (runtime_->scheduler().live_count() > flushers_on(core) + 1) {
      runtime_->sleep_for(kNanosPerMilli);
    }
    quiet_cores_.fetch_add(1, std::memory_order_acq_rel);
    for (ShardLog* log : here) log->nudge();
  });
}

bool AppendOnlyLog::await_before_reply(bool batch_wrote) {
  if (!enabled_) return true;
  const FsyncPolicy policy = fsync_policy();
  if (!batch_wrote && (policy != FsyncPolicy::kAlways || refusing_writes())) return true;
  if (refusing_writes()) return false;
  const Nanos now = runtime_->monotonic_now();
  auto behind = [&](const ShardLog& log, std::uint64_t appended) {
    switch (policy) {
      case FsyncPolicy::kAlways:
        return appended > log.durable_bytes();
      case FsyncPolicy::kEverySec: {
        const Nanos oldest = log.oldest_unsynced_ns();
        return appended - std::min(appended, log.durable_bytes()) > kUnsyncedBytesMax ||
               (oldest != 0 && now - oldest > kUnsyncedAgeMax);
      }
      case FsyncPolicy::kNo:
        return appended - std::min(appended, log.written_bytes()) > kUnsyncedBytesMax;
    }
    return false;
  };
  std::size_t first_behind = logs_.size();
  for (std::size_t i = 0; i < logs_.size(); ++i) {
    if (behind(*logs_[i], logs_[i]->appended_bytes())) {
      first_behind = i;
      break;
    }
  }
  if (first_behind == logs_.size()) return true;

  const std::uint32_t here = runtime_->current_core();
  fiber::WaitGroup group(&runtime_->scheduler());
  std::vector<ShardLog::Wait> waits(logs_.size());
  for (std::size_t i = first_behind; i < logs_.size(); ++i) {
    ShardLog& log = *logs_[i];
    const std::uint64_t appended = log.appended_bytes();
    if (!behind(log, appended)) continue;
    ShardLog::Wait& wait = waits[i];
    wait.log = &log;
    // Under everysec a backlog wait is for everything appended: the next sync.
    wait.threshold = appended;
    wait.group = &group;
    wait.origin_core = here;
    wait.target_core = log.home_core();
    group.add(1);
    if (wait.target_core == here) {
      if (wait.run_at_target()) group.done();
    } else {
      runtime_->post(&wait);
    }
  }
  group.wait();
  for (const ShardLog::Wait& wait : waits) {
    if (!wait.ok) return !batch_wrote;
  }
  return !batch_wrote || !refusing_writes();
}

}  // namespace eddy::storage

#include "engine/storage/snapshotter.h"

#include <xxhash.h>

#include <charconv>

#include "engine/base/assert.h"
#include "engine/kv/rdb_serializer.h"
#include "engine/rng.h"
#include "engine/storage/shard_snapshot.h"
#include "engine/storage/snapshot_format.h"
#include "engine/tx/coordinator.h"

namespace eddy::storage {

namespace {

// The largest manifest read (a line per shard).
constexpr std::size_t kManifestBytesMax = 1u << 20;
// Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed snapshot, save rules wait this long.
constexpr std::int64_t kRetryDelaySeconds = 5;

bool parse_i64(std::string_view text, std::int64_t* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Reads `bytes` at `offset` of `file` fully; false on an error or a short file.
bool read_fully(Disk& disk, Disk::FileId file, std::uint64_t offset, std::span<char> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::int64_t n = disk.read_at(file, offset + done, bytes.subspan(done));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Loads one shard file. *error names the file and offset.
bool load_shard_file(Disk& disk, const ManifestFile& listed, std::uint32_t shard_index,
                     std::uint32_t shard_count, std::uint64_t generation, Shard& shard,
                     FunctionRef<std::uint32_t(std::string_view)> shard_of, std::int64_t now_ms,
                     Rng& rng, SnapshotLoadReport* report, std::string* error) {
  const std::string& path = listed.name;
  std::string open_error;
  const Disk::FileId file = disk.open(path, false, &open_error);
  if (file < 0) {
    *error = "cannot open the snapshot file " + path + " named by the manifest";
    return false;
  }
  struct Closer {
    Disk& disk;
    Disk::FileId file;
    ~Closer() { disk.close(file); }
  } closer{disk, file};
  const std::int64_t size = disk.size(file);
  if (size < 0 || static_cast<std::uint64_t>(size) != listed.bytes) {
    *error = "the snapshot file " + path + " has " + std::to_string(size) +
             " bytes where the manifest says " + std::to_string(listed.bytes) +
             " (torn or replaced)";
    return false;
  }
  XXH3_state_t* hash = XXH3_createState();
  ASSERT(hash != nullptr);
  XXH3_64bits_reset(hash);
  struct HashFree {
    XXH3_state_t* state;
    ~HashFree() { XXH3_freeState(state); }
  } hash_free{hash};

  std::uint64_t offset = 0;
  std::string header_bytes(kSnapshotBlockHeaderBytes, '\0');
  std::string stored;
  std::string raw;
  std::uint64_t blocks = 0;
  std::uint64_t entries = 0;
  bool saw_header = false;
  bool saw_end = false;
  auto damage = [&](std::uint64_t at, const std::string& what) {
    *error = "Bad snapshot block (" + what + ") in " + path + " at offset " + std::to_string(at);
    return false;
  };
  while (offset < listed.bytes) {
    const std::uint64_t block_at = offset;
    if (saw_end) return damage(block_at, "data after the end block");
    if (listed.bytes - offset < kSnapshotBlockHeaderBytes ||
        !read_fully(disk, file, offset, header_bytes)) {
      return damage(block_at, "incomplete block header");
    }
    BlockHeader header;
    std::string why;
    if (!parse_block_header(header_bytes, &header, &why)) return damage(block_at, why);
    offset += kSnapshotBlockHeaderBytes;
    if (listed.bytes - offset < header.stored_bytes) return damage(block_at, "incomplete block");
    stored.resize(header.stored_bytes);
    if (!read_fully(disk, file, offset, stored)) return damage(block_at, "read error");
    offset += header.stored_bytes;
    XXH3_64bits_update(hash, header_bytes.data(), header_bytes.size());
    XXH3_64bits_update(hash, stored.data(), stored.size());
    if (!open_block(header_bytes, header, stored, &raw, &why)) return damage(block_at, why);
    if (!saw_header) {
      SnapshotHeader decoded;
      if (header.kind != BlockKind::kHeader || !decode_header(raw, &decoded, &why)) {
        return damage(block_at, why.empty() ? "no header block" : why);
      }
      if (decoded.shard != shard_index || decoded.shard_count != shard_count ||
          decoded.generation != generation) {
        return damage(block_at, "the header names shard " + std::to_string(decoded.shard) + " of " +
                                    std::to_string(decoded.shard_count) + ", generation " +
                                    std::to_string(decoded.generation));
      }
      saw_header = true;
      continue;
    }
    if (header.kind == BlockKind::kEnd) {
      std::uint64_t end_entries = 0, end_blocks = 0;
      if (!decode_end(raw, &end_entries, &end_blocks, &why)) return damage(block_at, why);
      if (end_entries != entries || end_blocks != blocks) {
        return damage(block_at, "the end block counts " + std::to_string(end_entries) +
                                    " entries, the file holds " + std::to_string(entries));
      }
      saw_end = true;
      continue;
    }
    if (header.kind != BlockKind::kEntries) return damage(block_at, "a second header block");
    ++blocks;
    // One unit per block: the keys of a block become the shard's in one write-path unit.
    bool ok = true;
    shard.writes().run_unit(now_ms, 0, 1, [&] {
      std::size_t pos = 0;
      DecodedEntry entry;
      while (pos < raw.size()) {
        if (!decode_entry(raw, &pos, &entry, &why)) {
          ok = false;
          return;
        }
        ++entries;
        if (shard_of(entry.key) != shard_index) {
          why = "a key of another shard";
          ok = false;
          return;
        }
        kv::Value value;
        if (!kv::rdb::payload_footer_valid(entry.payload) ||
            !kv::rdb::load_payload(entry.payload, shard.encoding_limits(), rng, &value)) {
          why = "a value that does not decode";
          ok = false;
          return;
        }
        if (entry.deadline_ms != 0 && entry.deadline_ms < now_ms) {
          ++report->keys_expired;
          continue;
        }
        Db& db = shard.db(entry.db);
        auto [slot, inserted] = db.find_or_insert(entry.key, now_ms);
        if (!inserted) {
          why = "a key twice";
          ok = false;
          return;
        }
        db.update(slot, [&](kv::Value& v) { v = std::move(value); });
        (void)db.set_expire(slot, entry.deadline_ms);
        ++report->keys_loaded;
      }
    });
    if (!ok) return damage(block_at, why);
  }
  if (!saw_end) return damage(offset, "no end block");
  if (XXH3_64bits_digest(hash) != listed.hash) {
    *error = "the snapshot file " + path + " does not match the manifest's hash";
    return false;
  }
  report->bytes += listed.bytes;
  return true;
}

}  // namespace

bool parse_save_rules(std::string_view text, std::vector<SaveRule>* out) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    if (at >= text.size()) break;
    const std::size_t end = std::min(text.find(' ', at), text.size());
    words.push_back(text.substr(at, end - at));
    at = end;
  }
  // Redis: `save ""` clears the rules; pairs otherwise.
  if (words.size() == 1 && (words[0] == "\"\"" || words[0].empty())) words.clear();
  if (words.size() % 2 != 0) return false;
  std::vector<SaveRule> rules;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    SaveRule rule;
    if (!parse_i64(words[i], &rule.seconds) || !parse_i64(words[i + 1], &rule.changes) ||
        rule.seconds < 1 || rule.changes < 0) {
      return false;
    }
    rules.push_back(rule);
  }
  *out = std::move(rules);
  return true;
}

bool load_snapshot(Disk& disk, const std::string& manifest_path, const std::vector<Shard*>& shards,
                   FunctionRef<std::uint32_t(std::string_view key)> shard_of, std::int64_t now_ms,
                   std::uint64_t rng_seed, SnapshotLoadReport* report, std::string* error) {
  std::string text;
  std::string reason;
  const Disk::ReadStatus status = disk.read_file(manifest_path, kManifestBytesMax, &text, &reason);
  if (status == Disk::ReadStatus::kMissing) return true;
  if (status == Disk::ReadStatus::kFailed) {
    *error = "cannot read the snapshot manifest " + manifest_path + ": " + reason;
    return false;
  }
  report->found = true;
  Manifest manifest;
  if (!decode_manifest(text, &manifest, &reason)) {
    *error = reason + " in " + manifest_path;
    return false;
  }
  if (manifest.files.size() != shards.size()) {
    *error = "the snapshot " + manifest_path + " has " + std::to_string(manifest.files.size()) +
             " shards and this server " + std::to_string(shards.size()) +
             " (--shards must stay what the snapshot was written with)";
    return false;
  }
  report->generation = manifest.generation;
  Rng rng(rng_seed);
  for (std::uint32_t s = 0; s < shards.size(); ++s) {
    if (!load_shard_file(disk, manifest.files[s], s, static_cast<std::uint32_t>(shards.size()),
                         manifest.generation, *shards[s], shard_of, now_ms, rng, report, error)) {
      return false;
    }
  }
  return true;
}

struct Snapshotter::Job {
  std::uint64_t generation = 0;
  std::int64_t saved_unix_ms = 0;
  std::vector<std::unique_ptr<ShardSnapshot>> shards;
  std::vector<std::uint64_t> modifications;  // per shard, at the cut
  std::atomic<std::uint32_t> finished{0};
  std::vector<std::uint8_t> ok;  // per shard, written by its home core before `finished`
  std::string error;
  // The manifest on disk names this job's files although commit failed (the rename happened,
  // the directory sync after it did not): the files must stay.
  bool named_by_manifest = false;
};

Snapshotter::Snapshotter(Runtime* runtime, std::vector<Shard*> shards, std::string dbfilename)
    : runtime_(runtime), shards_(std::move(shards)), dbfilename_(std::move(dbfilename)) {
  last_save_unix_s_.store(runtime_->unix_now_ms() / 1000, std::memory_order_relaxed);
}

Snapshotter::~Snapshotter() {
  ASSERT_MSG(!in_progress(), "the snapshotter outlived by its snapshot");
}

std::string Snapshotter::shard_file(std::uint64_t generation, std::uint32_t shard) const {
  return dbfilename_ + "." + std::to_string(generation) + "." + std::to_string(shard) + ".snap";
}

bool Snapshotter::load(FunctionRef<std::uint32_t(std::string_view)> shard_of,
                       SnapshotLoadReport* report, std::string* error) {
  const bool ok = load_snapshot(runtime_->disk(), dbfilename_, shards_, shard_of,
                                runtime_->unix_now_ms(), runtime_->hash_seed(), report, error);
  if (ok) {
    load_report_ = *report;
    std::uint64_t modifications = 0;
    for (Shard* shard : shards_) modifications += shard->writes().modifications();
    // The keys just loaded are saved already.
    modifications_saved_.store(modifications, std::memory_order_relaxed);
  }
  return ok;
}

void Snapshotter::remove_other_generations(std::uint64_t keep) {
  Disk& disk = runtime_->disk();
  const std::string prefix = dbfilename_ + ".";
  for (const std::string& name : disk.list("")) {
    if (name.size() <= prefix.size() + 5 || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - 5, 5, ".snap") != 0) {
      continue;
    }
    const std::string_view rest(name.data() + prefix.size(), name.size() - prefix.size() - 5);
    const std::size_t dot = rest.find('.');
    std::int64_t generation = 0;
    if (dot == std::string_view::npos || !parse_i64(rest.substr(0, dot), &generation)) continue;
    if (static_cast<std::uint64_t>(generation) != keep) disk.remove(name);
  }
}

bool Snapshotter::commit(Job& job, std::string* error) {
  Manifest manifest;
  manifest.generation = job.generation;
  manifest.saved_unix_ms = job.saved_unix_ms;
  for (std::uint32_t s = 0; s < job.shards.size(); ++s) {
    manifest.files.push_back(
        {job.shards[s]->path(), job.shards[s]->file_bytes(), job.shards[s]->file_hash()});
  }
  std::string reason;
  if (!runtime_->disk().replace_file(dbfilename_, encode_manifest(manifest), &reason)) {
    *error = "cannot replace " + dbfilename_ + ": " + reason;
    // replace_file fails after its rename too (the directory's sync): then the manifest in
    // place names these files, and removing them would leave it naming nothing. Read it back.
    std::string text;
    std::string read_reason;
    Manifest on_disk;
    std::string decode_reason;
    if (runtime_->disk().read_file(dbfilename_, kManifestBytesMax, &text, &read_reason) ==
            Disk::ReadStatus::kRead &&
        decode_manifest(text, &on_disk, &decode_reason) && on_disk.generation == job.generation) {
      job.named_by_manifest = true;
      *error += " (the new snapshot is in place, but its directory entry may not be durable)";
    }
    return false;
  }
  remove_other_generations(job.generation);
  return true;
}

void Snapshotter::finish(Job& job, bool ok) {
  const std::int64_t now_ms = runtime_->unix_now_ms();
  if (ok) {
    std::uint64_t modifications = 0;
    std::uint64_t entries = 0;
    std::uint64_t by_hook = 0;
    for (std::size_t s = 0; s < job.shards.size(); ++s) {
      modifications += job.modifications[s];
      entries += job.shards[s]->entries();
      by_hook += job.shards[s]->entries_by_hook();
    }
    modifications_saved_.store(modifications, std::memory_order_relaxed);
    last_entries_.store(entries, std::memory_order_relaxed);
    last_entries_by_hook_.store(by_hook, std::memory_order_relaxed);
    last_save_unix_s_.store(job.saved_unix_ms / 1000, std::memory_order_relaxed);
    saves_.fetch_add(1, std::memory_order_relaxed);
  } else {
    // The files of a snapshot that failed are not named by any manifest: remove them.
    if (!job.named_by_manifest) {
      for (auto& shard : job.shards) runtime_->disk().remove(shard->path());
    }
    runtime_->log("snapshot failed: " + job.error);
  }
  last_ok_.store(ok, std::memory_order_relaxed);
  last_duration_s_.store((now_ms - job.saved_unix_ms) / 1000, std::memory_order_relaxed);
  in_progress_.store(false, std::memory_order_release);
}

std::int64_t Snapshotter::current_duration_s() const {
  if (!in_progress()) return -1;
  return (runtime_->unix_now_ms() - current_started_ms_.load(std::memory_order_relaxed)) / 1000;
}

std::uint64_t Snapshotter::claim_generation() {
  // Above every generation on disk, so the files of the snapshot the manifest names (and any
  // leftover) are never overwritten.
  std::uint64_t generation = next_generation_;
  const std::string prefix = dbfilename_ + ".";
  for (const std::string& name : runtime_->disk().list("")) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::uint64_t g = 0;
    const char* begin = name.data() + prefix.size();
    const auto [end, ec] = std::from_chars(begin, name.data() + name.size(), g);
    if (ec == std::errc() && end != begin && g >= generation) generation = g + 1;
  }
  next_generation_ = generation + 1;
  return generation;
}

Snapshotter::Start Snapshotter::start(Coordinator& coordinator, bool wait, std::string* error) {
  bool expected = false;
  if (!in_progress_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    return Start::kAlreadyRunning;
  }
  auto job = std::make_shared<Job>();
  const std::uint64_t generation = claim_generation();
  job->generation = generation;
  job->saved_unix_ms = runtime_->unix_now_ms();
  current_started_ms_.store(job->saved_unix_ms, std::memory_order_relaxed);
  last_attempt_unix_s_.store(job->saved_unix_ms / 1000, std::memory_order_relaxed);
  const auto shard_count = static_cast<std::uint32_t>(shards_.size());
  job->modifications.assign(shard_count, 0);
  job->ok.assign(shard_count, 0);
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    job->shards.push_back(std::make_unique<ShardSnapshot>(
        shards_[s], &runtime_->disk(), shard_file(generation, s),
        SnapshotHeader{s, shard_count, generation, job->saved_unix_ms}));
  }
  // The files first, outside the cut: creating one syncs its directory.
  std::vector<std::string> begin_errors(shard_count);
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    if (!job->shards[s]->open_file(&begin_errors[s])) {
      job->error = begin_errors[s];
      for (std::uint32_t t = 0; t < s; ++t) job->shards[t]->abort();
      *error = job->error;
      finish(*job, false);
      return Start::kFailed;
    }
  }
  // The cut: every shard held whole at once, so no cross-shard transaction is half-way.
  coordinator.lock_keyspace();
  coordinator.run_on_all([&](Shard& shard) {
    const std::uint32_t s = shard.id();
    job->modifications[s] = shard.writes().modifications();
    if (!job->shards[s]->begin(&begin_errors[s])) job->ok[s] = 2;
  });
  coordinator.unlock_keyspace();
  bool begun = true;
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    if (job->ok[s] == 2) {
      begun = false;
      job->error = begin_errors[s];
    }
  }
  if (!begun) {
    coordinator.run_on_all([&](Shard& shard) { job->shards[shard.id()]->abort(); });
    *error = job->error;
    finish(*job, false);
    return Start::kFailed;
  }
  // Each shard serializes on its own core, yielding between steps.
  Runtime* runtime = runtime_;
  coordinator.run_on_all([&](Shard& shard) {
    Job* raw_job = job.get();
    const std::uint32_t s = shard.id();
    runtime->scheduler().spawn("snapshot-" + std::to_string(s), [raw_job, s, runtime] {
      ShardSnapshot& snapshot = *raw_job->shards[s];
      ShardSnapshot::Progress progress = ShardSnapshot::Progress::kMore;
      while (progress == ShardSnapshot::Progress::kMore) {
        if (runtime->stopping()) {
          snapshot.abort();
          progress = ShardSnapshot::Progress::kFailed;
          break;
        }
        progress = snapshot.step(kSnapshotStepEntries);
        if (progress == ShardSnapshot::Progress::kMore) runtime->scheduler().yield();
      }
      raw_job->ok[s] = progress == ShardSnapshot::Progress::kDone ? 1 : 0;
      // Last touch of the job from this core: the waiter owns it once all have finished.
      raw_job->finished.fetch_add(1, std::memory_order_acq_rel);
    });
  });
  auto complete = [this, job, shard_count]() -> bool {
    while (job->finished.load(std::memory_order_acquire) != shard_count) {
      runtime_->sleep_for(kNanosPerMilli);
    }
    bool ok = true;
    for (std::uint32_t s = 0; s < shard_count; ++s) {
      if (job->ok[s] != 1) {
        ok = false;
        if (job->error.empty()) job->error = job->shards[s]->error();
      }
    }
    if (ok) ok = commit(*job, &job->error);
    finish(*job, ok);
    return ok;
  };
  if (wait) {
    if (!complete()) {
      *error = job->error;
      return Start::kFailed;
    }
    return Start::kStarted;
  }
  runtime_->scheduler().spawn("snapshot-commit", [complete] { (void)complete(); });
  return Start::kStarted;
}

bool Snapshotter::save_blocking(std::string* error) {
  bool expected = false;
  if (!in_progress_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    *error = "a snapshot is already in progress";
    return false;
  }
  Job job;
  const std::uint64_t generation = claim_generation();
  job.generation = generation;
  job.saved_unix_ms = runtime_->unix_now_ms();
  current_started_ms_.store(job.saved_unix_ms, std::memory_order_relaxed);
  const auto shard_count = static_cast<std::uint32_t>(shards_.size());
  bool ok = true;
  for (std::uint32_t s = 0; s < shard_count && ok; ++s) {
    job.shards.push_back(std::make_unique<ShardSnapshot>(
        shards_[s], &runtime_->disk(), shard_file(generation, s),
        SnapshotHeader{s, shard_count, generation, job.saved_unix_ms}));
    job.modifications.push_back(shards_[s]->writes().modifications());
    ShardSnapshot& snapshot = *job.shards.back();
    if (!snapshot.begin(&job.error)) {
      ok = false;
      break;
    }
    ShardSnapshot::Progress progress = ShardSnapshot::Progress::kMore;
    while (progress == ShardSnapshot::Progress::kMore) progress = snapshot.step(1u << 20);
    if (progress != ShardSnapshot::Progress::kDone) {
      ok = false;
      job.error = snapshot.error();
    }
  }
  if (ok) ok = commit(job, &job.error);
  finish(job, ok);
  if (!ok) *error = job.error;
  return ok;
}

void Snapshotter::run_save_rules(Coordinator& coordinator, const std::vector<SaveRule>& rules,
                                 std::uint64_t modifications_now) {
  if (in_progress()) return;
  if (scheduled_.exchange(false, std::memory_order_relaxed)) {
    std::string error;
    (void)start(coordinator, false, &error);
    return;
  }
  if (rules.empty()) return;
  const std::int64_t now_s = runtime_->unix_now_ms() / 1000;
  const std::uint64_t saved = modifications_saved();
  const std::uint64_t changes = modifications_now > saved ? modifications_now - saved : 0;
  const bool retry_allowed =
      last_status_ok() ||
      now_s - last_attempt_unix_s_.load(std::memory_order_relaxed) > kRetryDelaySeconds;
  for (const SaveRule& rule : rules) {
    if (changes >= static_cast<std::uint64_t>(rule.changes) &&
        now_s - last_save_unix_s() > rule.seconds && retry_allowed) {
      runtime_->log(std::to_string(rule.changes) + " changes in " + std::to_string(rule.seconds) +
                    " seconds. Saving...");
      std::string error;
      (void)start(coordinator, false, &error);
      return;
    }
  }
}

}  // namespace eddy::storage

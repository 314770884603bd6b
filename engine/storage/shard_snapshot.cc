#include "engine/storage/shard_snapshot.h"

#include <xxhash.h>

#include "engine/base/assert.h"
#include "engine/kv/rdb_serializer.h"

namespace eddy::storage {

namespace {
// Sealed bytes gathered before step() writes them (a few blocks per disk call).
constexpr std::size_t kWriteThresholdBytes = 1u << 20;
}  // namespace

ShardSnapshot::ShardSnapshot(Shard* shard, Disk* disk, std::string path, SnapshotHeader header)
    : shard_(shard), disk_(disk), path_(std::move(path)), header_(header) {
  hash_state_ = XXH3_createState();
  ASSERT(hash_state_ != nullptr);
  XXH3_64bits_reset(hash_state_);
}

ShardSnapshot::~ShardSnapshot() {
  ASSERT_MSG(!attached_, "a shard snapshot destroyed while attached to its shard");
  if (file_ >= 0) disk_->close(file_);
  XXH3_freeState(hash_state_);
}

bool ShardSnapshot::begin(std::string* error) {
  ASSERT(!shard_->writes().in_unit());
  ASSERT_MSG(shard_->writes().snapshot_hook() == nullptr, "one snapshot at a time per shard");
  if (file_ < 0 && !open_file(error)) return false;
  for (std::size_t d = 0; d < shard_->db_count(); ++d) shard_->db(d).begin_snapshot();
  shard_->writes().set_snapshot_hook(this);
  attached_ = true;
  std::string raw;
  encode_header(header_, &raw);
  append_block(BlockKind::kHeader, raw, &out_);
  return true;
}

bool ShardSnapshot::open_file(std::string* error) {
  ASSERT(file_ < 0);
  std::string open_error;
  file_ = disk_->open(path_, true, &open_error);
  if (file_ < 0) {
    *error = "cannot open " + path_ + ": " + open_error;
    return false;
  }
  // A leftover of a snapshot that crashed may have this name: start from nothing.
  if (disk_->size(file_) != 0 && !disk_->truncate(file_, 0)) {
    *error = "cannot truncate " + path_ + ": " + disk_->last_error();
    disk_->close(file_);
    file_ = -1;
    return false;
  }
  return true;
}

void ShardSnapshot::serialize(int db, const kv::Entry& entry) {
  // After a failure nothing more is gathered; the next step reports it (not from here: this
  // may run inside the write hook, where the snapshot must not detach itself).
  if (!error_.empty()) return;
  payload_.clear();
  kv::rdb::dump_payload(entry.value, &payload_);
  // An entry goes whole into one block, and a block holds at most kSnapshotBlockRawMaxBytes
  // (the loader's bound too): a larger value (a list, hash, set or zset may exceed 1 GiB)
  // fails this snapshot with a clear error rather than writing a file that cannot load.
  const std::size_t entry_bytes = payload_.size() + entry.key.view().size() + 64;
  if (entry_bytes > kSnapshotBlockRawMaxBytes) {
    error_ = "the value of a key in db " + std::to_string(db) + " serializes to " +
             std::to_string(payload_.size()) + " bytes, more than a snapshot block holds (" +
             std::to_string(kSnapshotBlockRawMaxBytes) + ")";
    payload_.clear();
    payload_.shrink_to_fit();
    return;
  }
  if (raw_.size() + entry_bytes > kSnapshotBlockRawMaxBytes) seal_entries();
  append_entry(db, entry.key.view(), entry.expire_at_ms(), payload_, &raw_);
  ++entries_;
  if (raw_.size() >= kSnapshotBlockTargetBytes) seal_entries();
}

void ShardSnapshot::seal_entries() {
  if (raw_.empty()) return;
  append_block(BlockKind::kEntries, raw_, &out_);
  raw_.clear();
  ++blocks_;
}

void ShardSnapshot::before_key_change(int db, std::uint64_t hash) {
  ASSERT(attached_);
  entries_by_hook_ +=
      shard_->db(static_cast<std::size_t>(db))
          .snapshot_segment_of(hash, [&](const kv::Entry& entry) { serialize(db, entry); });
}

void ShardSnapshot::finish_db(int db) {
  const auto index = static_cast<std::size_t>(db);
  if (db_done_[index]) return;
  std::uint64_t cursor = index == db_ ? cursor_ : 0;
  while (cursor != kv::Table::kPositionEnd) {
    cursor = shard_->db(index).snapshot_step(cursor, kSnapshotBlockTargetBytes,
                                             [&](const kv::Entry& entry) { serialize(db, entry); });
  }
  db_done_[index] = true;
  if (index == db_) cursor_ = kv::Table::kPositionEnd;
}

void ShardSnapshot::before_db_change(int db) {
  ASSERT(attached_);
  finish_db(db);
}

bool ShardSnapshot::write_out() {
  while (!out_.empty()) {
    writing_.clear();
    writing_.swap(out_);
    // The hook may add to out_ while this fiber waits for the disk; the next round takes it.
    if (!disk_->append(file_, writing_)) {
      fail("cannot write " + path_ + ": " + disk_->last_error());
      return false;
    }
    XXH3_64bits_update(hash_state_, writing_.data(), writing_.size());
    file_bytes_ += writing_.size();
  }
  return true;
}

ShardSnapshot::Progress ShardSnapshot::step(std::size_t entries_max) {
  // A failure recorded by serialize (maybe inside the write hook): release everything here.
  if (!error_.empty()) {
    abort();
    return Progress::kFailed;
  }
  ASSERT(attached_);
  std::size_t visited = 0;
  while (error_.empty() && db_ < db_done_.size() && visited < entries_max) {
    if (db_done_[db_] || cursor_ == kv::Table::kPositionEnd) {
      db_done_[db_] = true;
      ++db_;
      cursor_ = 0;
      continue;
    }
    const int db = static_cast<int>(db_);
    const std::uint64_t before = entries_;
    cursor_ = shard_->db(db_).snapshot_step(cursor_, entries_max - visited,
                                            [&](const kv::Entry& entry) { serialize(db, entry); });
    visited += entries_ - before;
  }
  if (!error_.empty()) {
    abort();
    return Progress::kFailed;
  }
  const bool all_serialized = db_ >= db_done_.size();
  if (all_serialized) {
    // Every segment is serialized: the hook has nothing left to do, and merges may resume.
    detach();
    seal_entries();
    std::string raw;
    encode_end(entries_, blocks_, &raw);
    append_block(BlockKind::kEnd, raw, &out_);
  }
  if (out_.size() >= kWriteThresholdBytes || all_serialized) {
    if (!write_out()) return Progress::kFailed;
  }
  if (!all_serialized) return Progress::kMore;
  if (!disk_->sync(file_)) {
    fail("cannot sync " + path_ + ": " + disk_->last_error());
    return Progress::kFailed;
  }
  file_hash_ = XXH3_64bits_digest(hash_state_);
  disk_->close(file_);
  file_ = -1;
  return Progress::kDone;
}

void ShardSnapshot::detach() {
  if (!attached_) return;
  for (std::size_t d = 0; d < shard_->db_count(); ++d) shard_->db(d).end_snapshot();
  shard_->writes().set_snapshot_hook(nullptr);
  attached_ = false;
}

void ShardSnapshot::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  abort();
}

void ShardSnapshot::abort() {
  detach();
  raw_.clear();
  out_.clear();
  if (file_ >= 0) {
    disk_->close(file_);
    file_ = -1;
    disk_->remove(path_);
  }
  if (error_.empty()) error_ = "aborted";
}

}  // namespace eddy::storage

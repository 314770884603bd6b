#include "engine/raft/storage.h"

#include <deque>

#include "engine/base/assert.h"

namespace eddy::raft {

namespace {

void put_varint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads a varint at *pos within `bytes`; false when it runs off the end or past 64 bits.
bool get_varint(std::string_view bytes, std::size_t* pos, std::uint64_t* value) {
  std::uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= bytes.size()) return false;
    const auto byte = static_cast<unsigned char>(bytes[(*pos)++]);
    if (shift == 63 && byte > 1) return false;
    result |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

constexpr char kHardStateRecord = 'H';
constexpr char kEntryRecord = 'E';
constexpr char kTruncateRecord = 'T';
constexpr char kResetRecord = 'R';

std::string hard_state_record(const HardState& state) {
  std::string out(1, kHardStateRecord);
  put_varint(state.term, &out);
  put_varint(state.vote, &out);
  put_varint(state.commit, &out);
  return out;
}

std::string index_record(char kind, Index index) {
  std::string out(1, kind);
  put_varint(index, &out);
  return out;
}

std::string entry_record(const Entry& entry) {
  std::string out(1, kEntryRecord);
  encode_entry(entry, &out);
  return out;
}

// The log as replayed: entries from `first` on, contiguous.
struct ReplayedLog {
  HardState hard_state;
  Index first = 1;
  std::deque<Entry> entries;
  std::string error;

  Index last() const { return first + entries.size() - 1; }

  void on_record(std::string_view payload) {
    if (!error.empty()) return;
    if (payload.empty()) {
      error = "empty raft log record";
      return;
    }
    const std::string_view body = payload.substr(1);
    std::size_t pos = 0;
    switch (payload[0]) {
      case kHardStateRecord: {
        HardState state;
        if (!get_varint(body, &pos, &state.term) || !get_varint(body, &pos, &state.vote) ||
            !get_varint(body, &pos, &state.commit) || pos != body.size()) {
          error = "malformed hard state record";
          return;
        }
        if (state.term < hard_state.term) {
          error = "hard state term moved back";
          return;
        }
        hard_state = state;
        return;
      }
      case kEntryRecord: {
        Entry entry;
        if (!decode_entry(body, &entry)) {
          error = "malformed entry record";
          return;
        }
        if (entry.index != last() + 1) {
          error =
              "entry " + std::to_string(entry.index) + " does not follow " + std::to_string(last());
          return;
        }
        if (!entries.empty() && entry.term < entries.back().term) {
          error = "entry term moved back";
          return;
        }
        entries.push_back(std::move(entry));
        return;
      }
      case kTruncateRecord:
      case kResetRecord: {
        Index index = 0;
        if (!get_varint(body, &pos, &index) || pos != body.size()) {
          error = "malformed truncate/reset record";
          return;
        }
        if (payload[0] == kResetRecord) {
          entries.clear();
          first = index + 1;
          return;
        }
        if (index + 1 < first) {
          error = "truncation before the log's start";
          return;
        }
        while (!entries.empty() && entries.back().index > index) entries.pop_back();
        return;
      }
      default:
        error = "unknown raft log record";
        return;
    }
  }
};

}  // namespace

std::unique_ptr<Storage> Storage::open(Disk& disk, const std::string& directory, Restored* restored,
                                       std::string* error) {
  std::unique_ptr<Storage> storage(new Storage(disk, directory));
  if (!storage->recover(restored, error)) return nullptr;
  return storage;
}

Storage::~Storage() = default;

bool Storage::recover(Restored* restored, std::string* error) {
  *restored = Restored{};
  std::string bytes;
  std::string reason;
  switch (disk_->read_file(snapshot_path(), kSnapshotBytesMax + 64, &bytes, &reason)) {
    case Disk::ReadStatus::kMissing:
      break;
    case Disk::ReadStatus::kFailed:
      *error = snapshot_path() + ": " + reason;
      return false;
    case Disk::ReadStatus::kRead: {
      std::size_t pos = 4;
      if (bytes.size() < 4) {
        *error = snapshot_path() + ": too short";
        return false;
      }
      std::uint32_t checksum = 0;
      for (int i = 0; i < 4; ++i) {
        checksum |= std::uint32_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
      }
      const std::string_view rest = std::string_view(bytes).substr(4);
      if (checksum != storage::record_checksum(rest) ||
          !get_varint(bytes, &pos, &restored->snapshot.index) ||
          !get_varint(bytes, &pos, &restored->snapshot.term) || restored->snapshot.index == 0) {
        *error = snapshot_path() + ": damaged snapshot";
        return false;
      }
      restored->snapshot.data = bytes.substr(pos);
      break;
    }
  }
  ReplayedLog replayed;
  // A torn tail is what a crash leaves and is cut. Damage before good records is not: cutting
  // it would drop synced votes and acknowledged entries, and a node that forgot them could
  // vote twice in a term or undo part of a committed quorum. It stops the node instead.
  storage::RecoveryOptions recovery;
  recovery.truncate_torn_tail = true;
  recovery.truncate_damage = false;
  log_ = storage::RecordLog::open(
      *disk_, log_path(), [&](std::string_view payload) { replayed.on_record(payload); }, error,
      recovery);
  if (!log_) return false;
  if (!replayed.error.empty()) {
    *error = log_path() + ": " + replayed.error;
    return false;
  }
  const Snapshot& snapshot = restored->snapshot;
  if (!snapshot.empty()) {
    const bool covers_index = !replayed.entries.empty() && replayed.first <= snapshot.index &&
                              snapshot.index <= replayed.last();
    if (covers_index && replayed.entries[snapshot.index - replayed.first].term == snapshot.term) {
      // A compaction: the log agrees with the snapshot; keep what follows it.
      while (!replayed.entries.empty() && replayed.entries.front().index <= snapshot.index) {
        replayed.entries.pop_front();
      }
    } else if (replayed.entries.empty() || replayed.last() <= snapshot.index || covers_index) {
      // An install whose reset record did not survive, or a log the snapshot supersedes.
      // The file must say so too, or the entries appended next would follow stale ones.
      replayed.entries.clear();
      if (!log_->append(index_record(kResetRecord, snapshot.index)) || !log_->sync()) {
        *error = log_path() + ": cannot record the snapshot's reset";
        return false;
      }
    } else if (replayed.first != snapshot.index + 1) {
      *error = log_path() + ": a gap between the snapshot and the log";
      return false;
    }
  } else if (!replayed.entries.empty() && replayed.first != 1) {
    *error = log_path() + ": the log starts after 1 with no snapshot";
    return false;
  }
  restored->hard_state = replayed.hard_state;
  hard_state_ = replayed.hard_state;
  restored->entries.assign(replayed.entries.begin(), replayed.entries.end());
  last_index_ = restored->entries.empty() ? snapshot.index : restored->entries.back().index;
  // Entries go to the disk before the hard state that commits them, so this holds after any
  // crash; anything else is damage no prefix rule explains.
  if (std::max(restored->hard_state.commit, snapshot.index) > last_index_) {
    *error = log_path() + ": commit index beyond the log";
    return false;
  }
  return true;
}

bool Storage::write_snapshot(const Snapshot& snapshot, std::string* error) {
  std::string body;
  put_varint(snapshot.index, &body);
  put_varint(snapshot.term, &body);
  body += snapshot.data;
  std::string bytes(4, '\0');
  const std::uint32_t checksum = storage::record_checksum(body);
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((checksum >> (8 * i)) & 0xff);
  bytes += body;
  return disk_->replace_file(snapshot_path(), bytes, error);
}

bool Storage::save(const Ready& ready) {
  ASSERT(log_ != nullptr);
  std::string error;
  if (ready.compaction) {
    // A local compaction: the snapshot file first, then a smaller log.
    if (!write_snapshot(*ready.compaction, &error) || !rewrite_log(&error)) return false;
  }
  bool wrote = false;
  if (ready.hard_state &&
      (ready.hard_state->term != hard_state_.term || ready.hard_state->vote != hard_state_.vote)) {
    // A new term (or vote) goes down before any entry or snapshot of that term, so a crash
    // never leaves one whose term is ahead of the stored term. The commit index waits until
    // what it covers is stored.
    const HardState early{ready.hard_state->term, ready.hard_state->vote, hard_state_.commit};
    if (!log_->append(hard_state_record(early))) return false;
    hard_state_ = early;
    wrote = true;
  }
  if (ready.snapshot) {
    // The snapshot file is synced on its own (Disk::replace_file), so the term it may be
    // ahead of must be durable first: the one extra sync of an install.
    if (wrote && !log_->sync()) return false;
    if (!write_snapshot(*ready.snapshot, &error)) return false;
    if (!log_->append(index_record(kResetRecord, ready.snapshot->index))) return false;
    last_index_ = ready.snapshot->index;
    wrote = true;
  }
  if (!ready.entries.empty()) {
    const Index first = ready.entries.front().index;
    if (first <= last_index_) {
      if (!log_->append(index_record(kTruncateRecord, first - 1))) return false;
    }
    for (const Entry& entry : ready.entries) {
      if (!log_->append(entry_record(entry))) return false;
    }
    last_index_ = ready.entries.back().index;
    wrote = true;
  }
  // After the entries, so a surviving commit index never covers an entry that did not survive.
  if (ready.hard_state && *ready.hard_state != hard_state_) {
    if (!log_->append(hard_state_record(*ready.hard_state))) return false;
    hard_state_ = *ready.hard_state;
    wrote = true;
  }
  if (wrote) {
    if (!log_->sync()) return false;
    ++syncs_;
  }
  return true;
}

bool Storage::rewrite_log(std::string* error) {
  // Replay the current state (the snapshot file is already the new one), write it afresh.
  log_.reset();
  Restored live;
  if (!recover(&live, error)) return false;
  log_.reset();
  const std::string temporary = log_path() + ".rewrite";
  disk_->remove(temporary);
  {
    auto fresh = storage::RecordLog::open(
        *disk_, temporary, [](std::string_view) {}, error);
    if (!fresh) return false;
    if (!live.snapshot.empty() && !fresh->append(index_record(kResetRecord, live.snapshot.index))) {
      return false;
    }
    for (const Entry& entry : live.entries) {
      if (!fresh->append(entry_record(entry))) return false;
    }
    if (!fresh->append(hard_state_record(live.hard_state)) || !fresh->sync()) return false;
  }
  if (!disk_->rename(temporary, log_path())) return false;
  return recover(&live, error);
}

}  // namespace eddy::raft

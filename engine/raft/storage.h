#pragma once
// Durable Raft state on the runtime's Disk: the hard state and the log in a RecordLog of
// checksummed records (engine/storage/record_log.h), the latest snapshot in a file of its own
// replaced atomically. A crash keeps what was synced and a prefix of what was not, the last
// record possibly torn; recovery keeps the intact prefix, so the recovered state is always one
// the node could have been in after some Ready.
//
// Log records (the payload's first byte says which):
//   'H' hard state        varint term | varint vote | varint commit
//   'E' entry             encode_entry()
//   'T' truncate          varint index: every entry after `index` is gone (§5.3's deletion of
//                         a conflicting suffix, made durable before the entries replacing it)
//   'R' reset             varint index: an installed snapshot replaced the log; the next entry
//                         is index + 1
// Snapshot file: u32 checksum (record_checksum of the rest) | varint index | varint term |
// data. It is written (and synced, by Disk::replace_file) before any record that relies on
// it; recovery drops the log entries it covers and, when the log disagrees with it at its
// index, the whole log (a crash after an install but before its 'R' record reached the disk).
//
// Order within a Ready: a new term or vote before the entries (so no entry's term is ever
// ahead of the stored term), the commit index after them (so it never points past them).
//
// Group commit: save() writes a whole Ready with one sync of the log (a snapshot, rare, costs
// its own file sync first).

#include <cstdint>
#include <memory>
#include <string>

#include "engine/raft/raft.h"
#include "engine/runtime.h"
#include "engine/storage/record_log.h"

namespace eddy::raft {

class Storage {
 public:
  // Opens (creating when missing) the state under `directory` and recovers it into *restored.
  // nullptr with *error set on an I/O error or on records that contradict each other (an
  // entry that does not follow the log, a snapshot file that fails its checksum).
  static std::unique_ptr<Storage> open(Disk& disk, const std::string& directory, Restored* restored,
                                       std::string* error);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Persists what `ready` asks (the Ready contract in raft.h, step 1), durable when it returns
  // true. False on an I/O error: the node must stop (fail-stop), since what reached the disk
  // is unknown until a restart recovers it.
  bool save(const Ready& ready);

  // Syncs of the log so far (one per save() that wrote anything): the group-commit figure.
  std::uint64_t syncs() const { return syncs_; }
  // Bytes of the log file.
  std::uint64_t log_bytes() const { return log_ ? log_->size_bytes() : 0; }

 private:
  Storage(Disk& disk, std::string directory) : disk_(&disk), directory_(std::move(directory)) {}
  std::string log_path() const { return directory_ + "/log"; }
  std::string snapshot_path() const { return directory_ + "/snapshot"; }
  bool write_snapshot(const Snapshot& snapshot, std::string* error);
  // Replays the snapshot file and the log into *restored; opens log_.
  bool recover(Restored* restored, std::string* error);
  // After a compaction: rewrites the log as the hard state and the live entries only, in a
  // new file renamed over the old one, so the file does not grow forever.
  bool rewrite_log(std::string* error);

  Disk* disk_;
  std::string directory_;
  std::unique_ptr<storage::RecordLog> log_;
  Index last_index_ = 0;  // the last entry stored (or the snapshot's index)
  HardState hard_state_;  // the last one written
  std::uint64_t syncs_ = 0;
};

}  // namespace eddy::raft

#pragma once
// One shard's part of a snapshot: its keyspace, all 16 databases, serialized in steps into one
// file (engine/storage/snapshot_format.h) while the shard keeps serving.
//
// Point in time by Dragonfly's cut: begin() marks every table's segments pending and attaches
// itself as the shard's SnapshotHook (engine/write_path.h). From then on a segment is
// serialized exactly once, either by step() walking the tables in position order, or by the
// hook just before the first change to any key of it, which so records the segment's contents
// as they were at begin(). A FLUSHDB or SWAPDB serializes the rest of the databases it touches
// first. Nothing is copied up front and nothing is held beyond what waits to be written: the
// extra memory is the serialized bytes in flight, at most one segment per write meanwhile.
//
// Threading: everything runs on the shard's home core. The hook runs inside write-path units
// and never suspends: it only appends to the buffer. step() suspends its fiber during disk
// calls (the epoll runtime runs them on the core's I/O thread; outside a fiber they block,
// which is what the shutdown save and the tests do).

#include <array>
#include <cstdint>
#include <string>

#include "engine/limits.h"
#include "engine/runtime.h"
#include "engine/shard.h"
#include "engine/storage/snapshot_format.h"
#include "engine/write_path.h"

struct XXH3_state_s;

namespace eddy::storage {

class ShardSnapshot final : public SnapshotHook {
 public:
  ShardSnapshot(Shard* shard, Disk* disk, std::string path, SnapshotHeader header);
  ~ShardSnapshot() override;
  ShardSnapshot(const ShardSnapshot&) = delete;
  ShardSnapshot& operator=(const ShardSnapshot&) = delete;

  // Before the cut, from any fiber or thread: opens (creating, or truncating a leftover) the
  // file. Creating it syncs its directory, which is why it comes before the cut and not while
  // every shard is held. False with *error.
  bool open_file(std::string* error);
  // The cut, on the home core with no unit running: opens the file if open_file() has not,
  // marks every table and attaches the hook. False with *error when the file cannot be opened.
  bool begin(std::string* error);

  enum class Progress { kMore, kDone, kFailed };
  // Serializes about `entries_max` more entries and writes what is gathered once a block or
  // more is ready; at the end writes the end block and syncs the file. kFailed: a disk call
  // failed (error() says which); the file is removed and the hook detached.
  Progress step(std::size_t entries_max);
  // Gives up (shutdown): detaches, closes and removes the file.
  void abort();
  // The process died (tests of a crash on the simulator's disk, whose ids are gone): detaches
  // and forgets the file without a disk call.
  void abandon() {
    detach();
    file_ = -1;
  }

  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  // XXH3-64 of the whole file (valid after kDone).
  std::uint64_t file_hash() const { return file_hash_; }
  std::uint64_t entries() const { return entries_; }
  // Entries the hook serialized ahead of the walk (writes that met a pending segment).
  std::uint64_t entries_by_hook() const { return entries_by_hook_; }

  // SnapshotHook.
  void before_key_change(int db, std::uint64_t hash) override;
  void before_db_change(int db) override;

 private:
  void serialize(int db, const kv::Entry& entry);
  // Seals raw_ into out_ as one 'K' block.
  void seal_entries();
  // Writes out_ to the file. False on a disk error.
  bool write_out();
  void detach();
  void fail(std::string what);
  // Serializes everything left of `db` (before a whole-database change).
  void finish_db(int db);

  Shard* shard_;
  Disk* disk_;
  std::string path_;
  SnapshotHeader header_;
  Disk::FileId file_ = -1;
  bool attached_ = false;
  std::array<bool, limits::databases> db_done_{};
  std::size_t db_ = 0;
  std::uint64_t cursor_ = 0;
  std::string raw_;      // entries of the block being gathered
  std::string out_;      // sealed blocks not yet written
  std::string writing_;  // the bytes of the write under way
  std::string payload_;  // scratch: one value's DUMP payload
  std::uint64_t blocks_ = 0;
  std::uint64_t entries_ = 0;
  std::uint64_t entries_by_hook_ = 0;
  std::uint64_t file_bytes_ = 0;
  std::uint64_t file_hash_ = 0;
  XXH3_state_s* hash_state_ = nullptr;
  std::string error_;
};

}  // namespace eddy::storage

#pragma once
// An append-only log of checksummed records on the Disk interface: what a node writes so that
// acknowledged updates survive a crash. A crash keeps what was synced and, of what was not, a
// prefix of the appends, the last possibly torn (see sim/sim_disk.h). Recovery therefore reads
// records in order and stops at the first one that is incomplete or fails its checksum; that
// record and everything after it are discarded, and the file is truncated to the end of the
// last good record so new appends follow good data.
//
// Record format (little-endian):
//   u32 payload length | u32 checksum | payload
// where the checksum is the low 32 bits of XXH3_64bits over the length bytes followed by the
// payload. Covering the length means a damaged length is caught, not trusted. Each record
// goes to the disk in one append (header and payload together), so a crash can tear only the
// last record written, never leave a hole before good data.
//
// Durability: a record is durable once sync() returns true after its append. Records appended
// since the last successful sync may be lost, always from the tail.
//
// A failed append or sync leaves the log *broken*: every later append and sync returns false.
// After a write error the file may hold part of a record, and after a failed sync the kernel
// may have dropped the unsynced pages (a retried fsync can then "succeed" without writing
// them), so neither the file's contents nor the size we track can be trusted. The way back is
// to reopen: recovery finds the good prefix again.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/function_ref.h"
#include "engine/runtime.h"

namespace eddy::storage {

inline constexpr std::size_t kRecordHeaderBytes = 8;
// Larger payloads are refused by append() and, when found in a file, end recovery: a length
// beyond this is damage, and the bound keeps a damaged length from making recovery allocate
// gigabytes.
inline constexpr std::uint32_t kRecordPayloadMaxBytes = 16u << 20;

class RecordLog {
 public:
  // Opens the log at `path` (creating it when missing), passes every intact record to
  // `on_record` in order, then truncates and syncs away whatever follows the last intact one.
  // The payload view is valid only during the call. Returns nullptr with `error` set on an
  // I/O error (open, read, size, truncate or sync failing).
  static std::unique_ptr<RecordLog> open(Disk& disk, const std::string& path,
                                         FunctionRef<void(std::string_view payload)> on_record,
                                         std::string* error);
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;

  // Appends one record (not yet durable). False if the payload exceeds
  // kRecordPayloadMaxBytes (nothing written, the log stays usable), if the disk refuses the
  // write (the log becomes broken), or if the log is already broken.
  bool append(std::string_view payload);
  // Makes every record appended so far durable. False if the disk fails (the log becomes
  // broken) or the log is already broken.
  bool sync();

  // Bytes of the log: the recovered records plus those appended since.
  std::uint64_t size_bytes() const { return size_bytes_; }
  // Records in the log: recovered plus appended since.
  std::uint64_t records() const { return records_; }
  // Bytes recovery cut off the end of the file (a torn or damaged tail).
  std::uint64_t discarded_bytes() const { return discarded_bytes_; }
  bool broken() const { return broken_; }

 private:
  RecordLog(Disk& disk, Disk::FileId file) : disk_(&disk), file_(file) {}
  // Reads the records, reporting each; leaves size_bytes_ and records_ at the end of the last
  // good one. False on a read error.
  bool recover(FunctionRef<void(std::string_view payload)> on_record);

  Disk* disk_;
  Disk::FileId file_;
  std::uint64_t size_bytes_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t discarded_bytes_ = 0;
  bool broken_ = false;
};

// The checksum of a record with this payload (exposed for tests that build records by hand).
std::uint32_t record_checksum(std::string_view payload);

}  // namespace eddy::storage

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
// Damage in the middle: a record that is complete (its claimed length fits in the file) but
// fails its checksum, with non-zero bytes after it, is not a torn tail: something damaged data
// that was once synced. RecoveryOptions says what to do then: cut it off with the rest (the old
// behaviour, still the default for callers that do not ask), or refuse to open, naming the file
// and the offset, so that an operator decides. A bad record followed only by zero bytes counts
// as a torn tail (a file system may extend a file before the data reaches it).
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

struct RecoveryOptions {
  // An incomplete last record (a crash mid-append): cut off, or refuse to open.
  bool truncate_torn_tail = true;
  // A damaged record with data after it: cut off with everything after it, or refuse.
  bool truncate_damage = true;
  // Records longer than this end recovery as damage (at most kRecordPayloadLimitBytes).
  std::uint32_t payload_max_bytes = kRecordPayloadMaxBytes;
};

// The largest payload_max_bytes a caller may choose (a write-ahead log record holds a whole
// unit of effects, whose values may be up to proto-max-bulk-len each).
inline constexpr std::uint32_t kRecordPayloadLimitBytes = 1u << 30;

class RecordLog {
 public:
  // Opens the log at `path` (creating it when missing), passes every intact record to
  // `on_record` in order, then truncates and syncs away whatever follows the last intact one.
  // The payload view is valid only during the call. Returns nullptr with `error` set on an
  // I/O error (open, read, size, truncate or sync failing).
  static std::unique_ptr<RecordLog> open(Disk& disk, const std::string& path,
                                         FunctionRef<void(std::string_view payload)> on_record,
                                         std::string* error);
  // The same with explicit recovery options; a refusal's *error names the file and offset.
  static std::unique_ptr<RecordLog> open(Disk& disk, const std::string& path,
                                         FunctionRef<void(std::string_view payload)> on_record,
                                         std::string* error, const RecoveryOptions& options);
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

  // Framing in the caller's buffer, so that a writer can batch many records into one append:
  // begin_frame() reserves a header at the end of *out and returns where; the caller appends
  // the payload; end_frame() fills the header in. append_framed() then writes such bytes
  // (`records` records) in one disk append, with append()'s failure rules.
  static std::size_t begin_frame(std::string* out);
  static void end_frame(std::string* out, std::size_t header_at);
  bool append_framed(std::string_view bytes, std::uint64_t records);

  // Reads the records from the start of the file up to size_bytes() again (a second pass of
  // recovery). False on a read error or if the file no longer holds them intact.
  bool read_records(FunctionRef<void(std::string_view payload)> on_record);

  // Bytes of the log: the recovered records plus those appended since.
  std::uint64_t size_bytes() const { return size_bytes_; }
  // Records in the log: recovered plus appended since.
  std::uint64_t records() const { return records_; }
  // Bytes recovery cut off the end of the file (a torn or damaged tail).
  std::uint64_t discarded_bytes() const { return discarded_bytes_; }
  bool broken() const { return broken_; }
  // Whether the cut-off bytes were damage with data after it (not a torn tail), and where.
  bool cut_damage() const { return cut_damage_; }

 private:
  RecordLog(Disk& disk, Disk::FileId file) : disk_(&disk), file_(file) {}
  // Reads the records, reporting each; leaves size_bytes_ and records_ at the end of the last
  // good one. False on a read error.
  bool recover(FunctionRef<void(std::string_view payload)> on_record, std::uint64_t limit_bytes,
               std::uint32_t payload_max_bytes, std::uint64_t* damaged_at,
               std::uint64_t* damaged_end);
  // Whether every byte in [from, to) of the file is zero. False on a read error.
  bool zeros_only(std::uint64_t from, std::uint64_t to, bool* read_ok);

  Disk* disk_;
  Disk::FileId file_;
  std::uint64_t size_bytes_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t discarded_bytes_ = 0;
  bool broken_ = false;
  bool cut_damage_ = false;
  std::uint32_t payload_max_bytes_ = kRecordPayloadMaxBytes;
};

// The checksum of a record with this payload (exposed for tests that build records by hand).
std::uint32_t record_checksum(std::string_view payload);

}  // namespace eddy::storage

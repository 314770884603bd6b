#include "engine/storage/record_log.h"

#include <algorithm>
#include <span>

// For XXH3_state_t on the stack (streaming the checksum over header and payload without
// copying the payload next to the length).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "engine/base/assert.h"

namespace eddy::storage {

namespace {

// Recovery reads this much at a time (more when one record is larger).
constexpr std::size_t kReadChunkBytes = 64 * 1024;

void put_u32(char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

}  // namespace

std::uint32_t record_checksum(std::string_view payload) {
  ASSERT_LE(payload.size(), kRecordPayloadLimitBytes);
  char length[4];
  put_u32(length, static_cast<std::uint32_t>(payload.size()));
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, length, sizeof length);
  XXH3_64bits_update(&state, payload.data(), payload.size());
  return static_cast<std::uint32_t>(XXH3_64bits_digest(&state));
}

std::unique_ptr<RecordLog> RecordLog::open(Disk& disk, const std::string& path,
                                           FunctionRef<void(std::string_view payload)> on_record,
                                           std::string* error) {
  return open(disk, path, on_record, error, RecoveryOptions{});
}

std::unique_ptr<RecordLog> RecordLog::open(Disk& disk, const std::string& path,
                                           FunctionRef<void(std::string_view payload)> on_record,
                                           std::string* error, const RecoveryOptions& options) {
  ASSERT_LE(options.payload_max_bytes, kRecordPayloadLimitBytes);
  std::string open_error;
  const Disk::FileId file = disk.open(path, /*create=*/true, &open_error);
  if (file < 0) {
    if (error != nullptr) *error = "open " + path + ": " + open_error;
    return nullptr;
  }
  // From here the log owns the file: its destructor closes it on every return path.
  std::unique_ptr<RecordLog> log(new RecordLog(disk, file));
  log->payload_max_bytes_ = options.payload_max_bytes;
  std::uint64_t damaged_at = UINT64_MAX;
  std::uint64_t damaged_end = 0;
  if (!log->recover(on_record, UINT64_MAX, options.payload_max_bytes, &damaged_at, &damaged_end)) {
    if (error != nullptr) *error = "read " + path + " failed during recovery";
    return nullptr;
  }

  const std::int64_t file_size = disk.size(file);
  if (file_size < 0) {
    if (error != nullptr) *error = "size of " + path + " failed";
    return nullptr;
  }
  const auto size = static_cast<std::uint64_t>(file_size);
  ASSERT_LE(log->size_bytes_, size);
  log->discarded_bytes_ = size - log->size_bytes_;
  if (log->discarded_bytes_ > 0) {
    // A torn tail: the bad (or incomplete) record reaches the end of the file, or only zero
    // bytes follow it. Anything else is damage with data after it.
    bool torn = damaged_at == UINT64_MAX || damaged_end >= size;
    if (!torn) {
      bool read_ok = true;
      torn = log->zeros_only(damaged_end, size, &read_ok);
      if (!read_ok) {
        if (error != nullptr) *error = "read " + path + " failed during recovery";
        return nullptr;
      }
    }
    log->cut_damage_ = !torn;
    const bool allowed = torn ? options.truncate_torn_tail : options.truncate_damage;
    if (!allowed) {
      if (error != nullptr) {
        *error = std::string(torn ? "Unexpected end of file" : "Bad record (checksum mismatch)") +
                 " in " + path + " at offset " + std::to_string(log->size_bytes_) + " (" +
                 std::to_string(log->discarded_bytes_) + " bytes from there to the end of " +
                 std::to_string(size) + ")";
      }
      return nullptr;
    }
    if (!disk.truncate(file, log->size_bytes_)) {
      if (error != nullptr) *error = "truncate " + path + " failed";
      return nullptr;
    }
  }
  // Sync even when nothing was cut: after a process crash (not a power loss) the records just
  // read may still be only in the page cache, and the caller is about to act on them as
  // recovered state.
  if (!disk.sync(file)) {
    if (error != nullptr) *error = "sync " + path + " failed";
    return nullptr;
  }
  return log;
}

bool RecordLog::zeros_only(std::uint64_t from, std::uint64_t to, bool* read_ok) {
  std::string chunk(kReadChunkBytes, '\0');
  while (from < to) {
    const std::size_t ask =
        static_cast<std::size_t>(std::min<std::uint64_t>(to - from, chunk.size()));
    const std::int64_t n = disk_->read_at(file_, from, std::span<char>(chunk.data(), ask));
    if (n <= 0) {
      *read_ok = false;
      return false;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      if (chunk[static_cast<std::size_t>(i)] != '\0') return false;
    }
    from += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool RecordLog::read_records(FunctionRef<void(std::string_view payload)> on_record) {
  const std::uint64_t expected_bytes = size_bytes_;
  const std::uint64_t expected_records = records_;
  size_bytes_ = 0;
  records_ = 0;
  std::uint64_t damaged_at = UINT64_MAX;
  std::uint64_t damaged_end = 0;
  const bool ok = recover(on_record, expected_bytes, payload_max_bytes_, &damaged_at, &damaged_end);
  const bool intact = ok && size_bytes_ == expected_bytes && records_ == expected_records;
  size_bytes_ = expected_bytes;
  records_ = expected_records;
  return intact;
}

bool RecordLog::recover(FunctionRef<void(std::string_view payload)> on_record,
                        std::uint64_t limit_bytes, std::uint32_t payload_max_bytes,
                        std::uint64_t* damaged_at, std::uint64_t* damaged_end) {
  // Bytes read but not yet consumed; they start at file offset size_bytes_ (the end of the
  // last good record).
  std::string buffer;
  bool end_of_file = false;
  for (;;) {
    // Consume every complete record in the buffer; `wanted` is how many bytes the next one
    // needs in all.
    std::size_t consumed = 0;
    std::size_t wanted = kRecordHeaderBytes;
    bool damaged = false;
    while (buffer.size() - consumed >= kRecordHeaderBytes && size_bytes_ < limit_bytes) {
      const char* header = buffer.data() + consumed;
      const std::uint32_t length = get_u32(header);
      if (length > payload_max_bytes) {
        damaged = true;
        *damaged_at = size_bytes_;
        *damaged_end = size_bytes_ + kRecordHeaderBytes;
        break;
      }
      wanted = kRecordHeaderBytes + length;
      if (buffer.size() - consumed < wanted) break;
      const std::string_view payload(header + kRecordHeaderBytes, length);
      if (get_u32(header + 4) != record_checksum(payload)) {
        damaged = true;
        *damaged_at = size_bytes_;
        *damaged_end = size_bytes_ + wanted;
        break;
      }
      on_record(payload);
      consumed += wanted;
      size_bytes_ += wanted;
      ++records_;
      wanted = kRecordHeaderBytes;
    }
    buffer.erase(0, consumed);
    // A damaged record ends the log; so does the end of the file, with or without an
    // incomplete record (a torn tail) before it.
    if (damaged || end_of_file || size_bytes_ >= limit_bytes) return true;

    // Read more: at least a chunk, and enough for the whole next record. read_at may return
    // fewer bytes than asked (and 0 only at the end); the loop simply comes back.
    const std::size_t held = buffer.size();
    const std::size_t ask = std::max(kReadChunkBytes, wanted - std::min(wanted, held));
    buffer.resize(held + ask);
    const std::int64_t n =
        disk_->read_at(file_, size_bytes_ + held, std::span<char>(buffer.data() + held, ask));
    if (n < 0) return false;
    ASSERT_LE(static_cast<std::uint64_t>(n), ask);
    buffer.resize(held + static_cast<std::size_t>(n));
    if (n == 0) end_of_file = true;
  }
}

RecordLog::~RecordLog() {
  disk_->close(file_);
}

std::size_t RecordLog::begin_frame(std::string* out) {
  const std::size_t at = out->size();
  out->append(kRecordHeaderBytes, '\0');
  return at;
}

void RecordLog::end_frame(std::string* out, std::size_t header_at) {
  ASSERT_LE(header_at + kRecordHeaderBytes, out->size());
  const std::string_view payload = std::string_view(*out).substr(header_at + kRecordHeaderBytes);
  ASSERT_LE(payload.size(), kRecordPayloadLimitBytes);
  put_u32(out->data() + header_at, static_cast<std::uint32_t>(payload.size()));
  put_u32(out->data() + header_at + 4, record_checksum(payload));
}

bool RecordLog::append_framed(std::string_view bytes, std::uint64_t records) {
  if (broken_) return false;
  if (bytes.empty()) return true;
  if (!disk_->append(file_, bytes)) {
    broken_ = true;
    return false;
  }
  size_bytes_ += bytes.size();
  records_ += records;
  return true;
}

bool RecordLog::append(std::string_view payload) {
  if (broken_ || payload.size() > payload_max_bytes_) return false;
  std::string record(kRecordHeaderBytes, '\0');
  record.reserve(kRecordHeaderBytes + payload.size());
  put_u32(record.data(), static_cast<std::uint32_t>(payload.size()));
  put_u32(record.data() + 4, record_checksum(payload));
  record.append(payload);
  if (!disk_->append(file_, record)) {
    broken_ = true;
    return false;
  }
  size_bytes_ += record.size();
  ++records_;
  return true;
}

bool RecordLog::sync() {
  if (broken_) return false;
  if (!disk_->sync(file_)) {
    broken_ = true;
    return false;
  }
  return true;
}

}  // namespace eddy::storage

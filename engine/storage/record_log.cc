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
  ASSERT_LE(payload.size(), kRecordPayloadMaxBytes);
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
  std::string open_error;
  const Disk::FileId file = disk.open(path, /*create=*/true, &open_error);
  if (file < 0) {
    if (error != nullptr) *error = "open " + path + ": " + open_error;
    return nullptr;
  }
  // From here the log owns the file: its destructor closes it on every return path.
  std::unique_ptr<RecordLog> log(new RecordLog(disk, file));
  if (!log->recover(on_record)) {
    if (error != nullptr) *error = "read " + path + " failed during recovery";
    return nullptr;
  }

  const std::int64_t file_size = disk.size(file);
  if (file_size < 0) {
    if (error != nullptr) *error = "size of " + path + " failed";
    return nullptr;
  }
  ASSERT_LE(log->size_bytes_, static_cast<std::uint64_t>(file_size));
  log->discarded_bytes_ = static_cast<std::uint64_t>(file_size) - log->size_bytes_;
  if (log->discarded_bytes_ > 0 && !disk.truncate(file, log->size_bytes_)) {
    if (error != nullptr) *error = "truncate " + path + " failed";
    return nullptr;
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

bool RecordLog::recover(FunctionRef<void(std::string_view payload)> on_record) {
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
    while (buffer.size() - consumed >= kRecordHeaderBytes) {
      const char* header = buffer.data() + consumed;
      const std::uint32_t length = get_u32(header);
      if (length > kRecordPayloadMaxBytes) {
        damaged = true;
        break;
      }
      wanted = kRecordHeaderBytes + length;
      if (buffer.size() - consumed < wanted) break;
      const std::string_view payload(header + kRecordHeaderBytes, length);
      if (get_u32(header + 4) != record_checksum(payload)) {
        damaged = true;
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
    if (damaged || end_of_file) return true;

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

bool RecordLog::append(std::string_view payload) {
  if (broken_ || payload.size() > kRecordPayloadMaxBytes) return false;
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

// libFuzzer target: RecordLog recovery (engine/storage/record_log.h) over arbitrary file
// contents on the simulated disk, with short reads and read errors.
//
// The input's first byte chooses the disk's faults and how the rest is read:
// - bit 7 set: the rest is the file, byte for byte;
// - else the rest is a little program that builds the file, so that valid records (with
//   their checksums) are common: each step is an opcode byte and its operands, 0 a record
//   (length byte, 255 meaning two more length bytes, then the payload), 1 raw bytes (count
//   byte, bytes), 2 flip a byte (two offset bytes), 3 truncate (two size bytes).
// Checked: recovery never crashes; a successful open reports exactly the records a plain
// reading of the format finds (the longest prefix of intact records), counts them and their
// bytes, and truncates the file to them, durably; a failed open (a read error) reports a prefix
// of them, says why and leaves the file as it was; reopening finds the same records and cuts
// nothing; a record appended and synced after recovery is found by the next open after them.

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/rng.h"
#include "engine/storage/record_log.h"
#include "sim/sim_disk.h"

namespace {

using eddy::storage::kRecordHeaderBytes;
using eddy::storage::kRecordPayloadMaxBytes;
using eddy::storage::RecordLog;

const std::string kPath = "wal/records";

std::uint32_t get_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// The format read the plain way: records while they are whole and their checksums hold.
struct Reading {
  std::vector<std::string> records;
  std::size_t end = 0;  // bytes of the intact prefix
};

Reading read_plainly(std::string_view file) {
  Reading out;
  while (file.size() - out.end >= kRecordHeaderBytes) {
    const char* header = file.data() + out.end;
    const std::uint32_t length = get_u32(header);
    if (length > kRecordPayloadMaxBytes) break;
    if (file.size() - out.end - kRecordHeaderBytes < length) break;
    const std::string_view payload(header + kRecordHeaderBytes, length);
    if (get_u32(header + 4) != eddy::storage::record_checksum(payload)) break;
    out.records.emplace_back(payload);
    out.end += kRecordHeaderBytes + length;
  }
  return out;
}

// Reads operands from the input; past its end, zeros.
class Operands {
 public:
  explicit Operands(std::string_view bytes) : bytes_(bytes) {}
  bool empty() const { return pos_ >= bytes_.size(); }
  std::uint8_t byte() {
    return pos_ < bytes_.size() ? static_cast<std::uint8_t>(bytes_[pos_++]) : 0;
  }
  std::size_t two_bytes() { return std::size_t{byte()} | (std::size_t{byte()} << 8); }
  std::string_view take(std::size_t n) {
    const std::string_view out = bytes_.substr(std::min(pos_, bytes_.size()), n);
    pos_ += n;
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

std::string build_file(std::string_view program) {
  std::string file;
  Operands in(program);
  while (!in.empty()) {
    switch (in.byte() % 4) {
      case 0: {
        std::size_t length = in.byte();
        if (length == 255) length = in.two_bytes();
        std::string payload(in.take(length));
        payload.resize(length, '\0');
        put_u32(file, static_cast<std::uint32_t>(length));
        put_u32(file, eddy::storage::record_checksum(payload));
        file += payload;
        break;
      }
      case 1:
        file += in.take(in.byte());
        break;
      case 2:
        if (!file.empty()) {
          const std::size_t at = in.two_bytes() % file.size();
          file[at] = static_cast<char>(~file[at]);
        }
        break;
      case 3:
        if (!file.empty()) file.resize(in.two_bytes() % file.size());
        break;
    }
  }
  return file;
}

struct Opened {
  std::unique_ptr<RecordLog> log;
  std::vector<std::string> records;
  std::string error;
};

Opened open_log(eddy::Disk& disk) {
  Opened out;
  out.log = RecordLog::open(
      disk, kPath, [&](std::string_view payload) { out.records.emplace_back(payload); },
      &out.error);
  return out;
}

void check_prefix(const std::vector<std::string>& got, const std::vector<std::string>& all) {
  ASSERT_LE(got.size(), all.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT(got[i] == all[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto mode = static_cast<std::uint8_t>(input[0]);
  const std::string file =
      (mode & 0x80) != 0 ? std::string(input.substr(1)) : build_file(input.substr(1));

  eddy::Rng rng(XXH3_64bits(data, size));
  eddy::sim::SimDisk disk(rng);
  {
    const eddy::Disk::FileId id = disk.open(kPath, true, nullptr);
    ASSERT_GE(id, 0);
    ASSERT(disk.append(id, file));
    ASSERT(disk.sync(id));
    disk.close(id);
  }
  eddy::sim::SimDiskFaults faults;
  faults.short_read_probability = (mode & 0x01) != 0 ? 0.5 : 0.0;
  faults.read_error_probability = (mode & 0x02) != 0 ? 0.05 : 0.0;
  disk.set_faults(faults);

  const Reading expected = read_plainly(file);
  Opened first = open_log(disk);
  if (first.log == nullptr) {
    // Only a read error may fail the open; it says so and cuts nothing.
    ASSERT(faults.read_error_probability > 0);
    ASSERT(!first.error.empty());
    check_prefix(first.records, expected.records);
    ASSERT(disk.contents(kPath) == file);
    ASSERT_EQ(disk.open_files(), 0u);
    return 0;
  }
  ASSERT(first.records == expected.records);
  ASSERT_EQ(first.log->records(), expected.records.size());
  ASSERT_EQ(first.log->size_bytes(), expected.end);
  ASSERT_EQ(first.log->discarded_bytes(), file.size() - expected.end);
  ASSERT(!first.log->broken());
  ASSERT(disk.contents(kPath) == file.substr(0, expected.end));
  ASSERT(disk.durable_contents(kPath) == file.substr(0, expected.end));

  // New records follow the recovered ones.
  disk.set_faults(eddy::sim::SimDiskFaults{});
  const std::string appended = "appended after recovery";
  ASSERT(first.log->append(appended));
  ASSERT(first.log->sync());
  first.log.reset();
  ASSERT_EQ(disk.open_files(), 0u);

  Opened second = open_log(disk);
  ASSERT_MSG(second.log != nullptr, second.error);
  ASSERT_EQ(second.log->discarded_bytes(), 0u);
  ASSERT_EQ(second.records.size(), expected.records.size() + 1);
  check_prefix(expected.records, second.records);
  ASSERT(second.records.back() == appended);
  second.log.reset();
  ASSERT_EQ(disk.open_files(), 0u);
  return 0;
}

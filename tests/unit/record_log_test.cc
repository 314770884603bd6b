// The record log on the simulated disk: round trips, recovery that stops at the first damaged
// or torn record and truncates there, refusal after write errors, and the crash property:
// what reopens is exactly a prefix of what was appended, including everything synced.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <xxhash.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/rng.h"
#include "engine/storage/record_log.h"
#include "sim/sim_disk.h"

using namespace eddy;
using namespace eddy::storage;
using eddy::sim::SimDisk;
using eddy::sim::SimDiskFaults;

namespace {

const std::string kPath = "wal/records";

struct Opened {
  std::unique_ptr<RecordLog> log;
  std::vector<std::string> records;
  std::string error;
};

Opened open_log(Disk& disk, const std::string& path = kPath) {
  Opened out;
  out.log = RecordLog::open(
      disk, path, [&](std::string_view payload) { out.records.emplace_back(payload); }, &out.error);
  return out;
}

std::uint64_t framed_size(const std::vector<std::string>& payloads) {
  std::uint64_t bytes = 0;
  for (const std::string& p : payloads) bytes += kRecordHeaderBytes + p.size();
  return bytes;
}

// A payload that names its position, so a record out of place could not pass for another.
std::string payload_for(std::size_t index, std::size_t length) {
  std::string payload = "#" + std::to_string(index) + ":";
  for (std::size_t i = 0; payload.size() < length; ++i) {
    payload.push_back(static_cast<char>('a' + (index + i) % 26));
  }
  return payload;
}

// Overwrites bytes of the file through a raw handle, durably.
void overwrite(SimDisk& disk, std::uint64_t offset, std::string_view bytes) {
  const Disk::FileId file = disk.open(kPath, false, nullptr);
  REQUIRE(file >= 0);
  REQUIRE(disk.write_at(file, offset, bytes));
  REQUIRE(disk.sync(file));
  disk.close(file);
}

// Flips every bit of one byte, so it differs whatever it was.
void flip(SimDisk& disk, std::uint64_t offset) {
  const char byte = disk.contents(kPath).at(offset);
  overwrite(disk, offset, std::string(1, static_cast<char>(~byte)));
}

}  // namespace

TEST_CASE("record log: append, sync, reopen", "[record_log]") {
  Rng rng(1);
  SimDisk disk(rng);
  const std::vector<std::string> payloads = {"first", "", std::string("nul\0byte", 8), "last"};
  {
    Opened opened = open_log(disk);
    REQUIRE(opened.log != nullptr);
    REQUIRE(opened.records.empty());
    REQUIRE(disk.exists(kPath));
    for (const std::string& p : payloads) REQUIRE(opened.log->append(p));
    REQUIRE(opened.log->records() == payloads.size());
    REQUIRE(opened.log->size_bytes() == framed_size(payloads));
    REQUIRE(opened.log->sync());
    REQUIRE_FALSE(opened.log->broken());
  }
  REQUIRE(disk.open_files() == 0);
  REQUIRE(disk.durable_contents(kPath).size() == framed_size(payloads));

  Opened again = open_log(disk);
  REQUIRE(again.log != nullptr);
  REQUIRE(again.records == payloads);
  REQUIRE(again.log->records() == payloads.size());
  REQUIRE(again.log->size_bytes() == framed_size(payloads));
  REQUIRE(again.log->discarded_bytes() == 0);
  REQUIRE(again.log->append("more"));
  again.log.reset();
  std::vector<std::string> expected = payloads;
  expected.push_back("more");
  REQUIRE(open_log(disk).records == expected);
}

TEST_CASE("record log: the on-disk format", "[record_log]") {
  Rng rng(2);
  SimDisk disk(rng);
  Opened opened = open_log(disk);
  REQUIRE(opened.log->append("abc"));
  const std::string bytes = disk.contents(kPath);
  REQUIRE(bytes.size() == 11);
  REQUIRE(bytes.substr(0, 4) == std::string("\x03\x00\x00\x00", 4));
  const std::uint32_t checksum = record_checksum("abc");
  std::string expected_checksum;
  for (int i = 0; i < 4; ++i) expected_checksum.push_back(static_cast<char>(checksum >> (8 * i)));
  REQUIRE(bytes.substr(4, 4) == expected_checksum);
  REQUIRE(bytes.substr(8) == "abc");
  // The checksum is XXH3 over the length bytes and the payload, low 32 bits.
  const std::string covered = std::string("\x03\x00\x00\x00", 4) + "abc";
  REQUIRE(checksum == static_cast<std::uint32_t>(XXH3_64bits(covered.data(), covered.size())));
}

TEST_CASE("record log: a damaged record ends recovery and is cut off", "[record_log]") {
  Rng rng(3);
  SimDisk disk(rng);
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < 5; ++i) payloads.push_back(payload_for(i, 20));
  {
    Opened opened = open_log(disk);
    for (const std::string& p : payloads) REQUIRE(opened.log->append(p));
    REQUIRE(opened.log->sync());
  }
  const std::vector<std::string> good(payloads.begin(), payloads.begin() + 2);
  const std::uint64_t good_bytes = framed_size(good);

  SECTION("a flipped payload byte") {
    flip(disk, good_bytes + kRecordHeaderBytes + 3);
  }
  SECTION("a flipped checksum byte") {
    flip(disk, good_bytes + 5);
  }
  SECTION("a length beyond the bound") {
    overwrite(disk, good_bytes, "\xff\xff\xff\xff");
  }
  SECTION("a smaller length") {
    overwrite(disk, good_bytes, std::string("\x02\x00", 2));
  }

  Opened opened = open_log(disk);
  REQUIRE(opened.log != nullptr);
  REQUIRE(opened.records == good);
  REQUIRE(opened.log->records() == 2);
  REQUIRE(opened.log->size_bytes() == good_bytes);
  REQUIRE(opened.log->discarded_bytes() == framed_size(payloads) - good_bytes);
  // Truncated, and durably so.
  REQUIRE(disk.contents(kPath).size() == good_bytes);
  REQUIRE(disk.durable_contents(kPath).size() == good_bytes);
  // New records follow the good ones.
  REQUIRE(opened.log->append("after"));
  REQUIRE(opened.log->sync());
  opened.log.reset();
  std::vector<std::string> expected = good;
  expected.push_back("after");
  REQUIRE(open_log(disk).records == expected);
}

TEST_CASE("record log: a torn tail is cut off", "[record_log]") {
  Rng rng(4);
  SimDisk disk(rng);
  {
    Opened opened = open_log(disk);
    REQUIRE(opened.log->append("whole"));
    REQUIRE(opened.log->sync());
  }
  const std::uint64_t whole = kRecordHeaderBytes + 5;
  // Every strict prefix of a second record: the header alone, part of it, part of the payload.
  const std::string second = [] {
    Rng scratch_rng(0);
    SimDisk scratch(scratch_rng);
    Opened o = open_log(scratch);
    REQUIRE(o.log->append("second record"));
    return scratch.contents(kPath);
  }();
  for (std::size_t cut = 1; cut < second.size(); ++cut) {
    const Disk::FileId file = disk.open(kPath, false, nullptr);
    REQUIRE(disk.append(file, second.substr(0, cut)));
    disk.close(file);
    Opened opened = open_log(disk);
    REQUIRE(opened.records == std::vector<std::string>{"whole"});
    REQUIRE(opened.log->discarded_bytes() == cut);
    REQUIRE(disk.contents(kPath).size() == whole);
  }
}

TEST_CASE("record log: large records and short reads", "[record_log]") {
  Rng rng(5);
  SimDisk disk(rng, SimDiskFaults{.short_read_probability = 0.9});
  // Larger than the recovery read chunk, so a record spans many reads.
  const std::vector<std::string> payloads = {payload_for(0, 200'000), "small",
                                             payload_for(2, 70'000)};
  {
    Opened opened = open_log(disk);
    for (const std::string& p : payloads) REQUIRE(opened.log->append(p));
  }
  Opened opened = open_log(disk);
  REQUIRE(opened.log != nullptr);
  REQUIRE(opened.records == payloads);
}

TEST_CASE("record log: oversized payloads are refused without harm", "[record_log]") {
  Rng rng(6);
  SimDisk disk(rng);
  Opened opened = open_log(disk);
  REQUIRE_FALSE(opened.log->append(std::string(kRecordPayloadMaxBytes + 1, 'x')));
  REQUIRE_FALSE(opened.log->broken());
  REQUIRE(opened.log->records() == 0);
  REQUIRE(disk.contents(kPath).empty());
  REQUIRE(opened.log->append("fine"));
  REQUIRE(opened.log->records() == 1);
}

TEST_CASE("record log: a write error breaks the log until reopened", "[record_log]") {
  Rng rng(7);
  SimDisk disk(rng);
  Opened opened = open_log(disk);
  REQUIRE(opened.log->append("kept"));
  disk.set_faults(SimDiskFaults{.write_error_probability = 1.0});
  REQUIRE_FALSE(opened.log->append("lost"));
  REQUIRE(opened.log->broken());
  disk.set_faults(SimDiskFaults{});
  // The disk works again, but the log does not trust it.
  REQUIRE_FALSE(opened.log->append("refused"));
  REQUIRE_FALSE(opened.log->sync());
  REQUIRE(opened.log->records() == 1);
  opened.log.reset();
  Opened again = open_log(disk);
  REQUIRE(again.records == std::vector<std::string>{"kept"});
  REQUIRE(again.log->append("again"));
}

TEST_CASE("record log: I/O errors at open are reported", "[record_log]") {
  Rng rng(8);
  SimDisk disk(rng);
  {
    Opened opened = open_log(disk);
    REQUIRE(opened.log->append("x"));
  }
  disk.set_faults(SimDiskFaults{.read_error_probability = 1.0});
  Opened failed = open_log(disk);
  REQUIRE(failed.log == nullptr);
  REQUIRE_FALSE(failed.error.empty());
  REQUIRE(disk.open_files() == 0);

  // A torn tail that cannot be truncated: open fails rather than appending after garbage.
  disk.set_faults(SimDiskFaults{});
  overwrite(disk, disk.contents(kPath).size(), "torn");
  disk.set_faults(SimDiskFaults{.write_error_probability = 1.0});
  Opened cannot_truncate = open_log(disk);
  REQUIRE(cannot_truncate.log == nullptr);
  REQUIRE(cannot_truncate.error.find("truncate") != std::string::npos);
  disk.set_faults(SimDiskFaults{});
  REQUIRE(open_log(disk).records == std::vector<std::string>{"x"});
}

TEST_CASE("record log: crashes keep a prefix that includes everything synced", "[record_log]") {
  rc::prop("random appends, syncs, crashes and reopens", [] {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    // kind 0-5: append a payload of `length`; 6-7: sync; 8: crash and reopen; 9: clean reopen.
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, std::size_t>>>(
        rc::gen::tuple(rc::gen::inRange(0, 10), rc::gen::inRange<std::size_t>(0, 300)));
    const auto tail =
        *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 300));
    const bool tail_crash = *rc::gen::arbitrary<bool>();

    Rng rng(seed);
    SimDisk disk(rng, SimDiskFaults{.torn_write_probability = 0.5, .short_read_probability = 0.3});
    Rng crash_rng(seed ^ 0xc0ffee);
    std::size_t next_index = 0;

    // The model: what the log should hold, and how much of it is durable.
    std::vector<std::string> model;
    std::size_t durable = 0;
    Opened opened = open_log(disk);
    RC_ASSERT(opened.log != nullptr);

    // Reopens and checks the result against the model: after a crash any prefix holding the
    // durable records, after a clean close exactly the model.
    const auto reopen = [&](bool crash) {
      opened.log.reset();
      if (crash) disk.crash(crash_rng);
      opened = open_log(disk);
      RC_ASSERT(opened.log != nullptr);
      const std::vector<std::string>& got = opened.records;
      if (crash) {
        RC_ASSERT(got.size() >= durable);
        RC_ASSERT(got.size() <= model.size());
        RC_ASSERT(std::equal(got.begin(), got.end(), model.begin()));
      } else {
        RC_ASSERT(got == model);
      }
      model = got;
      durable = got.size();  // open syncs what it recovered
      RC_ASSERT(opened.log->records() == model.size());
      RC_ASSERT(opened.log->size_bytes() == framed_size(model));
      RC_ASSERT(disk.durable_contents(kPath) == disk.contents(kPath));
      RC_ASSERT(disk.contents(kPath).size() == framed_size(model));
    };

    for (const auto& [kind, length] : ops) {
      if (kind <= 5) {
        model.push_back(payload_for(next_index++, length));
        RC_ASSERT(opened.log->append(model.back()));
      } else if (kind <= 7) {
        RC_ASSERT(opened.log->sync());
        durable = model.size();
      } else {
        reopen(kind == 8);
      }
    }
    reopen(true);
    // Appends after recovery follow the recovered prefix: reopening (after a sync and crash,
    // or cleanly) yields the prefix plus the new records.
    const std::vector<std::string> recovered = model;
    for (const std::size_t length : tail) {
      model.push_back(payload_for(next_index++, length));
      RC_ASSERT(opened.log->append(model.back()));
    }
    if (tail_crash) {
      RC_ASSERT(opened.log->sync());
      durable = model.size();
    }
    const std::vector<std::string> expected = model;
    reopen(tail_crash);
    RC_ASSERT(opened.records == expected);
    RC_ASSERT(std::equal(recovered.begin(), recovered.end(), opened.records.begin()));
  });
}

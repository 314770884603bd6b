// The simulated disk: POSIX-like basics, durability only through sync(), crashes that keep a
// (possibly torn) prefix of the unsynced writes, faults on demand, and exact replay by seed.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "engine/rng.h"
#include "sim/sim_disk.h"

using namespace eddy;
using namespace eddy::sim;

namespace {

std::string read_all(SimDisk& disk, Disk::FileId file) {
  std::string out;
  std::array<char, 64> buffer{};
  for (;;) {
    const std::int64_t n = disk.read_at(file, out.size(), buffer);
    REQUIRE(n >= 0);
    if (n == 0) return out;
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

Disk::FileId must_open(SimDisk& disk, const std::string& path) {
  std::string error;
  const Disk::FileId file = disk.open(path, true, &error);
  INFO(error);
  REQUIRE(file >= 0);
  return file;
}

// The model's own copy of a pending change, applied independently of SimDisk's code.
struct ModelChange {
  bool truncate = false;
  std::uint64_t offset = 0;  // write: where; truncate: new size
  std::string bytes;
};

void model_apply(std::string& image, const ModelChange& change, std::size_t limit) {
  if (change.truncate) {
    image.resize(change.offset, '\0');
    return;
  }
  const std::string part = change.bytes.substr(0, limit);
  if (part.empty()) return;
  if (image.size() < change.offset + part.size()) image.resize(change.offset + part.size(), '\0');
  std::copy(part.begin(), part.end(), image.begin() + static_cast<std::ptrdiff_t>(change.offset));
}

// Every image a crash may leave: durable plus the first k pending changes, and, when tearing
// is possible, plus a strict non-empty prefix of change k as well.
std::vector<std::string> crash_outcomes(const std::string& durable,
                                        const std::vector<ModelChange>& pending, bool torn) {
  std::vector<std::string> outcomes;
  std::string image = durable;
  for (std::size_t k = 0; k <= pending.size(); ++k) {
    outcomes.push_back(image);
    if (k == pending.size()) break;
    const ModelChange& next = pending[k];
    if (torn && !next.truncate) {
      for (std::size_t t = 1; t < next.bytes.size(); ++t) {
        std::string partial = image;
        model_apply(partial, next, t);
        outcomes.push_back(std::move(partial));
      }
    }
    model_apply(image, next, next.bytes.size());
  }
  return outcomes;
}

// Distinct bytes per write, so a torn or reordered write could not pass for another.
std::string fresh_bytes(std::size_t length, std::uint64_t& counter) {
  std::string bytes;
  for (std::size_t i = 0; i < length; ++i) bytes.push_back(static_cast<char>('!' + counter++ % 90));
  return bytes;
}

}  // namespace

TEST_CASE("open, write, read, append, truncate", "[sim][disk]") {
  Rng rng(1);
  SimDisk disk(rng);
  std::string error;
  REQUIRE(disk.open("d/missing", false, &error) == -1);
  REQUIRE_FALSE(error.empty());
  REQUIRE_FALSE(disk.exists("d/missing"));

  const Disk::FileId file = must_open(disk, "d/a");
  REQUIRE(disk.exists("d/a"));
  REQUIRE(disk.size(file) == 0);
  REQUIRE(disk.append(file, "hello"));
  REQUIRE(disk.append(file, " world"));
  REQUIRE(disk.size(file) == 11);
  REQUIRE(read_all(disk, file) == "hello world");
  REQUIRE(disk.write_at(file, 0, "J"));
  REQUIRE(disk.contents("d/a") == "Jello world");
  REQUIRE(disk.pending_writes("d/a") == 3);
  REQUIRE(disk.durable_contents("d/a").empty());

  // Writing past the end leaves a hole of zeros.
  REQUIRE(disk.write_at(file, 13, "!"));
  REQUIRE(disk.contents("d/a") == std::string("Jello world\0\0!", 14));

  REQUIRE(disk.truncate(file, 5));
  REQUIRE(disk.contents("d/a") == "Jello");
  REQUIRE(disk.truncate(file, 7));
  REQUIRE(disk.contents("d/a") == std::string("Jello\0\0", 7));

  // A second id on the same path sees the same file; append lands at the current end.
  const Disk::FileId other = must_open(disk, "d/a");
  REQUIRE(other != file);
  REQUIRE(disk.append(other, "X"));
  REQUIRE(disk.size(file) == 8);

  REQUIRE(disk.sync(file));
  REQUIRE(disk.pending_writes("d/a") == 0);
  REQUIRE(disk.durable_contents("d/a") == disk.contents("d/a"));
  REQUIRE(disk.open_files() == 2);
  disk.close(file);
  disk.close(other);
  REQUIRE(disk.open_files() == 0);
  REQUIRE(disk.size(file) == -1);
  REQUIRE_FALSE(disk.append(file, "x"));
  REQUIRE(disk.contents("d/a") == std::string("Jello\0\0X", 8));
}

TEST_CASE("read_at beyond the end and with partial ranges", "[sim][disk]") {
  Rng rng(2);
  SimDisk disk(rng);
  const Disk::FileId file = must_open(disk, "f");
  REQUIRE(disk.append(file, "abcdef"));
  std::array<char, 4> buffer{};
  REQUIRE(disk.read_at(file, 6, buffer) == 0);
  REQUIRE(disk.read_at(file, 1000, buffer) == 0);
  REQUIRE(disk.read_at(file, 4, buffer) == 2);
  REQUIRE(std::string(buffer.data(), 2) == "ef");
  REQUIRE(disk.read_at(file, 1, buffer) == 4);
  REQUIRE(std::string(buffer.data(), 4) == "bcde");
  REQUIRE(disk.read_at(file, 0, std::span<char>()) == 0);
  REQUIRE(disk.read_at(file + 100, 0, buffer) == -1);
  // Absurd sizes are refused rather than allocated.
  REQUIRE_FALSE(disk.write_at(file, SimDisk::kMaxFileBytes, "x"));
  REQUIRE_FALSE(disk.write_at(file, ~std::uint64_t{0}, "x"));
  REQUIRE_FALSE(disk.truncate(file, SimDisk::kMaxFileBytes + 1));
  REQUIRE(disk.contents("f") == "abcdef");
}

TEST_CASE("rename, remove and list", "[sim][disk]") {
  Rng rng(3);
  SimDisk disk(rng);
  for (const char* path : {"log/b", "log/a", "log/c", "log/sub/x", "top", "logx"}) {
    disk.close(must_open(disk, path));
  }
  REQUIRE(disk.list("log") == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(disk.list("log/") == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(disk.list("log/sub") == std::vector<std::string>{"x"});
  REQUIRE(disk.list("") == std::vector<std::string>{"logx", "top"});
  REQUIRE(disk.list(".") == std::vector<std::string>{"logx", "top"});
  REQUIRE(disk.list("nothing").empty());

  // An open id follows its file across rename and outlives remove, as a descriptor does.
  const Disk::FileId file = must_open(disk, "log/a");
  REQUIRE(disk.append(file, "payload"));
  REQUIRE(disk.rename("log/a", "log/z"));
  REQUIRE_FALSE(disk.exists("log/a"));
  REQUIRE(disk.contents("log/z") == "payload");
  REQUIRE(disk.append(file, "+"));
  REQUIRE(disk.contents("log/z") == "payload+");
  REQUIRE(disk.list("log") == std::vector<std::string>{"b", "c", "z"});

  // Renaming over an existing name replaces it.
  REQUIRE(disk.rename("log/z", "log/b"));
  REQUIRE(disk.contents("log/b") == "payload+");
  REQUIRE(disk.list("log") == std::vector<std::string>{"b", "c"});
  REQUIRE_FALSE(disk.rename("log/missing", "log/q"));
  REQUIRE(disk.rename("log/b", "log/b"));

  REQUIRE(disk.remove("log/b"));
  REQUIRE_FALSE(disk.remove("log/b"));
  REQUIRE_FALSE(disk.exists("log/b"));
  REQUIRE(disk.append(file, "!"));
  std::array<char, 16> buffer{};
  REQUIRE(disk.read_at(file, 0, buffer) == 9);
  disk.close(file);
  REQUIRE(disk.list("log") == std::vector<std::string>{"c"});
  // A path re-created after remove is a new, empty file.
  disk.close(must_open(disk, "log/b"));
  REQUIRE(disk.contents("log/b").empty());
}

TEST_CASE("directory operations are durable at once; contents need sync", "[sim][disk]") {
  Rng rng(4);
  SimDisk disk(rng);
  const Disk::FileId a = must_open(disk, "d/a");
  REQUIRE(disk.append(a, "synced"));
  REQUIRE(disk.sync(a));
  const Disk::FileId b = must_open(disk, "d/b");
  disk.close(must_open(disk, "d/gone"));
  REQUIRE(disk.rename("d/a", "d/renamed"));
  REQUIRE(disk.remove("d/gone"));
  // An unlinked but open file vanishes at the crash.
  REQUIRE(disk.remove("d/b"));
  REQUIRE(disk.append(b, "orphan"));
  Rng crash_rng(99);
  disk.crash(crash_rng);
  REQUIRE(disk.list("d") == std::vector<std::string>{"renamed"});
  REQUIRE(disk.contents("d/renamed") == "synced");
}

TEST_CASE("ids are invalid after a crash and never reused", "[sim][disk]") {
  Rng rng(5);
  SimDisk disk(rng);
  const Disk::FileId file = must_open(disk, "f");
  REQUIRE(disk.append(file, "abc"));
  REQUIRE(disk.sync(file));
  Rng crash_rng(7);
  disk.crash(crash_rng);
  REQUIRE(disk.open_files() == 0);
  std::array<char, 8> buffer{};
  REQUIRE(disk.read_at(file, 0, buffer) == -1);
  REQUIRE(disk.size(file) == -1);
  REQUIRE_FALSE(disk.append(file, "x"));
  REQUIRE_FALSE(disk.write_at(file, 0, "x"));
  REQUIRE_FALSE(disk.truncate(file, 0));
  REQUIRE_FALSE(disk.sync(file));
  disk.close(file);  // harmless
  const Disk::FileId again = must_open(disk, "f");
  REQUIRE(again != file);
  REQUIRE(read_all(disk, again) == "abc");
  REQUIRE(disk.size(file) == -1);
}

TEST_CASE("sync then crash keeps everything", "[sim][disk]") {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Rng rng(seed);
    SimDisk disk(rng, SimDiskFaults{.torn_write_probability = 1.0});
    const Disk::FileId file = must_open(disk, "f");
    REQUIRE(disk.append(file, "one"));
    REQUIRE(disk.write_at(file, 10, "two"));
    REQUIRE(disk.truncate(file, 12));
    REQUIRE(disk.sync(file));
    const std::string before = disk.contents("f");
    Rng crash_rng(seed * 31);
    disk.crash(crash_rng);
    REQUIRE(disk.contents("f") == before);
    REQUIRE(disk.durable_contents("f") == before);
  }
}

TEST_CASE("without sync a crash keeps a prefix of the writes", "[sim][disk]") {
  std::array<bool, 4> seen{};  // how many of the three appends survived
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Rng rng(seed);
    SimDisk disk(rng);
    const Disk::FileId file = must_open(disk, "f");
    REQUIRE(disk.append(file, "base"));
    REQUIRE(disk.sync(file));
    REQUIRE(disk.append(file, "aa"));
    REQUIRE(disk.append(file, "bb"));
    REQUIRE(disk.append(file, "cc"));
    REQUIRE(disk.pending_writes("f") == 3);
    Rng crash_rng(seed);
    disk.crash(crash_rng);
    const std::string after = disk.contents("f");
    const std::vector<std::string> allowed = {"base", "baseaa", "baseaabb", "baseaabbcc"};
    const auto it = std::find(allowed.begin(), allowed.end(), after);
    INFO(after);
    REQUIRE(it != allowed.end());
    seen[static_cast<std::size_t>(it - allowed.begin())] = true;
    REQUIRE(disk.pending_writes("f") == 0);
    REQUIRE(disk.durable_contents("f") == after);
  }
  REQUIRE(seen == std::array<bool, 4>{true, true, true, true});
}

TEST_CASE("after a crash: durable + first k pending appends + maybe a torn one", "[sim][disk]") {
  rc::prop("append-only files", [] {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const double torn = *rc::gen::element(0.0, 0.5, 1.0);
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
        rc::gen::tuple(rc::gen::inRange(0, 5), rc::gen::inRange(0, 3), rc::gen::inRange(0, 12)));
    Rng rng(seed);
    SimDisk disk(rng, SimDiskFaults{.torn_write_probability = torn});
    const std::array<std::string, 3> paths = {"d/0", "d/1", "d/2"};
    std::array<Disk::FileId, 3> ids{};
    std::array<std::string, 3> durable;
    std::array<std::vector<std::string>, 3> pending;
    for (std::size_t f = 0; f < 3; ++f) ids[f] = disk.open(paths[f], true, nullptr);
    std::uint64_t counter = 0;
    for (const auto& [kind, which, length] : ops) {
      const auto f = static_cast<std::size_t>(which);
      if (kind == 0) {
        RC_ASSERT(disk.sync(ids[f]));
        for (const std::string& p : pending[f]) durable[f] += p;
        pending[f].clear();
      } else {
        const std::string bytes = fresh_bytes(static_cast<std::size_t>(length), counter);
        RC_ASSERT(disk.append(ids[f], bytes));
        if (!bytes.empty()) pending[f].push_back(bytes);
      }
    }
    Rng crash_rng(seed ^ 0x5eed);
    disk.crash(crash_rng);
    for (std::size_t f = 0; f < 3; ++f) {
      const std::string after = disk.contents(paths[f]);
      RC_ASSERT(after.compare(0, durable[f].size(), durable[f]) == 0);
      std::string rest = after.substr(durable[f].size());
      std::size_t k = 0;
      while (k < pending[f].size() && rest.compare(0, pending[f][k].size(), pending[f][k]) == 0) {
        rest.erase(0, pending[f][k].size());
        ++k;
      }
      // Whatever is left is the torn (k+1)-th write: a strict non-empty prefix of it.
      if (!rest.empty()) {
        RC_ASSERT(torn > 0);
        RC_ASSERT(k < pending[f].size());
        RC_ASSERT(rest.size() < pending[f][k].size());
        RC_ASSERT(pending[f][k].compare(0, rest.size(), rest) == 0);
      }
      RC_ASSERT(disk.durable_contents(paths[f]) == after);
      RC_ASSERT(disk.pending_writes(paths[f]) == 0u);
    }
  });
}

TEST_CASE("crashes against a model of writes, truncates, syncs and restarts", "[sim][disk]") {
  rc::prop("any operation sequence", [] {
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const bool torn = *rc::gen::arbitrary<bool>();
    const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int, int>>>(
        rc::gen::tuple(rc::gen::inRange(0, 9), rc::gen::inRange(0, 3), rc::gen::inRange(0, 10),
                       rc::gen::inRange(0, 40)));
    Rng rng(seed);
    SimDisk disk(rng, SimDiskFaults{.torn_write_probability = torn ? 0.7 : 0.0});
    Rng crash_rng(~seed);
    const std::array<std::string, 3> paths = {"x/0", "x/1", "x/2"};
    std::array<Disk::FileId, 3> ids{};
    std::array<std::string, 3> durable;
    std::array<std::string, 3> current;
    std::array<std::vector<ModelChange>, 3> pending;
    for (std::size_t f = 0; f < 3; ++f) ids[f] = disk.open(paths[f], true, nullptr);
    std::uint64_t counter = 0;
    for (const auto& [kind, which, length, offset] : ops) {
      const auto f = static_cast<std::size_t>(which);
      ModelChange change;
      switch (kind) {
        case 0:
        case 1:
        case 2:
          change.offset = current[f].size();
          change.bytes = fresh_bytes(static_cast<std::size_t>(length), counter);
          RC_ASSERT(disk.append(ids[f], change.bytes));
          break;
        case 3:
        case 4:
          change.offset = static_cast<std::uint64_t>(offset);
          change.bytes = fresh_bytes(static_cast<std::size_t>(length), counter);
          RC_ASSERT(disk.write_at(ids[f], change.offset, change.bytes));
          break;
        case 5:
          change.truncate = true;
          change.offset = static_cast<std::uint64_t>(offset);
          RC_ASSERT(disk.truncate(ids[f], change.offset));
          break;
        case 6:
        case 7:
          RC_ASSERT(disk.sync(ids[f]));
          durable[f] = current[f];
          pending[f].clear();
          break;
        default: {
          const std::array<Disk::FileId, 3> old = ids;
          disk.crash(crash_rng);
          for (std::size_t g = 0; g < 3; ++g) {
            const std::string after = disk.contents(paths[g]);
            // Without tearing, only the k-prefixes of the pending changes are allowed.
            const auto outcomes = crash_outcomes(durable[g], pending[g], torn);
            RC_ASSERT(std::find(outcomes.begin(), outcomes.end(), after) != outcomes.end());
            RC_ASSERT(disk.durable_contents(paths[g]) == after);
            RC_ASSERT(disk.size(old[g]) == -1);
            durable[g] = current[g] = after;
            pending[g].clear();
            ids[g] = disk.open(paths[g], false, nullptr);
            RC_ASSERT(ids[g] >= 0);
          }
          break;
        }
      }
      if (kind <= 5 && (change.truncate || !change.bytes.empty())) {
        model_apply(current[f], change, change.bytes.size());
        pending[f].push_back(std::move(change));
      }
      RC_ASSERT(disk.contents(paths[f]) == current[f]);
      RC_ASSERT(disk.size(ids[f]) == static_cast<std::int64_t>(current[f].size()));
      RC_ASSERT(disk.pending_writes(paths[f]) == pending[f].size());
      RC_ASSERT(disk.durable_contents(paths[f]) == durable[f]);
    }
  });
}

namespace {

// Everything observable from a fixed script run on a faulty disk with one seed.
std::vector<std::string> observe(std::uint64_t seed) {
  std::vector<std::string> seen;
  Rng rng(seed);
  const SimDiskFaults faults{.torn_write_probability = 0.5,
                             .short_read_probability = 0.3,
                             .write_error_probability = 0.2,
                             .read_error_probability = 0.1,
                             .latency_min_ns = 1,
                             .latency_max_ns = 1000};
  SimDisk disk(rng, faults, [&seen](Nanos latency) { seen.push_back(std::to_string(latency)); });
  std::uint64_t counter = 0;
  for (int round = 0; round < 3; ++round) {
    std::array<Disk::FileId, 3> ids{};
    for (int f = 0; f < 3; ++f) ids[f] = disk.open("d/" + std::to_string(f), true, nullptr);
    for (int i = 0; i < 40; ++i) {
      const Disk::FileId file = ids[static_cast<std::size_t>(i % 3)];
      const std::string bytes = fresh_bytes(static_cast<std::size_t>(i % 7 + 1), counter);
      seen.push_back(disk.append(file, bytes) ? "w" : "W");
      if (i % 11 == 0) disk.sync(file);
      std::array<char, 8> buffer{};
      const std::int64_t n = disk.read_at(file, static_cast<std::uint64_t>(i), buffer);
      seen.push_back(std::to_string(n));
    }
    Rng crash_rng(seed + static_cast<std::uint64_t>(round));
    disk.crash(crash_rng);
    for (int f = 0; f < 3; ++f) seen.push_back(disk.contents("d/" + std::to_string(f)));
  }
  return seen;
}

}  // namespace

TEST_CASE("the same seed and operations give the same disk", "[sim][disk]") {
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto a = observe(seed);
    REQUIRE(a == observe(seed));
    differs = differs || a != observe(seed + 1000);
  }
  REQUIRE(differs);
}

TEST_CASE("faults at probability 1 always happen", "[sim][disk]") {
  SECTION("write errors write nothing") {
    Rng rng(1);
    SimDisk disk(rng);
    const Disk::FileId file = must_open(disk, "f");
    REQUIRE(disk.append(file, "kept"));
    disk.set_faults(SimDiskFaults{.write_error_probability = 1.0});
    REQUIRE_FALSE(disk.append(file, "lost"));
    REQUIRE_FALSE(disk.write_at(file, 0, "LOST"));
    REQUIRE_FALSE(disk.truncate(file, 0));
    REQUIRE(disk.contents("f") == "kept");
    REQUIRE(disk.pending_writes("f") == 1);
    REQUIRE(disk.sync(file));  // sync is not a write: it still works
    REQUIRE(disk.durable_contents("f") == "kept");
  }
  SECTION("read errors") {
    Rng rng(2);
    SimDisk disk(rng, SimDiskFaults{.read_error_probability = 1.0});
    const Disk::FileId file = must_open(disk, "f");
    REQUIRE(disk.append(file, "data"));
    std::array<char, 8> buffer{};
    REQUIRE(disk.read_at(file, 0, buffer) == -1);
    REQUIRE(disk.read_at(file, 100, buffer) == -1);
  }
  SECTION("short reads are shorter but never empty while data remains") {
    Rng rng(3);
    SimDisk disk(rng, SimDiskFaults{.short_read_probability = 1.0});
    const Disk::FileId file = must_open(disk, "f");
    const std::string data = "0123456789abcdefghij";
    REQUIRE(disk.append(file, data));
    for (int i = 0; i < 100; ++i) {
      std::array<char, 32> buffer{};
      const std::int64_t n = disk.read_at(file, 3, buffer);
      REQUIRE(n >= 1);
      REQUIRE(n < static_cast<std::int64_t>(data.size()) - 3);
      REQUIRE(std::string(buffer.data(), static_cast<std::size_t>(n)) ==
              data.substr(3, static_cast<std::size_t>(n)));
    }
    std::array<char, 1> one{};
    REQUIRE(disk.read_at(file, 0, one) == 1);
    std::array<char, 8> buffer{};
    REQUIRE(disk.read_at(file, data.size(), buffer) == 0);
    // Reading everything still works, piece by piece.
    REQUIRE(read_all(disk, file) == data);
  }
  SECTION("torn writes leave a strict non-empty prefix of the first lost write") {
    bool saw_torn = false;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      Rng rng(seed);
      SimDisk disk(rng, SimDiskFaults{.torn_write_probability = 1.0});
      const Disk::FileId file = must_open(disk, "f");
      const std::string data(100, 'x');
      REQUIRE(disk.append(file, data));
      Rng crash_rng(seed);
      disk.crash(crash_rng);
      const std::string after = disk.contents("f");
      REQUIRE(!after.empty());  // either whole or torn, never dropped entirely
      REQUIRE(after == data.substr(0, after.size()));
      saw_torn = saw_torn || after.size() < data.size();
    }
    REQUIRE(saw_torn);
  }
}

TEST_CASE("latency goes through the sleep callback", "[sim][disk]") {
  Rng rng(8);
  std::vector<Nanos> sleeps;
  SimDisk disk(rng, SimDiskFaults{.latency_min_ns = 100, .latency_max_ns = 300},
               [&sleeps](Nanos latency) { sleeps.push_back(latency); });
  const Disk::FileId file = must_open(disk, "f");
  REQUIRE(disk.append(file, "a"));
  REQUIRE(disk.write_at(file, 0, "b"));
  REQUIRE(disk.sync(file));
  std::array<char, 1> buffer{};
  REQUIRE(disk.read_at(file, 0, buffer) == 1);
  REQUIRE(disk.truncate(file, 0));
  REQUIRE(disk.rename("f", "g"));
  REQUIRE(disk.list("").size() == 1);
  REQUIRE(disk.size(file) == 0);  // metadata only: free
  disk.close(file);               // free
  REQUIRE(disk.remove("g"));
  REQUIRE(sleeps.size() == 9);
  for (const Nanos latency : sleeps) {
    REQUIRE(latency >= 100);
    REQUIRE(latency <= 300);
  }
}

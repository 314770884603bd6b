// Snapshots (engine/storage/shard_snapshot.h, snapshotter.h, snapshot_format.h) on the
// simulator's disk: the block and manifest codecs against hostile bytes; a snapshot taken while
// writers change every type of value (and flush and swap databases) holds exactly the keyspace
// at its cut; a crash during a snapshot leaves the previous one whole; damaged or torn files
// refuse the load, naming the file and the offset.

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "engine/base/fault.h"
#include "engine/cmd/command.h"
#include "engine/cmd/reply_builder.h"
#include "engine/rng.h"
#include "engine/shard.h"
#include "engine/slot.h"
#include "engine/storage/shard_snapshot.h"
#include "engine/storage/snapshot_format.h"
#include "engine/storage/snapshotter.h"
#include "sim/sim_disk.h"
#include "tests/unit/support/fake_runtime.h"
#include "tests/unit/support/replay_harness.h"

using namespace eddy;
using namespace eddy::storage;
using eddy::sim::SimDisk;
using eddy::sim::SimDiskFaults;
using eddy::testing::FakeRuntime;
using eddy::testing::keyspace_digest;

namespace {

using Command = std::vector<std::string>;

// Shards on one FakeRuntime whose disk is a SimDisk; keys go to shards by slot, as the engine
// routes them.
struct Node {
  Node(FakeRuntime& rt, std::uint32_t shard_count) : runtime(&rt) {
    for (std::uint32_t s = 0; s < shard_count; ++s) {
      shards.push_back(std::make_unique<Shard>(s, 0, &rt));
      shard_ptrs.push_back(shards.back().get());
    }
    snapshotter = std::make_unique<Snapshotter>(&rt, shard_ptrs, "dump.rdb");
  }
  std::uint32_t shard_of(std::string_view key) const {
    return static_cast<std::uint32_t>(key_slot(key) * shards.size() / limits::cluster_slots);
  }
  std::string run(int db, const Command& args) {
    const CommandSpec* spec = table.find(args[0]);
    REQUIRE(spec != nullptr);
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder reply(&out, 2);
    shards[shard_of(args[1])]->writes().apply(*spec, db, views, reply, runtime->unix_now_ms());
    return out;
  }
  std::vector<std::uint64_t> digests() {
    std::vector<std::uint64_t> out;
    for (auto& shard : shards) out.push_back(keyspace_digest(*shard, runtime->unix_now_ms()));
    return out;
  }
  bool load() {
    error.clear();
    report = {};
    return snapshotter->load([this](std::string_view key) { return shard_of(key); }, &report,
                             &error);
  }

  FakeRuntime* runtime;
  CommandTable table;
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<Shard*> shard_ptrs;
  std::unique_ptr<Snapshotter> snapshotter;
  SnapshotLoadReport report;
  std::string error;
};

// A random write of any type on keys k0..k(n-1), some with TTLs.
Command random_write(Rng& rng, int keys) {
  const std::string key = "k" + std::to_string(rng.between(0, keys - 1));
  const std::string v = std::to_string(rng.between(0, 1000));
  switch (rng.between(0, 11)) {
    case 0:
      return {"SET", key, "value-" + v};
    case 1:
      return {"DEL", key};
    case 2:
      return {"HSET", key + "h", "f" + v, v};
    case 3:
      return {"RPUSH", key + "l", v, v + "x"};
    case 4:
      return {"SADD", key + "s", v};
    case 5:
      return {"ZADD", key + "z", v, "m" + v};
    case 6:
      return {"PFADD", key + "p", v};
    case 7:
      return {"PEXPIRE", key, "1000000"};
    case 8:
      return {"INCR", key + "n"};
    case 9:
      return {"SET", key, std::string(static_cast<std::size_t>(rng.between(100, 3000)), 'a')};
    case 10:
      return {"PERSIST", key};
    default:
      return {"LPOP", key + "l"};
  }
}

void populate(Node& node, Rng& rng, int keys, int writes) {
  for (int i = 0; i < writes; ++i) {
    node.run(static_cast<int>(rng.between(0, 3)), random_write(rng, keys));
  }
}

void flip_byte(SimDisk& disk, const std::string& path, std::uint64_t offset) {
  const std::string bytes = disk.contents(path);
  REQUIRE(offset < bytes.size());
  const Disk::FileId file = disk.open(path, false, nullptr);
  REQUIRE(file >= 0);
  const char flipped = static_cast<char>(bytes[offset] ^ 0x5A);
  REQUIRE(disk.write_at(file, offset, std::string_view(&flipped, 1)));
  REQUIRE(disk.sync(file));
  disk.close(file);
}

}  // namespace

TEST_CASE("snapshot: blocks and manifests survive encoding, and hostile bytes are refused",
          "[snapshot]") {
  std::string raw;
  for (int i = 0; i < 200; ++i) append_entry(i % 16, "key" + std::to_string(i), i, "payload", &raw);
  std::string block;
  append_block(BlockKind::kEntries, raw, &block);
  CHECK(block.size() < raw.size());  // repetitive entries compress
  BlockHeader header;
  std::string error;
  REQUIRE(parse_block_header(std::string_view(block).substr(0, kSnapshotBlockHeaderBytes), &header,
                             &error));
  std::string decoded;
  REQUIRE(open_block(std::string_view(block).substr(0, kSnapshotBlockHeaderBytes), header,
                     std::string_view(block).substr(kSnapshotBlockHeaderBytes), &decoded, &error));
  CHECK(decoded == raw);
  std::size_t pos = 0;
  DecodedEntry entry;
  REQUIRE(decode_entry(decoded, &pos, &entry, &error));
  CHECK(entry.db == 0);
  CHECK(entry.key == "key0");
  CHECK(entry.payload == "payload");

  // Any damaged byte is refused by the header's bounds or the checksum; nothing crashes.
  Rng rng(3);
  for (int round = 0; round < 500; ++round) {
    std::string damaged = block;
    const auto at =
        static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(damaged.size()) - 1));
    damaged[at] = static_cast<char>(damaged[at] ^ static_cast<char>(rng.between(1, 255)));
    BlockHeader h;
    const std::string_view head = std::string_view(damaged).substr(0, kSnapshotBlockHeaderBytes);
    if (!parse_block_header(head, &h, &error)) continue;
    if (h.stored_bytes != damaged.size() - kSnapshotBlockHeaderBytes) continue;
    CHECK_FALSE(open_block(head, h, std::string_view(damaged).substr(kSnapshotBlockHeaderBytes),
                           &decoded, &error));
  }
  // Entries that lie about their lengths.
  pos = 0;
  CHECK_FALSE(decode_entry(std::string("\x00\x7fkey", 5), &pos, &entry, &error));
  pos = 0;
  CHECK_FALSE(decode_entry(std::string("\x10\x01k\x00\x00", 5), &pos, &entry, &error));

  Manifest manifest;
  manifest.generation = 7;
  manifest.saved_unix_ms = 1234;
  manifest.files = {{"dump.rdb.7.0.snap", 100, 0xabcdef}, {"dump.rdb.7.1.snap", 5, 1}};
  const std::string text = encode_manifest(manifest);
  Manifest back;
  REQUIRE(decode_manifest(text, &back, &error));
  CHECK(back.generation == 7);
  CHECK(back.files.size() == 2);
  CHECK(back.files[0].hash == 0xabcdef);
  for (std::size_t n = 0; n < text.size(); ++n) {
    CHECK_FALSE(decode_manifest(text.substr(0, n), &back, &error));
    std::string damaged = text;
    damaged[n] = damaged[n] == '1' ? '2' : '1';
    CHECK_FALSE(decode_manifest(damaged, &back, &error));
  }
}

TEST_CASE("snapshot: save rules parse as Redis writes them", "[snapshot]") {
  std::vector<SaveRule> rules;
  REQUIRE(parse_save_rules("3600 1 300 100 60 10000", &rules));
  REQUIRE(rules.size() == 3);
  CHECK(rules[2].seconds == 60);
  CHECK(rules[2].changes == 10000);
  REQUIRE(parse_save_rules("", &rules));
  CHECK(rules.empty());
  CHECK_FALSE(parse_save_rules("3600", &rules));
  CHECK_FALSE(parse_save_rules("0 1", &rules));
  CHECK_FALSE(parse_save_rules("x 1", &rules));
}

namespace {

// One trial of the cut check: two shards with ~12 000 random writes of every type over four
// databases, then a snapshot in steps of 50 entries with 20 random writes between steps (and,
// at random, FLUSHDB and SWAPDB); the files are loaded into fresh shards and compared with the
// keyspace digest taken at the cut.
struct CutTrial {
  bool loaded = false;
  std::string load_error;
  bool matches_cut = false;  // the checker: loaded digests == digests at the cut
  bool changed_since_cut = false;
  std::uint64_t entries_by_hook = 0;
  bool detached = true;
  bool memory_exact = true;
};

CutTrial run_cut_trial(std::uint64_t seed) {
  CutTrial trial;
  FakeRuntime rt(seed);
  Rng rng(seed);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  Node node(rt, 2);
  // Enough keys for many table segments per database.
  populate(node, rng, 3000, 12000);
  const std::vector<std::uint64_t> at_cut = node.digests();

  std::vector<std::unique_ptr<ShardSnapshot>> snapshots;
  Manifest manifest;
  manifest.generation = 1;
  for (std::uint32_t s = 0; s < 2; ++s) {
    snapshots.push_back(std::make_unique<ShardSnapshot>(node.shard_ptrs[s], &disk,
                                                        node.snapshotter->shard_file(1, s),
                                                        SnapshotHeader{s, 2, 1, rt.unix_now_ms()}));
    std::string error;
    REQUIRE(snapshots.back()->begin(&error));
  }
  std::vector<bool> done(2, false);
  int rounds = 0;
  while (!done[0] || !done[1]) {
    for (int w = 0; w < 20; ++w) {
      node.run(static_cast<int>(rng.between(0, 3)), random_write(rng, 3000));
    }
    if (rng.below(40) == 0) {
      node.shards[rng.below(2)]->flush_db(static_cast<int>(rng.between(0, 3)), rt.unix_now_ms());
    }
    if (rng.below(40) == 0) node.shards[rng.below(2)]->swap_dbs(1, 2, rt.unix_now_ms());
    for (std::uint32_t s = 0; s < 2; ++s) {
      if (done[s]) continue;
      const auto progress = snapshots[s]->step(50);
      REQUIRE(progress != ShardSnapshot::Progress::kFailed);
      done[s] = progress == ShardSnapshot::Progress::kDone;
    }
    ++rounds;
    REQUIRE(rounds < 100000);
  }
  for (std::uint32_t s = 0; s < 2; ++s) {
    manifest.files.push_back(
        {snapshots[s]->path(), snapshots[s]->file_bytes(), snapshots[s]->file_hash()});
    trial.entries_by_hook += snapshots[s]->entries_by_hook();
    // Detached: the tables merge again and no hook runs.
    trial.detached = trial.detached && node.shards[s]->writes().snapshot_hook() == nullptr;
  }
  trial.changed_since_cut = node.digests() != at_cut;
  std::string reason;
  REQUIRE(disk.replace_file("dump.rdb", encode_manifest(manifest), &reason));

  Node loaded(rt, 2);
  trial.loaded = loaded.load();
  trial.load_error = loaded.error;
  trial.matches_cut = trial.loaded && loaded.digests() == at_cut;
  for (auto& shard : loaded.shards) {
    trial.memory_exact = trial.memory_exact && eddy::testing::memory_accounting_exact(*shard);
  }
  return trial;
}

// Switches a planted bug on for one scope.
struct PlantScope {
  explicit PlantScope(PlantedBug bug) { set_planted_bugs(static_cast<std::uint32_t>(bug)); }
  ~PlantScope() { set_planted_bugs(0); }
};

}  // namespace

TEST_CASE("snapshot: taken while writers run, it holds the keyspace at its cut", "[snapshot]") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    const CutTrial trial = run_cut_trial(seed);
    REQUIRE(trial.loaded);
    CHECK(trial.matches_cut);
    // Writes did meet segments not yet serialized (else this shows nothing of the cut).
    CHECK(trial.entries_by_hook > 0);
    CHECK(trial.changed_since_cut);
    CHECK(trial.detached);
    CHECK(trial.memory_exact);
  }
}

TEST_CASE("planted: a snapshot that skips the write hook is caught by the cut check",
          "[snapshot][planted]") {
  const PlantScope plant(PlantedBug::kSnapshotSkipsWriteHook);
  std::uint64_t caught_at = 0;
  for (std::uint64_t seed = 1; seed <= 1000 && caught_at == 0; ++seed) {
    const CutTrial trial = run_cut_trial(seed);
    // The files are well formed: it is the comparison with the cut that catches the bug, not
    // the loader.
    REQUIRE(trial.loaded);
    if (!trial.matches_cut) caught_at = seed;
  }
  REQUIRE(caught_at != 0);
  WARN("planted bug 'snapshot-skips-write-hook' caught by the cut check at seed " << caught_at);
}

TEST_CASE("snapshot: SAVE's files come back, and a crash during the next leaves it whole",
          "[snapshot]") {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    CAPTURE(seed);
    FakeRuntime rt(seed);
    Rng rng(seed);
    SimDiskFaults faults;
    faults.torn_write_probability = 0.5;
    SimDisk disk(rng, faults);
    rt.use_disk(&disk);
    std::vector<std::uint64_t> saved;
    {
      Node node(rt, 2);
      populate(node, rng, 2000, 6000);
      node.run(5, {"SET", "ttl-key", "v", "PX", "500000"});
      std::string error;
      REQUIRE(node.snapshotter->save_blocking(&error));
      CHECK(node.snapshotter->last_status_ok());
      saved = node.digests();
      // A second snapshot begins after more writes and the process dies half-way.
      populate(node, rng, 2000, 3000);
      ShardSnapshot second(node.shard_ptrs[0], &disk, node.snapshotter->shard_file(2, 0),
                           SnapshotHeader{0, 2, 2, rt.unix_now_ms()});
      REQUIRE(second.begin(&error));
      for (int i = 0; i < 3; ++i) REQUIRE(second.step(50) == ShardSnapshot::Progress::kMore);
      // The other shard's file is complete and synced, the manifest not yet switched.
      ShardSnapshot other(node.shard_ptrs[1], &disk, node.snapshotter->shard_file(2, 1),
                          SnapshotHeader{1, 2, 2, rt.unix_now_ms()});
      REQUIRE(other.begin(&error));
      while (other.step(500) == ShardSnapshot::Progress::kMore) {
      }
      disk.crash(rng);
      second.abandon();
    }
    // The leftovers of the second snapshot are on disk; the manifest does not name them.
    CHECK_FALSE(disk.contents("dump.rdb.2.1.snap").empty());
    Node again(rt, 2);
    REQUIRE(again.load());
    CHECK(again.report.generation == 1);
    CHECK(again.digests() == saved);
    CHECK(again.run(5, {"PTTL", "ttl-key"}).substr(0, 1) == ":");
    // The next snapshot takes a generation above every file on disk, and removes the others.
    std::string error;
    REQUIRE(again.snapshotter->save_blocking(&error));
    for (const std::string& name : disk.list("")) {
      if (name != "dump.rdb") CHECK(name.rfind("dump.rdb.3.", 0) == 0);
    }
    Node third(rt, 2);
    REQUIRE(third.load());
    CHECK(third.report.generation == 3);
    CHECK(third.digests() == saved);
  }
}

TEST_CASE("snapshot: damaged, torn or mismatched files refuse the load, naming file and offset",
          "[snapshot]") {
  FakeRuntime rt;
  Rng rng(9);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  {
    Node node(rt, 1);
    populate(node, rng, 3000, 8000);
    std::string error;
    REQUIRE(node.snapshotter->save_blocking(&error));
  }
  const std::string file = "dump.rdb.1.0.snap";
  const std::string good = disk.contents(file);
  REQUIRE(good.size() > 1000);
  {
    Node node(rt, 1);
    REQUIRE(node.load());
    CHECK(node.report.keys_loaded > 0);
  }
  SECTION("a damaged byte inside a block") {
    flip_byte(disk, file, 500);
    Node node(rt, 1);
    CHECK_FALSE(node.load());
    CHECK_THAT(node.error,
               Catch::Matchers::Contains(file) && Catch::Matchers::Contains("at offset"));
  }
  SECTION("a torn file") {
    const Disk::FileId id = disk.open(file, false, nullptr);
    REQUIRE(disk.truncate(id, good.size() / 2));
    REQUIRE(disk.sync(id));
    disk.close(id);
    Node node(rt, 1);
    CHECK_FALSE(node.load());
    CHECK_THAT(node.error, Catch::Matchers::Contains(file) && Catch::Matchers::Contains("torn"));
  }
  SECTION("a damaged manifest") {
    flip_byte(disk, "dump.rdb", 20);
    Node node(rt, 1);
    CHECK_FALSE(node.load());
    CHECK_THAT(node.error, Catch::Matchers::Contains("manifest"));
  }
  SECTION("another shard count") {
    Node node(rt, 2);
    CHECK_FALSE(node.load());
    CHECK_THAT(node.error, Catch::Matchers::Contains("--shards"));
  }
  SECTION("no snapshot at all is an empty start") {
    REQUIRE(disk.remove("dump.rdb"));
    Node node(rt, 1);
    CHECK(node.load());
    CHECK_FALSE(node.report.found);
  }
}

TEST_CASE("snapshot: a disk error fails the snapshot cleanly and keeps the previous one",
          "[snapshot]") {
  FakeRuntime rt;
  Rng rng(11);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  Node node(rt, 2);
  populate(node, rng, 2000, 6000);
  std::string error;
  REQUIRE(node.snapshotter->save_blocking(&error));
  const std::vector<std::uint64_t> saved = node.digests();
  populate(node, rng, 2000, 2000);
  // Every write and sync fails from now on.
  SimDiskFaults faults;
  faults.write_error_probability = 1.0;
  faults.sync_error_probability = 1.0;
  disk.set_faults(faults);
  CHECK_FALSE(node.snapshotter->save_blocking(&error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(node.snapshotter->last_status_ok());
  CHECK_FALSE(node.snapshotter->in_progress());
  for (auto& shard : node.shards) CHECK(shard->writes().snapshot_hook() == nullptr);
  // The failed generation left no file behind; the manifest still names the first snapshot.
  for (const std::string& name : disk.list("")) {
    if (name != "dump.rdb") CHECK(name.rfind("dump.rdb.1.", 0) == 0);
  }
  disk.set_faults(SimDiskFaults{});
  Node again(rt, 2);
  REQUIRE(again.load());
  CHECK(again.report.generation == 1);
  CHECK(again.digests() == saved);
}

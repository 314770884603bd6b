// The write-ahead log (engine/storage/aof.h): the record codec against hostile bytes, recovery
// on the simulator's disk after crashes (torn tails cut, damage in the middle refused with the
// file and offset), cross-shard transactions recovered all or nothing, and the property that a
// crash after any command stream recovers each shard to a state it had at or after its last sync.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/cmd/reply_builder.h"
#include "engine/rng.h"
#include "engine/shard.h"
#include "engine/storage/aof.h"
#include "engine/storage/effect_codec.h"
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

// A node's worth of shards on one FakeRuntime whose disk is a SimDisk that survives "restarts"
// (a new Node on the same disk after crash()).
struct Node {
  Node(FakeRuntime& rt, std::uint32_t shard_count) : runtime(&rt) {
    for (std::uint32_t s = 0; s < shard_count; ++s) {
      shards.push_back(std::make_unique<Shard>(s, 0, &rt));
      shard_ptrs.push_back(shards.back().get());
    }
    aof = std::make_unique<AppendOnlyLog>(&rt, &table, shard_ptrs);
  }
  bool open(AofOptions options = {}) {
    error.clear();
    return aof->open(options, &report, &error);
  }
  // Runs a command on shard `s` through its write path.
  std::string run(std::uint32_t s, const Command& args) {
    const CommandSpec* spec = table.find(args[0]);
    REQUIRE(spec != nullptr);
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder reply(&out, 2);
    shards[s]->writes().apply(*spec, 0, views, reply, runtime->unix_now_ms());
    return out;
  }
  void flush(std::uint32_t s, bool sync) { aof->logs()[s]->flush_once(sync); }
  std::uint64_t digest(std::uint32_t s) {
    return keyspace_digest(*shards[s], runtime->unix_now_ms());
  }

  FakeRuntime* runtime;
  CommandTable table;
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<Shard*> shard_ptrs;
  std::unique_ptr<AppendOnlyLog> aof;
  RecoveryReport report;
  std::string error;
};

AofOptions options_with(FsyncPolicy policy) {
  AofOptions options;
  options.fsync = policy;
  return options;
}

std::string encoded(const EffectBatch& batch) {
  std::string out;
  encode_batch(batch, &out);
  return out;
}

}  // namespace

TEST_CASE("aof: an effect batch survives encoding, and hostile payloads are refused", "[aof]") {
  const std::vector<std::string_view> set_args{"SET", "k", std::string_view("v\0x", 3)};
  const std::vector<std::string_view> del_args{"DEL", "a", "b"};
  const Effect effects[] = {{3, set_args}, {0, del_args}};
  const EffectBatch batch{2, 99, 3, -1234567, effects};
  const std::string payload = encoded(batch);

  DecodedBatch decoded;
  std::string error;
  REQUIRE(decode_batch(payload, &decoded, &error));
  CHECK(decoded.shard == 2);
  CHECK(decoded.tx_id == 99);
  CHECK(decoded.tx_parts == 3);
  CHECK(decoded.now_ms == -1234567);
  REQUIRE(decoded.effects.size() == 2);
  CHECK(decoded.effects[0].db == 3);
  CHECK(std::vector<std::string_view>(decoded.effects[0].args.begin(),
                                      decoded.effects[0].args.end()) == set_args);
  CHECK(std::vector<std::string_view>(decoded.effects[1].args.begin(),
                                      decoded.effects[1].args.end()) == del_args);

  // Every strict prefix and every payload with a byte more is refused.
  for (std::size_t n = 0; n < payload.size(); ++n) {
    CHECK_FALSE(decode_batch(payload.substr(0, n), &decoded, &error));
  }
  CHECK_FALSE(decode_batch(payload + "x", &decoded, &error));
  // Lies: a database, a shard, a part count out of range.
  const Effect bad_db[] = {{16, set_args}};
  CHECK_FALSE(decode_batch(encoded(EffectBatch{0, 0, 1, 0, bad_db}), &decoded, &error));
  CHECK_THAT(error, Catch::Matchers::Contains("database 16"));
  const Effect one[] = {{0, set_args}};
  CHECK_FALSE(decode_batch(encoded(EffectBatch{0, 5, 0 + 1, 0, one}).replace(3, 1, "\x00", 1),
                           &decoded, &error));
  // Random damage never crashes or reads out of bounds (ASan builds check the second part).
  Rng rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = payload;
    const int flips = static_cast<int>(rng.between(1, 4));
    for (int f = 0; f < flips; ++f) {
      damaged[static_cast<std::size_t>(
          rng.between(0, static_cast<std::int64_t>(damaged.size()) - 1))] =
          static_cast<char>(rng.between(0, 255));
    }
    if (decode_batch(damaged, &decoded, &error)) {
      for (const Effect& e : decoded.effects) {
        CHECK(e.db < 16);
        CHECK_FALSE(e.args.empty());
      }
    }
  }
}

TEST_CASE("aof: what was synced comes back after a restart", "[aof]") {
  FakeRuntime rt;
  Rng rng(1);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  std::uint64_t digest = 0;
  {
    Node node(rt, 1);
    REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
    node.run(0, {"SET", "s", "hello"});
    node.run(0, {"INCRBY", "n", "41"});
    node.run(0, {"INCR", "n"});
    node.run(0, {"RPUSH", "l", "a", "b", "c"});
    node.run(0, {"LPOP", "l"});
    node.run(0, {"HSET", "h", "f", "v"});
    node.run(0, {"SET", "t", "x", "PX", "100000"});
    node.run(0, {"GET", "s"});  // a read logs nothing
    node.flush(0, false);
    digest = node.digest(0);
    CHECK(node.aof->logs()[0]->durable_bytes() == node.aof->logs()[0]->appended_bytes());
  }
  disk.crash(rng);
  Node again(rt, 1);
  REQUIRE(again.open());
  CHECK(again.report.batches_applied == 7);
  CHECK(again.digest(0) == digest);
  CHECK(again.run(0, {"GET", "n"}) == "$2\r\n42\r\n");
}

TEST_CASE("aof: a torn last record is cut off and reported", "[aof]") {
  // A crash keeps a random prefix of the unsynced writes; over seeds, the one unsynced write
  // either survives whole or is torn (torn_write_probability 1), and both must recover.
  int torn_runs = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    FakeRuntime rt;
    Rng rng(seed);
    SimDiskFaults faults;
    faults.torn_write_probability = 1.0;
    SimDisk disk(rng, faults);
    rt.use_disk(&disk);
    std::uint64_t synced_digest = 0;
    std::uint64_t written_digest = 0;
    {
      Node node(rt, 1);
      REQUIRE(node.open(options_with(FsyncPolicy::kNo)));
      node.run(0, {"SET", "a", "1"});
      node.flush(0, true);
      synced_digest = node.digest(0);
      // One unsynced write of many bytes.
      node.run(0, {"SET", "b", std::string(1000, 'x')});
      node.flush(0, false);
      written_digest = node.digest(0);
    }
    disk.crash(rng);
    Node again(rt, 1);
    REQUIRE(again.open());
    CHECK(again.report.damaged_bytes == 0);
    if (again.report.torn_bytes > 0) {
      ++torn_runs;
      CHECK(again.digest(0) == synced_digest);
    } else {
      CHECK((again.digest(0) == written_digest || again.digest(0) == synced_digest));
    }
    // Appends after the cut follow good data: one more restart reads everything.
    again.run(0, {"SET", "c", "3"});
    again.flush(0, true);
    const std::uint64_t digest = again.digest(0);
    Node third(rt, 1);
    REQUIRE(third.open());
    CHECK(third.report.torn_bytes == 0);
    CHECK(third.digest(0) == digest);
  }
  CHECK(torn_runs > 0);
}

TEST_CASE("aof: damage in the middle stops start-up naming the file and offset", "[aof]") {
  FakeRuntime rt;
  Rng rng(5);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  std::string path;
  std::uint64_t first_records_end = 0;
  {
    Node node(rt, 1);
    REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
    path = node.aof->file_of(0);
    first_records_end = node.aof->logs()[0]->appended_bytes();  // the header record
    node.run(0, {"SET", "a", "1"});
    node.run(0, {"SET", "b", "2"});
    node.flush(0, false);
  }
  // Flip a byte of the first batch record's payload: its checksum fails, and a good record
  // follows, so this is no torn tail.
  const Disk::FileId file = disk.open(path, false, nullptr);
  REQUIRE(file >= 0);
  const std::uint64_t at = first_records_end + kRecordHeaderBytes + 2;
  const char byte = disk.contents(path).at(at);
  REQUIRE(disk.write_at(file, at, std::string(1, static_cast<char>(~byte))));
  REQUIRE(disk.sync(file));
  disk.close(file);
  const std::string before = disk.contents(path);

  Node refused(rt, 1);
  CHECK_FALSE(refused.open());
  CHECK_THAT(refused.error, Catch::Matchers::Contains(path));
  CHECK_THAT(refused.error,
             Catch::Matchers::Contains("at offset " + std::to_string(first_records_end)));
  CHECK(disk.contents(path) == before);  // nothing was cut

  AofOptions opt_in;
  opt_in.load_damaged_prefix = true;
  Node prefix(rt, 1);
  REQUIRE(prefix.open(opt_in));
  CHECK(prefix.report.damaged_bytes > 0);
  CHECK(prefix.run(0, {"EXISTS", "a", "b"}) == ":0\r\n");
}

TEST_CASE("aof: a cross-shard transaction is recovered all or nothing", "[aof]") {
  FakeRuntime rt;
  Rng rng(9);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  // A transaction's part on shard s, as the write path hands it to the log.
  auto part = [&](Node& node, std::uint32_t s, std::uint64_t tx, std::string_view value) {
    const std::string key = "k" + std::to_string(s);
    const std::vector<std::string_view> args{"SET", key, value};
    const Effect effect{0, args};
    node.aof->logs()[s]->on_effects(EffectBatch{s, tx, 2, rt.unix_now_ms(), {&effect, 1}});
  };
  {
    Node node(rt, 2);
    REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
    part(node, 0, 7, "old");
    part(node, 1, 7, "old");
    node.flush(0, false);
    node.flush(1, false);
    // Transaction 8 reaches shard 0's log only; shard 1's part is still in memory at the crash.
    part(node, 0, 8, "new");
    part(node, 1, 8, "new");
    node.flush(0, false);
    // A later single-shard write on shard 0 is its own unit and stays.
    node.run(0, {"SET", "other", "1"});
    node.flush(0, false);
  }
  disk.crash(rng);
  Node again(rt, 2);
  REQUIRE(again.open());
  CHECK(again.report.transactions_dropped == 1);
  CHECK(again.report.batches_dropped == 1);
  CHECK(again.report.max_tx_id == 8);
  CHECK(again.run(0, {"GET", "k0"}) == "$3\r\nold\r\n");
  CHECK(again.run(1, {"GET", "k1"}) == "$3\r\nold\r\n");
  CHECK(again.run(0, {"GET", "other"}) == "$1\r\n1\r\n");
}

// DEL a b with b missing on another shard, or MULTI; INCR a; GET b; EXEC: the transaction has
// two parts (every shard it touches), and the part of the shard it only read or found nothing
// on is empty. Recovery must still find two parts, or it drops the change to `a`.
TEST_CASE("aof: a transaction whose part on one shard changes nothing is recovered", "[aof]") {
  FakeRuntime rt;
  Rng rng(10);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  {
    Node node(rt, 2);
    REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
    node.run(0, {"SET", "a", "1"});
    // The parts as the coordinator runs them (Transaction::write_part). Transaction 5: shard 0
    // deletes a, shard 1 finds b missing and changes nothing.
    node.shards[0]->writes().run_unit(rt.unix_now_ms(), 5, 2, [&] {
      node.shards[0]->db(0).clear();
      node.shards[0]->writes().emit(0, {"DEL", "a"});
    });
    node.shards[1]->writes().run_unit(rt.unix_now_ms(), 5, 2, [] {});
    // Transaction 6: shard 0 sets c, shard 1 only reads.
    node.shards[0]->writes().run_unit(rt.unix_now_ms(), 6, 2, [&] {
      node.shards[0]->writes().emit(0, {"SET", "c", "1"});
    });
    node.shards[1]->writes().run_unit(rt.unix_now_ms(), 6, 2, [] {});
    node.flush(0, true);
    node.flush(1, true);
  }
  disk.crash(rng);
  Node again(rt, 2);
  REQUIRE(again.open());
  CHECK(again.report.transactions_dropped == 0);
  CHECK(again.report.max_tx_id == 6);
  CHECK(again.run(0, {"EXISTS", "a"}) == ":0\r\n");
  CHECK(again.run(0, {"GET", "c"}) == "$1\r\n1\r\n");

  // The codec takes an empty part of a transaction, and refuses an empty single-shard batch.
  DecodedBatch decoded;
  std::string error;
  REQUIRE(decode_batch(encoded(EffectBatch{1, 5, 2, 0, {}}), &decoded, &error));
  CHECK(decoded.tx_id == 5);
  CHECK(decoded.effects.empty());
  CHECK_FALSE(decode_batch(encoded(EffectBatch{1, 0, 1, 0, {}}), &decoded, &error));
}

TEST_CASE("aof: a log written with another shard count is refused", "[aof]") {
  FakeRuntime rt;
  Rng rng(11);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  {
    Node node(rt, 2);
    REQUIRE(node.open());
  }
  Node fewer(rt, 1);
  CHECK_FALSE(fewer.open());
  CHECK_THAT(fewer.error, Catch::Matchers::Contains("runs 1 shards"));
  Node more(rt, 3);
  CHECK_FALSE(more.open());
  CHECK_THAT(more.error, Catch::Matchers::Contains("runs 3 shards"));
}

TEST_CASE("aof: an fsync error refuses writes with MISCONF and fails waiting replies", "[aof]") {
  FakeRuntime rt;
  Rng rng(13);
  SimDisk disk(rng);
  rt.use_disk(&disk);
  Node node(rt, 1);
  REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
  node.run(0, {"SET", "a", "1"});
  SimDiskFaults faults;
  faults.sync_error_probability = 1.0;
  disk.set_faults(faults);
  node.flush(0, false);
  REQUIRE(node.aof->refusing_writes());
  CHECK_THAT(node.aof->misconf_error(),
             Catch::Matchers::StartsWith("MISCONF Errors writing to the AOF file: "));
  // Nothing more is logged once failed, and a reply that would wait is refused at once.
  const std::uint64_t appended = node.aof->logs()[0]->appended_bytes();
  node.run(0, {"SET", "b", "2"});
  CHECK(node.aof->logs()[0]->appended_bytes() == appended);
}

// Records framed while the flusher waited for the disk are still buffered when the sync fails:
// the flusher must drop them and go idle (it used to loop forever, the core hung). Without the
// fix this test never returns from run_ready().
TEST_CASE("aof: after an fsync error the flusher drops its buffer and goes idle", "[aof]") {
  FakeRuntime rt;
  Rng rng(14);
  // Each disk call from a fiber yields once, as a real one suspends while the I/O thread runs.
  SimDisk disk(rng, {}, [&](Nanos) {
    if (rt.scheduler().in_fiber()) rt.scheduler().yield();
  });
  rt.use_disk(&disk);
  Node node(rt, 1);
  REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
  ShardLog* log = node.aof->logs()[0].get();
  rt.scheduler().spawn("aof-flush", [log] { log->run_flusher(); });
  rt.scheduler().run_ready();
  CHECK_FALSE(rt.scheduler().has_ready());  // idle
  SimDiskFaults faults;
  faults.sync_error_probability = 1.0;
  disk.set_faults(faults);
  node.run(0, {"SET", "a", "1"});  // wakes the flusher, which starts writing
  rt.scheduler().run_ready();
  node.run(0, {"SET", "b", "2"});  // framed while the disk is busy
  CHECK(log->buffered_bytes() > 0);
  for (int round = 0; round < 10 && rt.scheduler().has_ready(); ++round) {
    rt.scheduler().run_ready();
  }
  REQUIRE(node.aof->refusing_writes());
  CHECK_FALSE(rt.scheduler().has_ready());
  CHECK(log->buffered_bytes() == 0);
  CHECK(rt.scheduler().live_count() == 1);  // the flusher, parked (unwound by the teardown)
}

// Under appendfsync no a writer past the backlog bound waits for the log to be written, not
// synced (eddy never syncs under no): it used to wait for a sync that never came. Likewise a
// reply parked under always is released when CONFIG SET appendfsync no comes meanwhile.
TEST_CASE("aof: a reply waiting on the log is released once written under appendfsync no",
          "[aof]") {
  FakeRuntime rt;
  Rng rng(15);
  SimDisk disk(rng, {}, [&](Nanos) {
    if (rt.scheduler().in_fiber()) rt.scheduler().yield();
  });
  rt.use_disk(&disk);
  Node node(rt, 1);
  REQUIRE(node.open(options_with(FsyncPolicy::kNo)));
  ShardLog* log = node.aof->logs()[0].get();
  rt.scheduler().spawn("aof-flush", [log] { log->run_flusher(); });
  rt.scheduler().run_ready();
  int replied = 0;
  bool ok = false;
  auto reply_after_wait = [&] {
    rt.scheduler().spawn("session", [&] {
      ok = node.aof->await_before_reply(true);
      ++replied;
    });
  };

  node.run(0, {"SET", "big", std::string(kUnsyncedBytesMax + 1024, 'x')});
  reply_after_wait();
  for (int round = 0; round < 20 && replied == 0; ++round) rt.scheduler().run_ready();
  CHECK(replied == 1);
  CHECK(ok);
  CHECK(log->written_bytes() == log->appended_bytes());
  CHECK(log->durable_bytes() < log->appended_bytes());  // never synced under no

  node.aof->set_fsync_policy(FsyncPolicy::kAlways);
  node.run(0, {"SET", "a", "1"});
  reply_after_wait();
  rt.scheduler().run_ready();  // the flusher starts writing, the reply parks
  CHECK(replied == 1);
  node.aof->set_fsync_policy(FsyncPolicy::kNo);  // CONFIG SET appendfsync no
  for (int round = 0; round < 20 && replied == 1; ++round) rt.scheduler().run_ready();
  CHECK(replied == 2);
  CHECK(ok);
}

// Under always a reply that only read waits too while a log holds writes not yet synced: the
// read may show one (another client's), and a crash could still take it back. Under everysec
// it does not wait, and after a failure reads are still answered while writes are not.
TEST_CASE("aof: under appendfsync always a read's reply waits for the sync of what it may show",
          "[aof]") {
  FakeRuntime rt;
  Rng rng(16);
  SimDisk disk(rng, {}, [&](Nanos) {
    if (rt.scheduler().in_fiber()) rt.scheduler().yield();
  });
  rt.use_disk(&disk);
  Node node(rt, 1);
  REQUIRE(node.open(options_with(FsyncPolicy::kAlways)));
  ShardLog* log = node.aof->logs()[0].get();
  rt.scheduler().spawn("aof-flush", [log] { log->run_flusher(); });
  rt.scheduler().run_ready();
  int replied = 0;
  bool ok = false;
  auto read_reply = [&] {
    rt.scheduler().spawn("reader", [&] {
      ok = node.aof->await_before_reply(false);
      ++replied;
    });
  };

  read_reply();  // nothing pending: no wait
  rt.scheduler().run_ready();
  CHECK(replied == 1);
  CHECK(ok);

  node.run(0, {"SET", "a", "1"});  // another client's write, not yet durable
  read_reply();
  rt.scheduler().run_ready();
  CHECK(replied == 1);  // parked until the sync
  for (int round = 0; round < 20 && replied == 1; ++round) rt.scheduler().run_ready();
  CHECK(replied == 2);
  CHECK(ok);
  CHECK(log->durable_bytes() == log->appended_bytes());

  node.aof->set_fsync_policy(FsyncPolicy::kEverySec);
  node.run(0, {"SET", "b", "2"});
  read_reply();
  rt.scheduler().run_ready();
  CHECK(replied == 3);  // at once

  node.aof->set_fsync_policy(FsyncPolicy::kAlways);
  node.aof->fail("test: disk gone");
  read_reply();
  rt.scheduler().run_ready();
  CHECK(replied == 4);
  CHECK(ok);                                        // a read is answered
  CHECK_FALSE(node.aof->await_before_reply(true));  // a write is not
}

namespace {

// Commands over few keys, of the types the log must bring back: strings, counters, lists,
// hashes, sets, TTLs, deletions.
rc::Gen<Command> logged_command() {
  const auto key = rc::gen::element<std::string>("a", "b", "c", "d");
  const auto value =
      rc::gen::element<std::string>("", "1", "-7", "x", "hello", std::string(300, 'z'));
  const auto ms = rc::gen::element<std::string>("5", "50", "100000");
  return rc::gen::oneOf(rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Command{"SET", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Command{"INCR", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Command{"APPEND", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Command{"RPUSH", k, v, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k) {
                              return Command{"LPOP", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Command{"HSET", k, "f", v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string v) {
                              return Command{"SADD", k, v};
                            },
                            key, value),
                        rc::gen::apply(
                            [](std::string k, std::string m) {
                              return Command{"PEXPIRE", k, m};
                            },
                            key, ms),
                        rc::gen::apply(
                            [](std::string k) {
                              return Command{"DEL", k};
                            },
                            key),
                        rc::gen::apply(
                            [](std::string k) {
                              return Command{"INCRBYFLOAT", k, "1.5"};
                            },
                            key),
                        rc::gen::just(Command{"(advance)"}), rc::gen::just(Command{"(flush)"}),
                        rc::gen::just(Command{"(sync)"}));
}

// Counts the batches each shard's write path hands out (beside the log, which comes first).
class BatchCounter final : public WriteObserver {
 public:
  void on_effects(const EffectBatch&) override { ++batches; }
  std::uint64_t batches = 0;
};

}  // namespace

TEST_CASE("aof: after a crash each shard recovers a state it had at or after its last sync",
          "[aof][property]") {
  rc::prop("recovered keyspace is a synced-or-later prefix", [] {
    const auto commands = *rc::gen::container<std::vector<Command>>(logged_command());
    const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
    const auto torn = *rc::gen::element(0.0, 0.5, 1.0);
    FakeRuntime rt;
    Rng rng(seed);
    SimDiskFaults faults;
    faults.torn_write_probability = torn;
    SimDisk disk(rng, faults);
    rt.use_disk(&disk);
    constexpr std::uint32_t kShards = 2;
    // history[s][k] = (clock, digest) of shard s after its k-th batch.
    std::vector<std::map<std::uint64_t, std::pair<std::int64_t, std::uint64_t>>> history(kShards);
    std::vector<std::uint64_t> synced(kShards, 0);
    {
      Node node(rt, kShards);
      RC_ASSERT(node.open(options_with(FsyncPolicy::kNo)));
      BatchCounter counters[kShards];
      for (std::uint32_t s = 0; s < kShards; ++s) {
        node.shards[s]->writes().add_observer(&counters[s]);
        history[s][0] = {rt.unix_now_ms(), node.digest(s)};
      }
      for (const Command& args : commands) {
        if (args[0] == "(advance)") {
          rt.advance_ms(20);
          continue;
        }
        if (args[0] == "(flush)" || args[0] == "(sync)") {
          for (std::uint32_t s = 0; s < kShards; ++s) {
            node.flush(s, args[0] == "(sync)");
            if (args[0] == "(sync)") synced[s] = counters[s].batches;
          }
          continue;
        }
        // Keys a, b on shard 0; c, d on shard 1.
        const std::uint32_t s = args[1] < "c" ? 0 : 1;
        node.run(s, args);
        history[s][counters[s].batches] = {rt.unix_now_ms(), node.digest(s)};
      }
      for (std::uint32_t s = 0; s < kShards; ++s)
        node.shards[s]->writes().remove_observer(&counters[s]);
    }
    disk.crash(rng);
    Node again(rt, kShards);
    RC_ASSERT(again.open());
    for (std::uint32_t s = 0; s < kShards; ++s) {
      bool matched = false;
      for (auto it = history[s].lower_bound(synced[s]); it != history[s].end() && !matched; ++it) {
        matched = keyspace_digest(*again.shards[s], it->second.first) == it->second.second;
      }
      RC_ASSERT(matched);
    }
  });
}

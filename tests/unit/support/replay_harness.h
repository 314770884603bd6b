#pragma once
// The write-path replay property, as a harness every command family's tests use: commands run
// on a primary shard through the real dispatch path while an observer records their effects;
// after each command the effects are replayed on a second, empty shard (engine/replay.h), and
// the two keyspaces must be identical (a digest of every live key's type, value and TTL, as
// DEBUG DIGEST would compute), and each shard's O(1) memory count must equal a full walk.
//
//   eddy::testing::ReplayHarness h;
//   h.run({"HSET", "h", "f", "v"});     // runs, replays, compares; returns the primary's reply
//   h.advance_ms(100);

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "engine/replay.h"
#include "engine/write_path.h"
#include "tests/unit/support/command_runner.h"

namespace eddy::testing {

// Owned copies of effect batches.
struct RecordedBatch {
  std::uint64_t tx_id;
  std::uint32_t tx_parts;
  std::int64_t now_ms;
  std::vector<std::pair<std::uint16_t, std::vector<std::string>>> effects;
};

class EffectRecorder final : public WriteObserver {
 public:
  void on_effects(const EffectBatch& batch) override {
    RecordedBatch copy{batch.tx_id, batch.tx_parts, batch.now_ms, {}};
    for (const Effect& e : batch.effects) {
      copy.effects.emplace_back(e.db, std::vector<std::string>(e.args.begin(), e.args.end()));
    }
    batches.push_back(std::move(copy));
  }
  std::vector<RecordedBatch> batches;
};

// An order-independent digest of every live key of every database of `shard`.
inline std::uint64_t keyspace_digest(Shard& shard, std::int64_t now_ms) {
  std::uint64_t digest = 0;
  for (std::size_t d = 0; d < shard.db_count(); ++d) {
    const kv::Table& table = shard.db(d).table();
    std::uint64_t cursor = 0;
    do {
      cursor = table.scan(cursor, 256, [&](const kv::Entry& entry) {
        if (Db::expired(entry, now_ms)) return;
        std::uint64_t h = kv::digest_bytes(entry.key.view(), d + 1);
        h ^= entry.value.digest() * 0x9E3779B97F4A7C15ULL;
        h ^= static_cast<std::uint64_t>(entry.expire_at_ms()) * 0xC2B2AE3D27D4EB4FULL;
        digest += h * 0xFF51AFD7ED558CCDULL + (h >> 29);
      });
    } while (cursor != 0);
  }
  return digest;
}

// True when every database's O(1) memory count equals a walk of its table.
inline bool memory_accounting_exact(Shard& shard) {
  for (std::size_t d = 0; d < shard.db_count(); ++d) {
    const Db& db = shard.db(d);
    if (db.used_bytes() != db.table().memory_bytes()) return false;
  }
  return true;
}

class ReplayHarness {
 public:
  ReplayHarness() { primary_.shard().writes().add_observer(&recorder_); }
  ~ReplayHarness() { primary_.shard().writes().remove_observer(&recorder_); }
  ReplayHarness(const ReplayHarness&) = delete;
  ReplayHarness& operator=(const ReplayHarness&) = delete;

  CommandRunner& primary() { return primary_; }
  CommandRunner& replica() { return replica_; }

  void advance_ms(std::int64_t ms) {
    primary_.advance_ms(ms);
    replica_.advance_ms(ms);
  }
  void select(int db) { primary_.select(db); }

  // Runs one command on the primary, replays its effects on the replica, and checks that both
  // keyspaces agree. Throws (with the command and the effects) when they do not.
  Reply run(const std::vector<std::string>& args) {
    Reply reply = primary_.run(args);
    sync(args);
    return reply;
  }
  Reply run(std::initializer_list<std::string_view> args) {
    return run(std::vector<std::string>(args.begin(), args.end()));
  }
  // The effects recorded by the last run() (for assertions on rewrites).
  const std::vector<RecordedBatch>& last_effects() const { return last_; }

  // Replays pending effects and compares, e.g. after driving the primary's shard directly
  // (active expiry). `what` names the cause in a failure message.
  void sync(const std::vector<std::string>& what) {
    last_ = std::move(recorder_.batches);
    recorder_.batches.clear();
    for (const RecordedBatch& batch : last_) {
      std::vector<std::vector<std::string_view>> views;
      std::vector<Effect> effects;
      views.reserve(batch.effects.size());
      for (const auto& [db, args] : batch.effects) {
        views.emplace_back(args.begin(), args.end());
      }
      for (std::size_t i = 0; i < views.size(); ++i) {
        effects.push_back(Effect{batch.effects[i].first, views[i]});
      }
      const EffectBatch replayed{0, batch.tx_id, batch.tx_parts, batch.now_ms, effects};
      std::string error;
      if (!replay_effects(replica_.table(), replica_.shard(), replayed, &error)) {
        throw std::runtime_error("effect refused: " + error + " after " + describe(what));
      }
    }
    const std::int64_t now = primary_.now_ms();
    if (keyspace_digest(primary_.shard(), now) != keyspace_digest(replica_.shard(), now)) {
      throw std::runtime_error("replica diverged after " + describe(what) + "; effects: " +
                               describe_effects());
    }
    if (!memory_accounting_exact(primary_.shard()) || !memory_accounting_exact(replica_.shard())) {
      throw std::runtime_error("memory accounting drifted after " + describe(what));
    }
  }

  std::string describe_effects() const {
    std::string text;
    for (const RecordedBatch& batch : last_) {
      for (const auto& [db, args] : batch.effects) text += "[" + describe(args) + "] ";
    }
    return text.empty() ? "(none)" : text;
  }
  static std::string describe(const std::vector<std::string>& args) {
    std::string text;
    for (const std::string& a : args) {
      if (!text.empty()) text += ' ';
      text += a.size() > 40 ? a.substr(0, 40) + "..." : a;
    }
    return text;
  }

 private:
  CommandRunner primary_;
  CommandRunner replica_;
  EffectRecorder recorder_;
  std::vector<RecordedBatch> last_;
};

// The effects of the last command, one line each ("HSET h f v"), for tests that pin them.
inline std::vector<std::string> effect_lines(const ReplayHarness& h) {
  std::vector<std::string> lines;
  for (const auto& batch : h.last_effects()) {
    for (const auto& [db, args] : batch.effects) lines.push_back(ReplayHarness::describe(args));
  }
  return lines;
}

}  // namespace eddy::testing

#include "sim/kv_workload.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "engine/base/assert.h"
#include "net/resp/reply_reader.h"
#include "sim/check/linearizability.h"

namespace eddy::sim {

namespace {

constexpr std::uint32_t kGroupKeys = 4;   // MSET/MGET group: spread over shards by their slots
constexpr Nanos kTtlSlackNs = 2'000'000;  // ms rounding on both sides of the server clock

// EXPIRE on the hot keys: about 1 to 12 days, so a TTL never runs out within a run (virtual time
// limits are minutes) and the linearizability model need not know when the server ran a command.
constexpr std::int64_t kHotTtlMinMs = 100'000'000;
constexpr std::int64_t kHotTtlMaxMs = 1'000'000'000;

// How far the server's wall clock may have moved between two commands of a run that lasted
// `elapsed` of virtual time: drift scales elapsed time by at most clock_drift_ppm_max, and a jump
// of at most clock_jump_max_ns either way comes at most once per half jump interval (the
// shortest wait between two). The offset is constant, so it moves nothing.
WallClockBounds wall_clock_bounds(const WorldFaults& faults, Nanos elapsed) {
  Nanos jumps_ns = 0;
  if (faults.clock_jump_interval_ns > 0) {
    const Nanos shortest_wait = std::max<Nanos>(1, faults.clock_jump_interval_ns / 2);
    jumps_ns = (elapsed / shortest_wait + 1) * faults.clock_jump_max_ns;
  }
  const double drift = std::max(0.0, faults.clock_drift_ppm_max) * 1e-6;
  WallClockBounds bounds;
  // A 1 ms margin each way: the server reads its clock in whole ms.
  bounds.back_ms = jumps_ns > 0 ? jumps_ns / 1'000'000 + 1 : 0;
  bounds.advance_ms =
      static_cast<std::int64_t>(static_cast<double>(elapsed) * (1 + drift)) / 1'000'000 +
      jumps_ns / 1'000'000 + 1;
  return bounds;
}

std::string encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& arg : args) out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

std::string describe_reply(const resp::Reply& reply) {
  std::ostringstream text;
  text << reply;
  return text.str();
}

}  // namespace

// One request of a pipeline and what to do with its reply.
struct KvWorkload::Pending {
  enum class Kind {
    kSingle,
    kMset,
    kMsetNx,
    kMget,
    kRename,
    kExists,
    kTtlSet,
    kTtlGet,
    kTtlPttl,
    kSetup
  };
  Kind kind = Kind::kSingle;
  std::vector<std::string> args;
  Op op;                      // kSingle: the history entry being filled in
  std::size_t ttl_index = 0;  // kTtlGet: which TTL key
  Nanos invoke_ns = 0;
};

KvWorkload::KvWorkload(World* world, SimNode* client_node, KvWorkloadConfig config)
    : world_(world), node_(client_node), config_(config) {}

void KvWorkload::start() {
  for (std::uint32_t client = 0; client < config_.clients; ++client) {
    node_->scheduler_of(0).spawn("client-" + std::to_string(client),
                                 [this, client] { client_main(client); });
  }
}

void KvWorkload::record_violation(std::string checker, std::string detail) {
  world_->trace(node_, 0, "VIOLATION " + checker + ": " + detail);
  violations_.push_back(Violation{std::move(checker), std::move(detail)});
}

void KvWorkload::client_main(std::uint32_t client) {
  Rng rng = world_->rng(World::Stream::kWorkload).split();
  const std::string tag = "c" + std::to_string(client);
  std::unique_ptr<Stream> stream;
  std::string input;
  std::uint64_t sequence = 0;
  struct TtlKey {
    std::string key;
    std::string value;
    Nanos set_invoke = 0;
    Nanos set_complete = 0;
    Nanos ttl = 0;
    bool known = false;  // the SET's reply arrived
  };
  std::vector<TtlKey> ttl_keys;
  bool rename_seeded = client != 0;  // client 0 creates the RENAME pair first

  auto next_value = [&](const std::string& key) {
    return key + "=" + tag + "-" + std::to_string(++sequence);
  };

  // Now and then, instead of the key's usual ops: EXPIRE or PEXPIRE (a long TTL, or rarely one
  // of zero or less, which deletes the key), TTL or PTTL, PERSIST.
  auto expiry_op = [&](Op& op) {
    if (config_.expire_fraction <= 0 || !rng.chance(config_.expire_fraction)) return false;
    const std::uint64_t roll = rng.below(10);
    if (roll < 4) {
      op.kind = OpKind::kExpire;
      op.milliseconds = rng.chance(0.3);
      std::int64_t ms = -static_cast<std::int64_t>(rng.below(3)) * 1000;
      if (!rng.chance(0.05)) ms = rng.between(kHotTtlMinMs, kHotTtlMaxMs);
      op.argument = std::to_string(op.milliseconds ? ms : ms / 1000);
    } else if (roll < 8) {
      op.kind = OpKind::kTtl;
      op.milliseconds = rng.chance(0.3);
    } else {
      op.kind = OpKind::kPersist;
    }
    return true;
  };

  // An op on one of the collection keys: small pools of fields, items and members so that
  // writes collide and reads see each other's effects.
  auto collection_op = [&](Op& op) {
    if (config_.collection_keys == 0 || !rng.chance(config_.collection_fraction)) return false;
    const std::string index = std::to_string(rng.below(config_.collection_keys));
    const std::string member = "m" + std::to_string(rng.below(6));
    switch (rng.below(4)) {
      case 0:
        op.key = "h" + index;
        op.field = "f" + std::to_string(rng.below(5));
        switch (rng.below(5)) {
          case 0:
          case 1:
            op.kind = OpKind::kHSet;
            op.argument = next_value(op.key);
            break;
          case 2:
            op.kind = OpKind::kHDel;
            break;
          case 3:
            op.kind = OpKind::kHGet;
            break;
          default:
            op.kind = OpKind::kHGetAll;
            break;
        }
        break;
      case 1:
        op.key = "l" + index;
        switch (rng.below(3)) {
          case 0:
            op.kind = OpKind::kLPush;
            op.argument = tag + "." + std::to_string(++sequence);
            break;
          case 1:
            op.kind = OpKind::kRPop;
            break;
          default:
            op.kind = OpKind::kLRange;
            break;
        }
        break;
      case 2:
        op.key = "e" + index;
        op.argument = member;
        switch (rng.below(3)) {
          case 0:
            op.kind = OpKind::kSAdd;
            break;
          case 1:
            op.kind = OpKind::kSRem;
            break;
          default:
            op.kind = OpKind::kSMembers;
            break;
        }
        break;
      default:
        op.key = "z" + index;
        op.field = member;
        switch (rng.below(3)) {
          case 0:
            op.kind = OpKind::kZAdd;
            op.greater = rng.chance(0.5);
            op.argument = std::to_string(rng.below(10));
            break;
          case 1:
            op.kind = OpKind::kZScore;
            break;
          default:
            op.kind = OpKind::kZRange;
            break;
        }
        break;
    }
    // Now and then an expiry op on the collection key instead.
    if (expiry_op(op)) {
      op.field.clear();
      op.greater = false;
    }
    return true;
  };

  auto make_single = [&]() {
    Pending p;
    p.kind = Pending::Kind::kSingle;
    Op& op = p.op;
    op.client = client;
    if (collection_op(op)) {
      // op.kind and op.key are set; arguments below.
    } else {
    const bool counter =
        rng.below(config_.string_keys + config_.counter_keys) >= config_.string_keys;
    if (counter) {
      op.key = "n" + std::to_string(rng.below(config_.counter_keys));
      if (!expiry_op(op)) {
        switch (rng.below(4)) {
          case 0:
            op.kind = OpKind::kGet;
            break;
          case 1:
            op.kind = OpKind::kDel;
            break;
          default:
            op.kind = OpKind::kIncr;
            op.argument = "1";
            break;
        }
      }
    } else {
      op.key = "s" + std::to_string(rng.below(config_.string_keys));
      if (!expiry_op(op)) {
        switch (rng.below(7)) {
          case 0:
          case 1:
            op.kind = OpKind::kGet;
            break;
          case 2:
            op.kind = OpKind::kSet;
            op.argument = next_value(op.key);
            break;
          case 3:
            op.kind = OpKind::kAppend;
            op.argument = "+" + tag + "." + std::to_string(++sequence);
            break;
          case 4:
            op.kind = OpKind::kSetNx;
            op.argument = next_value(op.key);
            break;
          case 5:
            op.kind = OpKind::kGetSet;
            op.argument = next_value(op.key);
            break;
          default:
            op.kind = rng.chance(0.5) ? OpKind::kDel : OpKind::kGetDel;
            break;
        }
      }
    }
    }
    switch (op.kind) {
      case OpKind::kGet:
        p.args = {"GET", op.key};
        break;
      case OpKind::kSet:
        p.args = {"SET", op.key, op.argument};
        break;
      case OpKind::kDel:
        p.args = {"DEL", op.key};
        break;
      case OpKind::kIncr:
        p.args = {"INCR", op.key};
        break;
      case OpKind::kAppend:
        p.args = {"APPEND", op.key, op.argument};
        break;
      case OpKind::kSetNx:
        p.args = {"SETNX", op.key, op.argument};
        break;
      case OpKind::kGetDel:
        p.args = {"GETDEL", op.key};
        break;
      case OpKind::kGetSet:
        p.args = {"GETSET", op.key, op.argument};
        break;
      case OpKind::kExpire:
        p.args = {op.milliseconds ? "PEXPIRE" : "EXPIRE", op.key, op.argument};
        break;
      case OpKind::kTtl:
        p.args = {op.milliseconds ? "PTTL" : "TTL", op.key};
        break;
      case OpKind::kPersist:
        p.args = {"PERSIST", op.key};
        break;
      case OpKind::kHSet:
        p.args = {"HSET", op.key, op.field, op.argument};
        break;
      case OpKind::kHDel:
        p.args = {"HDEL", op.key, op.field};
        break;
      case OpKind::kHGet:
        p.args = {"HGET", op.key, op.field};
        break;
      case OpKind::kHGetAll:
        p.args = {"HGETALL", op.key};
        break;
      case OpKind::kLPush:
        p.args = {"LPUSH", op.key, op.argument};
        break;
      case OpKind::kRPop:
        p.args = {"RPOP", op.key};
        break;
      case OpKind::kLRange:
        p.args = {"LRANGE", op.key, "0", "-1"};
        break;
      case OpKind::kSAdd:
        p.args = {"SADD", op.key, op.argument};
        break;
      case OpKind::kSRem:
        p.args = {"SREM", op.key, op.argument};
        break;
      case OpKind::kSMembers:
        p.args = {"SMEMBERS", op.key};
        break;
      case OpKind::kZAdd:
        if (op.greater) {
          p.args = {"ZADD", op.key, "GT", "CH", op.argument, op.field};
        } else {
          p.args = {"ZADD", op.key, "CH", op.argument, op.field};
        }
        break;
      case OpKind::kZScore:
        p.args = {"ZSCORE", op.key, op.field};
        break;
      case OpKind::kZRange:
        p.args = {"ZRANGE", op.key, "0", "-1", "WITHSCORES"};
        break;
    }
    return p;
  };

  auto make_request = [&]() -> Pending {
    if (!rename_seeded) {
      Pending p;
      p.kind = Pending::Kind::kSetup;
      p.args = {"SET", "rx", "token"};
      rename_seeded = true;
      return p;
    }
    const double roll = rng.unit();
    double edge = config_.multi_key_fraction;
    if (roll < edge) {
      Pending p;
      const double multi_roll = rng.unit();
      if (multi_roll < 0.5) {
        // MSET, or now and then MSETNX (all or nothing: it sets every key only if none exist,
        // so after the group's first write it answers 0 and changes nothing).
        const bool nx = multi_roll < 0.1;
        p.kind = nx ? Pending::Kind::kMsetNx : Pending::Kind::kMset;
        const std::string value = tag + "-" + std::to_string(++sequence);
        p.args = {nx ? "MSETNX" : "MSET"};
        for (std::uint32_t g = 0; g < kGroupKeys; ++g) {
          p.args.push_back("g" + std::to_string(g));
          p.args.push_back(value);
        }
      } else {
        p.kind = Pending::Kind::kMget;
        p.args = {"MGET"};
        for (std::uint32_t g = 0; g < kGroupKeys; ++g) p.args.push_back("g" + std::to_string(g));
      }
      return p;
    }
    edge += config_.rename_fraction;
    if (roll < edge && rename_ready_ && !rename_setup_lost_) {
      Pending p;
      if (rng.chance(0.5)) {
        p.kind = Pending::Kind::kRename;
        p.args = rng.chance(0.5) ? std::vector<std::string>{"RENAME", "rx", "ry"}
                                 : std::vector<std::string>{"RENAME", "ry", "rx"};
      } else {
        p.kind = Pending::Kind::kExists;
        p.args = {"EXISTS", "rx", "ry"};
      }
      return p;
    }
    edge += config_.ttl_fraction;
    if (roll < edge) {
      Pending p;
      std::vector<std::size_t> known;
      for (std::size_t i = 0; i < ttl_keys.size(); ++i) {
        if (ttl_keys[i].known) known.push_back(i);
      }
      if (!known.empty() && rng.chance(0.7)) {
        p.ttl_index = known[rng.below(known.size())];
        if (rng.chance(0.3)) {
          p.kind = Pending::Kind::kTtlPttl;
          p.args = {"PTTL", ttl_keys[p.ttl_index].key};
        } else {
          p.kind = Pending::Kind::kTtlGet;
          p.args = {"GET", ttl_keys[p.ttl_index].key};
        }
      } else {
        p.kind = Pending::Kind::kTtlSet;
        TtlKey key;
        key.key = "t" + tag + "." + std::to_string(++sequence);
        key.value = next_value(key.key);
        key.ttl = rng.between(1, 30) * 1'000'000;
        ttl_keys.push_back(key);
        p.ttl_index = ttl_keys.size() - 1;
        p.args = {"SET", key.key, key.value, "PX", std::to_string(key.ttl / 1'000'000)};
      }
      return p;
    }
    return make_single();
  };

  // What a reply means for each kind of request; impossible replies are violations at once.
  auto settle = [&](Pending& p, const resp::Reply& reply) {
    using K = resp::Reply::Kind;
    const Nanos now = world_->now();
    auto unexpected = [&] {
      std::string sent;
      for (const auto& arg : p.args) sent += (sent.empty() ? "" : " ") + arg;
      record_violation(
          "reply", tag + " sent `" + sent.substr(0, 120) + "` and got " + describe_reply(reply));
    };
    switch (p.kind) {
      case Pending::Kind::kSingle: {
        Op& op = p.op;
        op.complete_ns = now;
        op.outcome = OpOutcome::kOk;
        switch (op.kind) {
          case OpKind::kGet:
          case OpKind::kGetDel:
          case OpKind::kGetSet:
            if (reply.kind == K::kBulk) {
              op.value = reply.text;
            } else if (reply.kind != K::kNull) {
              unexpected();
            }
            break;
          case OpKind::kSet:
            if (!(reply == resp::Reply::ok())) unexpected();
            break;
          case OpKind::kIncr:
            if (reply.kind == K::kInteger) {
              op.integer = reply.number;
            } else if (reply.kind == K::kError &&
                       reply.text == "ERR value is not an integer or out of range") {
              op.error = true;
            } else {
              unexpected();
            }
            break;
          case OpKind::kDel:
          case OpKind::kSetNx:
          case OpKind::kAppend:
          case OpKind::kTtl:
            if (reply.kind == K::kInteger) {
              op.integer = reply.number;
            } else {
              unexpected();
            }
            break;
          case OpKind::kExpire:
          case OpKind::kPersist:
            if (reply == resp::Reply::integer(0) || reply == resp::Reply::integer(1)) {
              op.integer = reply.number;
            } else {
              unexpected();
            }
            break;
          case OpKind::kHSet:
          case OpKind::kHDel:
          case OpKind::kLPush:
          case OpKind::kSAdd:
          case OpKind::kSRem:
          case OpKind::kZAdd:
            if (reply.kind == K::kInteger) {
              op.integer = reply.number;
            } else {
              unexpected();
            }
            break;
          case OpKind::kHGet:
          case OpKind::kRPop:
          case OpKind::kZScore:
            if (reply.kind == K::kBulk) {
              op.value = reply.text;
            } else if (reply.kind != K::kNull) {
              unexpected();
            }
            break;
          case OpKind::kHGetAll:
          case OpKind::kLRange:
          case OpKind::kSMembers:
          case OpKind::kZRange: {
            std::vector<std::string> elements;
            bool bulks = reply.kind == K::kArray;
            for (const auto& element : reply.elements) {
              bulks = bulks && element.kind == K::kBulk;
              elements.push_back(element.text);
            }
            if (!bulks || (op.kind != OpKind::kLRange && op.kind != OpKind::kSMembers &&
                           elements.size() % 2 != 0)) {
              unexpected();
              break;
            }
            // Hashes and sets have no order: sort as the model renders them.
            if (op.kind == OpKind::kSMembers) std::sort(elements.begin(), elements.end());
            if (op.kind == OpKind::kHGetAll) {
              std::vector<std::pair<std::string, std::string>> pairs;
              for (std::size_t i = 0; i + 1 < elements.size(); i += 2) {
                pairs.emplace_back(elements[i], elements[i + 1]);
              }
              std::sort(pairs.begin(), pairs.end());
              elements.clear();
              for (auto& [field, value] : pairs) {
                elements.push_back(std::move(field));
                elements.push_back(std::move(value));
              }
            }
            op.value = render_elements(elements);
            break;
          }
        }
        history_.ops.push_back(op);
        break;
      }
      case Pending::Kind::kSetup:
        if (!(reply == resp::Reply::ok())) unexpected();
        rename_ready_ = true;
        break;
      case Pending::Kind::kMset:
        if (!(reply == resp::Reply::ok())) unexpected();
        break;
      case Pending::Kind::kMsetNx:
        if (!(reply == resp::Reply::integer(0)) && !(reply == resp::Reply::integer(1))) {
          unexpected();
        }
        break;
      case Pending::Kind::kMget: {
        if (reply.kind != K::kArray || reply.elements.size() != kGroupKeys) {
          unexpected();
          break;
        }
        for (const auto& element : reply.elements) {
          if (!(element == reply.elements[0])) {
            record_violation("atomicity",
                             tag + " MGET saw part of an MSET: " + describe_reply(reply));
            break;
          }
        }
        break;
      }
      case Pending::Kind::kRename:
        if (!(reply == resp::Reply::ok()) && !(reply == resp::Reply::error("ERR no such key"))) {
          unexpected();
        }
        break;
      case Pending::Kind::kExists:
        if (!rename_setup_lost_ && !(reply == resp::Reply::integer(1))) {
          record_violation("rename", tag + " EXISTS rx ry = " + describe_reply(reply) +
                                         " (exactly one must exist)");
        }
        break;
      case Pending::Kind::kTtlSet: {
        if (!(reply == resp::Reply::ok())) unexpected();
        TtlKey& key = ttl_keys[p.ttl_index];
        key.set_invoke = p.invoke_ns;
        key.set_complete = now;
        key.known = true;
        break;
      }
      case Pending::Kind::kTtlPttl: {
        // The key was set with a TTL and nothing clears it: -2 (gone) or 0..ttl ms left.
        const TtlKey& key = ttl_keys[p.ttl_index];
        const std::int64_t ttl_ms = key.ttl / 1'000'000;
        // (A wall clock that jumps back legitimately stretches what is left, as in Redis.)
        if (reply.kind != K::kInteger || reply.number == -1 || reply.number < -2 ||
            (config_.check_ttl && reply.number > ttl_ms)) {
          record_violation("ttl", tag + " PTTL " + key.key + " = " + describe_reply(reply) +
                                      " for a key set with PX " + std::to_string(ttl_ms));
        }
        break;
      }
      case Pending::Kind::kTtlGet: {
        const TtlKey& key = ttl_keys[p.ttl_index];
        if (reply.kind == K::kBulk && reply.text != key.value) unexpected();
        if (reply.kind != K::kBulk && reply.kind != K::kNull) unexpected();
        ttl_observations_.push_back(TtlObservation{key.key, key.value, key.set_invoke,
                                                   key.set_complete, key.ttl, p.invoke_ns, now,
                                                   reply.kind == K::kBulk});
        break;
      }
    }
  };

  // The connection broke with these requests unanswered: single-key ones may or may not have
  // taken effect.
  auto abandon = [&](std::vector<Pending>& batch, std::size_t from) {
    for (std::size_t i = from; i < batch.size(); ++i) {
      Pending& p = batch[i];
      if (p.kind == Pending::Kind::kSingle) {
        p.op.outcome = OpOutcome::kUnknown;
        history_.ops.push_back(p.op);
      }
      if (p.kind == Pending::Kind::kSetup) rename_setup_lost_ = true;
    }
  };

  std::uint32_t done = 0;
  while (done < config_.operations_per_client) {
    if (!stream) {
      std::string error;
      stream = node_->connect("server", config_.port, &error);
      input.clear();
      if (!stream) {
        node_->sleep_for(1'000'000);
        continue;
      }
    }
    const std::uint32_t depth =
        std::min<std::uint32_t>(1 + static_cast<std::uint32_t>(rng.below(config_.pipeline_max)),
                                config_.operations_per_client - done);
    std::vector<Pending> batch;
    std::string out;
    for (std::uint32_t i = 0; i < depth; ++i) {
      batch.push_back(make_request());
      out += encode(batch.back().args);
    }
    const Nanos invoke = world_->now();
    for (Pending& p : batch) {
      p.invoke_ns = invoke;
      if (p.kind == Pending::Kind::kSingle) {
        p.op.id = next_op_id_++;
        p.op.invoke_ns = invoke;
      }
    }
    done += depth;
    operations_ += depth;
    if (!stream->write(out)) {
      abandon(batch, 0);
      stream.reset();
      continue;
    }
    std::size_t answered = 0;
    bool broken = false;
    while (answered < batch.size()) {
      std::size_t pos = 0;
      std::optional<resp::Reply> reply;
      try {
        reply = resp::parse_reply(input, &pos);
      } catch (const std::exception& e) {
        record_violation("protocol", tag + " got malformed reply bytes: " + e.what());
        broken = true;
        break;
      }
      if (reply) {
        input.erase(0, pos);
        settle(batch[answered], *reply);
        ++answered;
        continue;
      }
      char chunk[4096];
      const std::size_t n = stream->read(std::span<char>(chunk, sizeof chunk));
      if (n == 0) {
        broken = true;
        break;
      }
      input.append(chunk, n);
    }
    if (broken) {
      abandon(batch, answered);
      stream.reset();
      continue;
    }
    if (config_.think_time_max_ns > 0) {
      node_->sleep_for(static_cast<Nanos>(rng.below(config_.think_time_max_ns)));
    }
  }
  if (stream) stream->close();
  ++clients_done_;
}

void KvWorkload::start_audit() {
  node_->scheduler_of(0).spawn("auditor", [this] { audit_main(); });
}

// After every client has finished: read every hot key once more (and its TTL, when the clients
// used EXPIRE). The reads join the history, so the linearizability check also proves the final
// state is one the model can reach.
void KvWorkload::audit_main() {
  std::vector<std::string> hot_keys;
  for (std::uint32_t i = 0; i < config_.string_keys; ++i) {
    hot_keys.push_back("s" + std::to_string(i));
  }
  for (std::uint32_t i = 0; i < config_.counter_keys; ++i) {
    hot_keys.push_back("n" + std::to_string(i));
  }
  std::vector<std::string> keys;
  std::vector<OpKind> kinds;
  for (const std::string& key : hot_keys) {
    keys.push_back(key);
    kinds.push_back(OpKind::kGet);
    if (config_.expire_fraction > 0) {
      keys.push_back(key);
      kinds.push_back(OpKind::kTtl);
    }
  }
  for (int attempt = 0; attempt < 10 && !audited_; ++attempt) {
    std::string error;
    std::unique_ptr<Stream> stream = node_->connect("server", config_.port, &error);
    if (!stream) {
      node_->sleep_for(1'000'000);
      continue;
    }
    std::string out;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      out += encode({kinds[i] == OpKind::kGet ? "GET" : "PTTL", keys[i]});
    }
    const Nanos invoke = world_->now();
    if (!stream->write(out)) continue;
    std::string input;
    std::vector<Op> reads;
    bool broken = false;
    while (reads.size() < keys.size() && !broken) {
      std::size_t pos = 0;
      std::optional<resp::Reply> reply = resp::parse_reply(input, &pos);
      if (!reply) {
        char chunk[4096];
        const std::size_t n = stream->read(std::span<char>(chunk, sizeof chunk));
        if (n == 0) broken = true;
        input.append(chunk, n);
        continue;
      }
      input.erase(0, pos);
      Op op;
      op.id = next_op_id_++;
      op.client = config_.clients;  // the auditor
      op.kind = kinds[reads.size()];
      op.key = keys[reads.size()];
      op.invoke_ns = invoke;
      op.complete_ns = world_->now();
      if (op.kind == OpKind::kTtl) {
        op.milliseconds = true;
        if (reply->kind == resp::Reply::Kind::kInteger) {
          op.integer = reply->number;
        } else {
          record_violation("reply",
                           "auditor sent `PTTL " + op.key + "` and got " + describe_reply(*reply));
        }
      } else if (reply->kind == resp::Reply::Kind::kBulk) {
        op.value = reply->text;
      }
      reads.push_back(op);
    }
    stream->close();
    if (broken) continue;  // try again on a new connection
    for (auto& op : reads) history_.ops.push_back(std::move(op));
    audited_ = true;
  }
  audit_done_ = true;
}

std::vector<Violation> KvWorkload::check() const {
  std::vector<Violation> found = violations_;
  // The hot keys' TTL replies are judged against how far the server's clock may have moved.
  History judged = history_;
  judged.wall_clock = wall_clock_bounds(world_->faults(), world_->now());
  if (judged.wall_clock.advance_ms >= kHotTtlMinMs) {
    // Not a verdict on the server: the model assumes no hot key's TTL runs out.
    found.push_back(Violation{"workload", "the run outlasted the hot keys' TTLs; shorten it"});
  }
  const LinearizabilityResult result = check_linearizable(judged);
  if (!result.ok) found.push_back(Violation{"linearizability", result.explanation});
  linearizability_inconclusive_ = result.ok && result.exhausted;
  for (const TtlObservation& o :
       config_.check_ttl ? ttl_observations_ : std::vector<TtlObservation>{}) {
    // The server set the deadline at some instant in [set_invoke, set_complete] plus the TTL,
    // and ran the GET at some instant in [get_invoke, get_complete].
    const Nanos earliest_deadline = o.set_invoke_ns + o.ttl_ns;
    const Nanos latest_deadline = o.set_complete_ns + o.ttl_ns;
    if (o.saw_value && o.get_invoke_ns > latest_deadline + kTtlSlackNs) {
      found.push_back(Violation{
          "ttl", o.key + " was read " + std::to_string((o.get_invoke_ns - latest_deadline) / 1000) +
                     " us after it expired"});
    }
    if (!o.saw_value && o.get_complete_ns + kTtlSlackNs < earliest_deadline) {
      found.push_back(
          Violation{"ttl", o.key + " was gone " +
                               std::to_string((earliest_deadline - o.get_complete_ns) / 1000) +
                               " us before its deadline"});
    }
  }
  return found;
}

}  // namespace eddy::sim

#pragma once
// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
// BZMPOP), with Redis 7.0's semantics.
//
// A blocking command first runs like its plain form; when it finds nothing, the client waits.
// Where every key the command names lives on one shard (always, with one shard), the wait is a
// BlockedCall hop that stays at that shard, registered under each key it waits on, in arrival
// order. Whenever a unit of the shard's write path changes such a key, the shard, before it
// does anything else, runs the waiting commands again in serve mode, first come first served,
// and sends home each one that got its element: exactly as Redis serves blocked clients after
// the command that made the key ready, so the writer's next command already sees the list
// without the element, and a chain of BLMOVEs completes within the push that started it.
//
// A command whose keys span shards waits as a *notify* call at each of those shards: a change
// of a key it waits on wakes it, and it runs again through the cross-shard path (atomic, on
// clones); finding nothing again, it waits again. Such a client is not first in line for the
// element, and another client may take it meanwhile (docs/compatibility.md).
//
// Timeouts come from one timer fiber per core (10 ms resolution); CLIENT UNBLOCK and shutdown
// wake a blocked client the same way.

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/client.h"
#include "engine/cmd/command.h"
#include "engine/kv/hash_seed.h"
#include "engine/runtime.h"

namespace eddy {

class Shard;

namespace fiber {
class Fiber;
}

// A client's wait at one shard. Owned by the blocked client's fiber; lives at the shard while
// registered.
class BlockedCall final : public Hop {
 public:
  enum class Kind : std::uint8_t {
    kServedHere,  // the shard runs the command when a key changes, and sends the reply home
    kNotify,      // the shard only sends it home when a key changes
  };

  bool run_at_target() override;
  void run_at_origin() override;

  // Set by the client before the hop is sent.
  Kind kind = Kind::kServedHere;
  Shard* shard = nullptr;
  const CommandSpec* spec = nullptr;
  Args args;
  int db = 0;
  int protocol = 2;
  std::vector<std::string_view> keys;  // the keys it waits on at this shard
  fiber::Fiber* waiter = nullptr;      // woken when the hop comes home

  // Results.
  BlockingRequest request;
  std::string reply;        // the command's reply, when it ran to one (kServedHere)
  bool answered = false;    // `reply` holds the command's answer
  bool registered = false;  // waiting at the shard (touched only by the shard's core)
  bool home = true;         // not at the shard (touched only by the client's core)
};

// Takes a BlockedCall away from its shard: if still registered it comes home unanswered.
class CancelBlockedCall final : public Hop {
 public:
  bool run_at_target() override;
  void run_at_origin() override;

  BlockedCall* call = nullptr;
  fiber::Fiber* waiter = nullptr;
  bool home = true;
};

// The blocked calls registered at one shard, by key, in arrival order; and the keys changed
// since they were last served.
class BlockingRegistry {
 public:
  bool empty() const { return waiting_.empty(); }
  void add(BlockedCall* call);
  void remove(BlockedCall* call);
  // A unit changed `key`: if anyone waits on it, it is ready to serve.
  void key_changed(int db, std::string_view key);
  // SWAPDB: every key waited on in either database may be ready.
  void databases_changed(int a, int b);
  bool has_ready() const { return !ready_.empty(); }
  // Serves the ready keys' waiters (engine/blocking.cc). Runs units; re-entry is refused.
  void serve(Shard& shard);
  std::size_t waiting_calls() const { return calls_; }

 private:
  static std::string id_of(int db, std::string_view key);

  std::unordered_map<std::string, std::deque<BlockedCall*>, kv::SeededStringHash> waiting_;
  std::vector<std::string> ready_;
  std::size_t calls_ = 0;
  bool serving_ = false;
};

// The blocked clients of one core whose wait has a deadline, and the timer fiber that ends
// their waits. Touched only from its core.
class BlockingTimers {
 public:
  // `deadline` in monotonic time; a wait without one is added with the largest deadline, so
  // shutdown still ends it.
  void add(Runtime& runtime, Nanos deadline, BlockedWait* wait);
  void remove(Nanos deadline, BlockedWait* wait);
  std::size_t size() const { return deadlines_.size(); }

 private:
  std::set<std::pair<Nanos, BlockedWait*>> deadlines_;
  bool timer_running_ = false;
};

}  // namespace eddy

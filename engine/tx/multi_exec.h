#pragma once
// MULTI/EXEC/DISCARD and WATCH/UNWATCH for one connection, with Redis 7.0's semantics.
//
// MULTI starts queueing: every later command except MULTI, EXEC, DISCARD, WATCH, UNWATCH and
// QUIT is copied into the queue and answered QUEUED; a command refused while queueing (unknown,
// wrong arity, a queue past its bound) makes EXEC answer EXECABORT. WATCH records each key's
// version at its shard's write path (engine/write_path.h), which every change of the key moves;
// EXEC runs nothing and answers a null array when any watched key changed since (or expired:
// lazy expiry is a change).
//
// EXEC runs the queue atomically, by one of three plans:
//   - every key the queue touches, and every watched key, lives on one shard: one hop runs
//     all the commands there back to back, which no other work can interleave;
//   - the keys span shards: a CloneTransaction (engine/tx/clone_transaction.h) locks them all,
//     checks the watched versions under the locks, runs the commands on clones and writes the
//     changed keys back as one transaction;
//   - the queue holds a fan-out (FLUSHALL, DBSIZE, KEYS, INFO ...) or a session command other
//     than PING/ECHO/SELECT/TIME: the watched keys are checked, then the commands run one after
//     another as if sent alone. Each is atomic by itself, the whole is not (docs/compatibility.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/client.h"
#include "engine/cmd/command.h"
#include "engine/kv/hash_seed.h"
#include "engine/tx/coordinator.h"

namespace eddy {

class MultiExec {
 public:
  // Runs one command as if the client had sent it alone, replying into `out` (how the
  // sequential plan runs a queue). The connection's BatchExecutor provides it.
  class Host {
   public:
    virtual void run_alone(Args args, std::string& out) = 0;

   protected:
    ~Host() = default;
  };

  MultiExec(Engine* engine, ClientState* client, Coordinator* coordinator, Host* host);
  ~MultiExec();
  MultiExec(const MultiExec&) = delete;
  MultiExec& operator=(const MultiExec&) = delete;

  // Between MULTI and EXEC/DISCARD.
  bool queuing() const { return queuing_; }
  // While EXEC runs the queued commands (BGSAVE is then only scheduled, as in Redis).
  bool executing() const { return executing_; }
  // The commands that run at once even while queueing.
  static bool runs_while_queuing(const CommandSpec& spec);
  // Queues a command that passed lookup and arity (copying its arguments), replying QUEUED.
  void queue(const CommandSpec& spec, Args args, ReplyBuilder& reply);
  // A command was refused while queueing: EXEC will abort.
  void refuse_queued() {
    if (queuing_) aborted_ = true;
  }

  // Between MULTI and EXEC with a write queued: Redis counts such an EXEC as a write (refused
  // by MISCONF, for one).
  bool queued_write() const;
  // EXEC refused before it runs (Redis's execCommandAbort): the transaction is discarded and
  // the reply says why.
  void abort_exec(std::string_view reason, ReplyBuilder& reply);

  void multi(ReplyBuilder& reply);
  void discard(ReplyBuilder& reply);
  void exec(SessionContext& ctx);
  void watch(SessionContext& ctx);
  void unwatch(ReplyBuilder& reply);

  // The connection is going away: forget the queue and every watched key.
  void end_session();

  std::size_t watched_count() const { return watched_.size(); }

 private:
  struct Queued {
    const CommandSpec* spec;
    std::uint32_t first_arg;  // into arg_spans_
    std::uint32_t arg_count;
  };
  struct Watched {
    int db;
    std::string key;
    std::uint32_t shard;
    std::uint64_t version;
  };
  // A queued command as EXEC runs it.
  struct Step {
    const CommandSpec* spec;
    Args args;
    int db;      // the database it runs in (SELECTs earlier in the queue count)
    bool keyed;  // runs on a shard; else a session command run at the origin
    // Set when the user's ACL rules changed since queueing and now deny the step: it does
    // not run, and this is its reply (Redis re-checks at EXEC).
    std::string_view denied;
  };

  void reset();
  void unwatch_all();
  bool executing_ = false;
  // Whether any watched key changed, checked on each shard (the sequential plan's check).
  bool watched_changed();
  void exec_one_shard(SessionContext& ctx, std::span<const Step> steps, std::uint32_t shard);
  void exec_cloned(SessionContext& ctx, std::span<const Step> steps, LockMode mode);
  void exec_sequential(SessionContext& ctx, std::span<const Step> steps);
  void run_at_origin(SessionContext& ctx, const Step& step);

  Engine* engine_;
  ClientState* client_;
  Coordinator* coordinator_;
  Host* host_;

  bool queuing_ = false;
  bool aborted_ = false;
  std::string arena_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> arg_spans_;  // (offset, length)
  std::vector<Queued> queue_;

  std::vector<Watched> watched_;
  std::unordered_set<std::string, kv::SeededStringHash>
      watched_ids_;  // db and key, to watch each once
};

// Registers MULTI, EXEC, DISCARD, WATCH and UNWATCH.
void register_transaction_commands(CommandTable& table);

}  // namespace eddy

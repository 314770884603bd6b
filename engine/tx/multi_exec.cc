#include "engine/tx/multi_exec.h"

#include "engine/acl/check.h"
#include "engine/acl/user.h"

#include <algorithm>

#include "engine/session_context.h"
#include "engine/tx/clone_transaction.h"

namespace eddy {

namespace {

constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

// Session commands that touch neither the keyspace nor other clients: EXEC answers them at the
// origin in their place in the queue, and the keyed commands around them stay atomic.
constexpr std::string_view kAclChangedCommand =
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
    "call. This command is no longer allowed for the following reason: no permission to execute "
    "the command or subcommand";
constexpr std::string_view kAclChangedKey =
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
    "call. This command is no longer allowed for the following reason: no permission to touch "
    "the specified keys";

bool is_local_session_command(const CommandSpec& spec) {
  return spec.name == "ping" || spec.name == "echo" || spec.name == "select" ||
         spec.name == "time" || spec.name == "unwatch";
}

std::string watch_id(int db, std::string_view key) {
  std::string id = std::to_string(db);
  id.push_back(':');
  id.append(key);
  return id;
}

// The hop of the one-shard plan: checks the watched keys and runs every keyed command of the
// queue on the shard, back to back, replying into `replies`.
class ExecHop final : public Hop {
 public:
  bool run_at_target() override {
    shard->refresh_clock();
    if (EDDY_UNLIKELY(!shard->locks().empty() || shard->parked_count() != 0)) {
      // A cross-shard transaction holds some of these keys: wait for it, as a batch does.
      const LockMode mode = writes ? LockMode::kExclusive : LockMode::kShared;
      if (shard->blocked_by_locks(keys, mode)) {
        shard->park(this);
        return false;
      }
    }
    const std::int64_t now_ms = shard->now_ms();
    for (const auto& [db, key, version] : watched) {
      // A key that expired since WATCH is a change: lazy expiry deletes it and moves its version.
      (void)shard->db(static_cast<std::size_t>(db)).find(key, now_ms);
      if (shard->writes().watched_version(db, key) != version) {
        watch_failed = true;
        return true;
      }
    }
    ReplyBuilder reply(&replies, protocol);
    reply.limit_output(output_bytes_max, &output_limit_reached);
    // Blocked clients are served after the whole EXEC, as in Redis.
    shard->writes().hold_serving();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& [spec, args, db] = steps[i];
      ends[i].first = replies.size();
      if (spec != nullptr) shard->writes().apply(*spec, db, args, reply, now_ms);
      ends[i].second = replies.size();
    }
    shard->writes().release_serving();
    return true;
  }
  void run_at_origin() override { wait_group->done(); }

  struct KeyedStep {
    const CommandSpec* spec;  // nullptr: a session command, answered at the origin
    Args args;
    int db;
  };
  struct WatchedKey {
    int db;
    std::string_view key;
    std::uint64_t version;
  };

  Shard* shard = nullptr;
  fiber::WaitGroup* wait_group = nullptr;
  int protocol = 2;
  bool writes = false;
  std::vector<std::string_view> keys;  // every key the steps touch, for the lock check
  std::vector<KeyedStep> steps;
  std::vector<WatchedKey> watched;
  bool watch_failed = false;
  std::string replies;
  std::vector<std::pair<std::size_t, std::size_t>> ends;  // each step's reply in `replies`
  // The room the client's hard output limit leaves (the replies are cut at the shard, not
  // built whole first), and whether they passed it.
  std::size_t output_bytes_max = SIZE_MAX / 2;
  bool output_limit_reached = false;
};

}  // namespace

MultiExec::MultiExec(Engine* engine, ClientState* client, Coordinator* coordinator, Host* host)
    : engine_(engine), client_(client), coordinator_(coordinator), host_(host) {}

MultiExec::~MultiExec() {
  // Watched keys live at their shards: the session must have ended them.
  ASSERT_MSG(watched_.empty(), "a connection left keys watched");
}

bool MultiExec::runs_while_queuing(const CommandSpec& spec) {
  // As Redis's processCommand: UNWATCH is not among them, it is queued (so a WATCH still guards
  // the EXEC that follows), while RESET ends the transaction at once.
  return spec.name == "exec" || spec.name == "discard" || spec.name == "multi" ||
         spec.name == "watch" || spec.name == "quit" || spec.name == "reset";
}

void MultiExec::queue(const CommandSpec& spec, Args args, ReplyBuilder& reply) {
  ASSERT(queuing_);
  // Redis's no-multi commands that eddy has: refused while queueing, and EXEC then aborts.
  if (spec.name == "save" || spec.name == "shutdown") {
    aborted_ = true;
    reply.error("ERR Command not allowed inside a transaction");
    return;
  }
  std::size_t bytes = 0;
  for (std::string_view arg : args) bytes += arg.size();
  if (queue_.size() >= limits::multi_queued_commands_max ||
      arena_.size() + bytes > limits::multi_queued_bytes_max) {
    aborted_ = true;
    reply.error("ERR MULTI queue is full");
    return;
  }
  // An aborted transaction will not run: keep no copy (as Redis).
  if (!aborted_) {
    queue_.push_back(Queued{&spec, static_cast<std::uint32_t>(arg_spans_.size()),
                            static_cast<std::uint32_t>(args.size())});
    for (std::string_view arg : args) {
      arg_spans_.emplace_back(static_cast<std::uint32_t>(arena_.size()),
                              static_cast<std::uint32_t>(arg.size()));
      arena_.append(arg);
    }
  }
  reply.simple("QUEUED");
}

void MultiExec::multi(ReplyBuilder& reply) {
  if (queuing_) {
    reply.error("ERR MULTI calls can not be nested");
    return;
  }
  queuing_ = true;
  reply.ok();
}

bool MultiExec::queued_write() const {
  if (!queuing_) return false;
  for (const Queued& queued : queue_) {
    if (queued.spec->is_write()) return true;
  }
  return false;
}

void MultiExec::abort_exec(std::string_view reason, ReplyBuilder& reply) {
  ASSERT(queuing_);
  reset();
  std::string message = "EXECABORT Transaction discarded because of: ";
  message.append(reason);
  reply.error(message);
}

void MultiExec::discard(ReplyBuilder& reply) {
  if (!queuing_) {
    reply.error("ERR DISCARD without MULTI");
    return;
  }
  reset();
  reply.ok();
}

void MultiExec::unwatch(ReplyBuilder& reply) {
  unwatch_all();
  reply.ok();
}

void MultiExec::end_session() {
  reset();
}

void MultiExec::reset() {
  queuing_ = false;
  executing_ = false;
  aborted_ = false;
  queue_.clear();
  arg_spans_.clear();
  arena_.clear();
  if (arena_.capacity() > limits::read_chunk_bytes) arena_.shrink_to_fit();
  unwatch_all();
}

void MultiExec::watch(SessionContext& ctx) {
  if (queuing_) {
    ctx.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // The new keys, by shard.
  std::vector<std::pair<std::uint32_t, std::size_t>> added;  // (shard, index in watched_)
  bool refused = false;
  for (std::size_t i = 1; i < ctx.args.size(); ++i) {
    if (!watched_ids_.insert(watch_id(client_->db, ctx.args[i])).second) continue;
    if (watched_.size() >= limits::watched_keys_max) {
      watched_ids_.erase(watch_id(client_->db, ctx.args[i]));
      refused = true;
      break;
    }
    const std::uint32_t shard = engine_->shard_of_key(ctx.args[i]);
    watched_.push_back(Watched{client_->db, std::string(ctx.args[i]), shard, 0});
    added.emplace_back(shard, watched_.size() - 1);
  }
  std::sort(added.begin(), added.end());
  for (std::size_t begin = 0; begin < added.size();) {
    std::size_t end = begin;
    while (end < added.size() && added[end].first == added[begin].first) ++end;
    coordinator_->run_on(added[begin].first, [&](Shard& shard) {
      for (std::size_t i = begin; i < end; ++i) {
        Watched& w = watched_[added[i].second];
        // A key already expired is deleted now, so its later lazy deletion is no change
        // (Redis: watching a stale key does not fail EXEC).
        (void)shard.db(static_cast<std::size_t>(w.db)).find(w.key, shard.now_ms());
        w.version = shard.writes().watch(w.db, w.key);
      }
    });
    begin = end;
  }
  if (refused) {
    ctx.reply.error("ERR too many watched keys");
  } else {
    ctx.reply.ok();
  }
}

void MultiExec::unwatch_all() {
  if (watched_.empty()) return;
  std::sort(watched_.begin(), watched_.end(),
            [](const Watched& a, const Watched& b) { return a.shard < b.shard; });
  for (std::size_t begin = 0; begin < watched_.size();) {
    std::size_t end = begin;
    while (end < watched_.size() && watched_[end].shard == watched_[begin].shard) ++end;
    coordinator_->run_on(watched_[begin].shard, [&](Shard& shard) {
      for (std::size_t i = begin; i < end; ++i)
        shard.writes().unwatch(watched_[i].db, watched_[i].key);
    });
    begin = end;
  }
  watched_.clear();
  watched_ids_.clear();
}

bool MultiExec::watched_changed() {
  bool changed = false;
  std::sort(watched_.begin(), watched_.end(),
            [](const Watched& a, const Watched& b) { return a.shard < b.shard; });
  for (std::size_t begin = 0; begin < watched_.size() && !changed;) {
    std::size_t end = begin;
    while (end < watched_.size() && watched_[end].shard == watched_[begin].shard) ++end;
    coordinator_->run_on(watched_[begin].shard, [&](Shard& shard) {
      for (std::size_t i = begin; i < end; ++i) {
        const Watched& w = watched_[i];
        (void)shard.db(static_cast<std::size_t>(w.db)).find(w.key, shard.now_ms());
        changed = changed || shard.writes().watched_version(w.db, w.key) != w.version;
      }
    });
    begin = end;
  }
  return changed;
}

void MultiExec::exec(SessionContext& ctx) {
  if (!queuing_) {
    ctx.reply.error("ERR EXEC without MULTI");
    return;
  }
  if (aborted_) {
    reset();
    ctx.reply.error(kExecAbort);
    return;
  }
  queuing_ = false;  // the queued commands run now, not into the queue
  executing_ = true;

  // The queue as steps, each in the database it will run in.
  std::vector<std::string_view> views;
  views.reserve(arg_spans_.size());
  for (const auto& [offset, length] : arg_spans_)
    views.emplace_back(arena_.data() + offset, length);
  std::vector<Step> steps;
  steps.reserve(queue_.size());
  bool sequential = false;
  bool writes = false;
  int db = client_->db;
  std::vector<std::uint32_t> key_scratch;
  for (const Queued& q : queue_) {
    const Args args(views.data() + q.first_arg, q.arg_count);
    bool keyed = q.spec->route == CommandRoute::kKeys;
    std::string_view denied;
    if (!client_->user->unrestricted()) {
      const acl::CheckResult check = acl::check_call(*client_->user, *q.spec, args, key_scratch);
      if (check.denial == acl::Denial::kSortPattern) {
        denied = acl::sort_pattern_error(args[check.arg_index]);
        keyed = false;
      } else if (check.denial != acl::Denial::kNone) {
        acl::log_denial(*engine_, *client_, *q.spec, args, check, "multi");
        denied = check.denial == acl::Denial::kCommand ? kAclChangedCommand : kAclChangedKey;
        keyed = false;  // it goes nowhere: its reply is written at the origin
      }
    }
    steps.push_back(Step{q.spec, args, db, keyed, denied});
    if (!denied.empty()) continue;
    writes = writes || q.spec->is_write();
    if (!keyed && !is_local_session_command(*q.spec)) sequential = true;
    if (q.spec->name == "select") {
      std::int64_t index = 0;
      if (kv::Value::parse_canonical_int(args[1], &index) && index >= 0 &&
          index < static_cast<std::int64_t>(limits::databases)) {
        db = static_cast<int>(index);
      }
    }
  }

  if (sequential) {
    exec_sequential(ctx, steps);
  } else {
    // Which shards the keyed steps and the watched keys live on.
    std::vector<KeyRef> keys;
    for (const Step& step : steps) {
      if (step.keyed) touched_keys(*step.spec, step.args, step.db, keys);
    }
    std::uint32_t shard = engine_->shard_count();  // none yet
    bool one_shard = true;
    auto note = [&](std::uint32_t s) {
      if (shard == engine_->shard_count()) shard = s;
      one_shard = one_shard && s == shard;
    };
    for (const KeyRef& ref : keys) note(engine_->shard_of_key(ref.key));
    for (const Watched& w : watched_) note(w.shard);
    // Keyed steps whose keys are malformed (LMPOP 0 k) name none: any shard answers them.
    if (shard == engine_->shard_count()) shard = 0;
    if (one_shard) {
      exec_one_shard(ctx, steps, shard);
    } else {
      exec_cloned(ctx, steps, writes ? LockMode::kExclusive : LockMode::kShared);
    }
  }
  reset();
}

void MultiExec::run_at_origin(SessionContext& ctx, const Step& step) {
  if (!step.denied.empty()) {
    ctx.reply.error(step.denied);
    return;
  }
  if (step.spec->name == "unwatch") {
    // A queued UNWATCH: EXEC has checked the watched keys already and forgets them when it
    // ends, so all that is left of it is its reply.
    ctx.reply.ok();
    return;
  }
  SessionContext inner{ctx.engine, ctx.client,      *step.spec, step.args,
                       ctx.reply,  ctx.coordinator, this};
  step.spec->session_handler(inner);
}

void MultiExec::exec_one_shard(SessionContext& ctx, std::span<const Step> steps,
                               std::uint32_t shard_index) {
  Runtime& rt = engine_->runtime();
  fiber::WaitGroup wait_group(&rt.scheduler());
  ExecHop hop;
  hop.shard = &engine_->shard(shard_index);
  hop.wait_group = &wait_group;
  hop.protocol = client_->protocol;
  hop.output_bytes_max = ctx.reply.room();
  std::vector<KeyRef> keys;
  for (const Step& step : steps) {
    hop.steps.push_back(ExecHop::KeyedStep{step.keyed ? step.spec : nullptr, step.args, step.db});
    if (step.keyed) {
      hop.writes = hop.writes || step.spec->is_write();
      touched_keys(*step.spec, step.args, step.db, keys);
    }
  }
  for (const KeyRef& ref : keys) hop.keys.push_back(ref.key);
  for (const Watched& w : watched_) {
    hop.keys.push_back(w.key);
    hop.watched.push_back(ExecHop::WatchedKey{w.db, w.key, w.version});
  }
  hop.ends.resize(steps.size());
  hop.origin_core = rt.current_core();
  hop.target_core = hop.shard->home_core();
  wait_group.add();
  if (hop.target_core == hop.origin_core) {
    if (hop.run_at_target()) hop.run_at_origin();
  } else {
    rt.post(&hop);
  }
  wait_group.wait();

  if (hop.watch_failed) {
    ctx.reply.null_array();
    return;
  }
  ctx.reply.array(steps.size());
  // Cut at the shard: the commands ran, their replies are not sent (the session commands of
  // the queue still run, as in Redis).
  if (EDDY_UNLIKELY(hop.output_limit_reached)) ctx.reply.cut();
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].keyed) {
      ctx.reply.raw(std::string_view(hop.replies)
                        .substr(hop.ends[i].first, hop.ends[i].second - hop.ends[i].first));
    } else {
      run_at_origin(ctx, steps[i]);
    }
  }
}

void MultiExec::exec_cloned(SessionContext& ctx, std::span<const Step> steps, LockMode mode) {
  std::vector<KeyRef> keys;
  for (const Step& step : steps) {
    if (step.keyed) touched_keys(*step.spec, step.args, step.db, keys);
  }
  const std::size_t first_watched = keys.size();
  for (const Watched& w : watched_) keys.push_back(KeyRef{w.db, w.key});

  CloneTransaction tx(coordinator_, keys, mode);
  bool watch_failed = false;
  tx.lock_and_clone([&](Shard& shard, std::span<const std::uint32_t> indexes) {
    for (std::uint32_t index : indexes) {
      if (index < first_watched) continue;
      const Watched& w = watched_[index - first_watched];
      (void)shard.db(static_cast<std::size_t>(w.db)).find(w.key, tx.now_ms());
      watch_failed = watch_failed || shard.writes().watched_version(w.db, w.key) != w.version;
    }
  });
  if (watch_failed) {
    tx.abort();
    ctx.reply.null_array();
    return;
  }
  ctx.reply.array(steps.size());
  for (const Step& step : steps) {
    if (step.keyed) {
      tx.scratch().writes().apply(*step.spec, step.db, step.args, ctx.reply, tx.now_ms());
    } else {
      run_at_origin(ctx, step);
    }
  }
  tx.commit();
}

void MultiExec::exec_sequential(SessionContext& ctx, std::span<const Step> steps) {
  if (watched_changed()) {
    ctx.reply.null_array();
    return;
  }
  unwatch_all();
  ctx.reply.array(steps.size());
  // Blocking commands inside EXEC answer at once, as Redis's do.
  client_->deny_blocking = true;
  for (const Step& step : steps) {
    if (step.denied.empty()) {
      host_->run_alone(step.args, *ctx.reply.out());
    } else {
      ctx.reply.error(step.denied);
    }
  }
  client_->deny_blocking = false;
}

namespace {

void multi_command(SessionContext& ctx) {
  ctx.multi->multi(ctx.reply);
}
void exec_command(SessionContext& ctx) {
  ctx.multi->exec(ctx);
}
void discard_command(SessionContext& ctx) {
  ctx.multi->discard(ctx.reply);
}
void watch_command(SessionContext& ctx) {
  ctx.multi->watch(ctx);
}
void unwatch_command(SessionContext& ctx) {
  ctx.multi->unwatch(ctx.reply);
}

CommandSpec transaction_spec(std::string_view name, int arity, std::uint32_t flags,
                             CommandRoute route, SessionHandler handler, std::string_view summary,
                             std::string_view since, std::string_view syntax, int first_key = 0,
                             int last_key = 0, int step = 0) {
  CommandSpec s{};
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first_key;
  s.last_key = last_key;
  s.key_step = step;
  s.route = route;
  s.handler = nullptr;
  s.group = "transactions";
  s.summary = summary;
  s.since = since;
  s.acl_categories = "@fast @transaction";
  s.session_handler = handler;
  s.syntax = syntax;
  return s;
}

}  // namespace

void register_transaction_commands(CommandTable& table) {
  using R = CommandRoute;
  constexpr std::uint32_t kFlags =
      kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;
  // MULTI only sets a flag. EXEC, DISCARD, WATCH and UNWATCH are barriers: what the pipeline
  // sent before them finishes first, so a WATCH sees the writes that preceded it.
  table.add(transaction_spec("multi", 1, kFlags, R::kSession, multi_command,
                             "Starts a transaction.", "1.2.0", ""));
  CommandSpec exec = transaction_spec(
      "exec", 1, kCmdNoscript | kCmdLoading | kCmdStale | kCmdSkipMonitor, R::kAllShards,
      exec_command, "Executes all commands in a transaction.", "1.2.0", "");
  exec.acl_categories = "@slow @transaction";
  table.add(exec);
  table.add(transaction_spec("discard", 1, kFlags, R::kAllShards, discard_command,
                             "Discards a transaction.", "2.0.0", ""));
  table.add(transaction_spec("watch", -2, kFlags, R::kAllShards, watch_command,
                             "Monitors changes to keys to determine the execution of a "
                             "transaction.",
                             "2.2.0", "key [key ...]", 1, -1, 1));
  table.add(transaction_spec("unwatch", 1, kFlags, R::kAllShards, unwatch_command,
                             "Forgets about watched keys of a transaction.", "2.2.0", ""));
}

}  // namespace eddy

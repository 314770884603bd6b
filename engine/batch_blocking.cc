// How a connection runs a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
// BZPOPMIN, BZPOPMAX, BZMPOP) and waits: see engine/blocking.h for the shard's side.

#include <algorithm>
#include <limits>
#include <memory>

#include "engine/batch.h"
#include "engine/blocking.h"
#include "engine/tx/clone_transaction.h"

namespace eddy {

namespace {

// The timeout argument of each blocking command.
std::string_view timeout_arg(const CommandSpec& spec, Args args) {
  if (spec.name == "blmpop" || spec.name == "bzmpop") return args[1];
  return args.back();  // BLPOP BRPOP BZPOPMIN BZPOPMAX BLMOVE BRPOPLPUSH
}

bool is_move(const CommandSpec& spec) {
  return spec.name == "blmove" || spec.name == "brpoplpush";
}

constexpr Nanos kNoDeadline = std::numeric_limits<Nanos>::max();

}  // namespace

void BatchExecutor::dispatch(Hop& hop, std::uint32_t target_core) {
  Runtime& rt = engine_->runtime();
  hop.origin_core = rt.current_core();
  hop.target_core = target_core;
  if (target_core == hop.origin_core) {
    if (hop.run_at_target()) hop.run_at_origin();
  } else {
    rt.post(&hop);
  }
}

void BatchExecutor::run_blocking(const CommandSpec& spec, Args args, std::string& out) {
  if (EDDY_UNLIKELY(!finish_segment(out))) return;
  key_scratch_.clear();
  key_indexes(spec, args, key_scratch_);
  // The keys it waits on: the source of a move, every key of the others.
  std::vector<std::string_view> sources;
  for (std::uint32_t i : key_scratch_) {
    if (is_move(spec) && i != 1) continue;
    sources.push_back(args[i]);
  }
  bool one_shard = true;
  const std::uint32_t first =
      key_scratch_.empty() ? local_shard() : engine_->shard_of_key(args[key_scratch_[0]]);
  for (std::uint32_t i : key_scratch_)
    one_shard = one_shard && engine_->shard_of_key(args[i]) == first;
  if (sources.empty()) {
    // A malformed key count (BLMPOP 0 0 k): the handler answers the error without waiting.
    ReplyBuilder reply(&out, client_->protocol);
    coordinator_.run_on(first, [&](Shard& shard) {
      shard.writes().apply(spec, client_->db, args, reply, shard.now_ms());
    });
    return;
  }
  if (one_shard) {
    block_on_one_shard(spec, args, first, sources, out);
  } else {
    block_across_shards(spec, args, sources, out);
  }
}

void BatchExecutor::begin_wait(BlockedWait& wait, Nanos deadline) {
  wait.fiber = engine_->runtime().scheduler().current();
  wait.end = BlockedWait::End::kNone;
  engine_->blocking_timers_on(client_->core).add(engine_->runtime(), deadline, &wait);
  client_->blocked = &wait;
  engine_->stats().blocked_clients.fetch_add(1, std::memory_order_relaxed);
  if (stream_ != nullptr) stream_->wake_on_input(wait.fiber);
}

bool BatchExecutor::still_waiting(BlockedWait& wait) {
  if (wait.end != BlockedWait::End::kNone) return false;
  if (stream_ != nullptr && stream_->peer_hung_up()) {
    wait.end = BlockedWait::End::kHungUp;
    return false;
  }
  return true;
}

void BatchExecutor::end_wait(BlockedWait& wait, Nanos deadline) {
  engine_->blocking_timers_on(client_->core).remove(deadline, &wait);
  client_->blocked = nullptr;
  engine_->stats().blocked_clients.fetch_sub(1, std::memory_order_relaxed);
  if (stream_ != nullptr) stream_->wake_on_input(nullptr);
}

void BatchExecutor::reply_wait_end(const CommandSpec& spec, const BlockedWait& wait,
                                   std::string& out) {
  if (wait.end == BlockedWait::End::kHungUp) {
    client_->close_after_reply = true;
    return;
  }
  ReplyBuilder reply = reply_into(&out);
  if (wait.end == BlockedWait::End::kUnblockError) {
    reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    return;
  }
  if (wait.end == BlockedWait::End::kShutdown) client_->close_after_reply = true;
  if (is_move(spec)) {
    reply.null();
  } else {
    reply.null_array();
  }
}

void BatchExecutor::block_on_one_shard(const CommandSpec& spec, Args args,
                                       std::uint32_t shard_index,
                                       std::span<const std::string_view> sources,
                                       std::string& out) {
  Runtime& rt = engine_->runtime();
  Shard& shard = engine_->shard(shard_index);
  // The deadline counts from now, as Redis counts from the command's arrival.
  std::int64_t timeout_ms = 0;
  {
    std::string ignored;
    ReplyBuilder discard(&ignored);
    if (!parse_blocking_timeout(timeout_arg(spec, args), &timeout_ms, discard)) timeout_ms = 0;
  }
  const Nanos deadline =
      timeout_ms == 0 ? kNoDeadline : rt.monotonic_now() + timeout_ms * kNanosPerMilli;

  BlockedCall call;
  call.kind = BlockedCall::Kind::kServedHere;
  call.shard = &shard;
  call.spec = &spec;
  call.args = args;
  call.db = client_->db;
  call.protocol = client_->protocol;
  call.keys.assign(sources.begin(), sources.end());
  call.waiter = rt.scheduler().current();
  call.home = false;
  dispatch(call, shard.home_core());
  if (call.home && call.answered) {    // answered at once, on this core
    reply_into(&out).raw(call.reply);  // under the hard output limit
    return;
  }

  BlockedWait wait;
  begin_wait(wait, deadline);
  while (!call.home && still_waiting(wait)) rt.scheduler().suspend();
  if (!call.home) {
    // Timed out, unblocked or shutting down: take the call back (it may have been served on
    // its way; then its answer stands).
    CancelBlockedCall cancel;
    cancel.call = &call;
    cancel.waiter = rt.scheduler().current();
    cancel.home = false;
    dispatch(cancel, shard.home_core());
    while (!call.home || !cancel.home) rt.scheduler().suspend();
  }
  end_wait(wait, deadline);
  if (call.answered) {
    reply_into(&out).raw(call.reply);  // under the hard output limit
  } else {
    reply_wait_end(spec, wait, out);
  }
}

void BatchExecutor::block_across_shards(const CommandSpec& spec, Args args,
                                        std::span<const std::string_view> sources,
                                        std::string& out) {
  Runtime& rt = engine_->runtime();
  // One notify call per shard that holds keys it waits on.
  std::vector<std::unique_ptr<BlockedCall>> calls;
  for (std::string_view key : sources) {
    Shard* shard = &engine_->shard(engine_->shard_of_key(key));
    auto it = std::find_if(calls.begin(), calls.end(),
                           [&](const auto& call) { return call->shard == shard; });
    if (it == calls.end()) {
      auto call = std::make_unique<BlockedCall>();
      call->kind = BlockedCall::Kind::kNotify;
      call->shard = shard;
      call->spec = &spec;
      call->args = args;
      call->db = client_->db;
      call->protocol = client_->protocol;
      call->waiter = rt.scheduler().current();
      calls.push_back(std::move(call));
      it = calls.end() - 1;
    }
    (*it)->keys.push_back(key);
  }
  std::vector<KeyRef> keys;
  touched_keys(spec, args, client_->db, keys);

  BlockingRequest request;
  std::string attempt;
  BlockedWait wait;
  Nanos deadline = kNoDeadline;
  bool waiting = false;
  for (;;) {
    // Listen first, then look: a change between the look and the wait still wakes it.
    for (auto& call : calls) {
      if (!call->home) continue;
      call->home = false;
      dispatch(*call, call->shard->home_core());
    }
    attempt.clear();
    ReplyBuilder reply(&attempt, client_->protocol);
    request.would_block = false;
    {
      CloneTransaction tx(&coordinator_, keys, LockMode::kExclusive);
      tx.lock_and_clone();
      tx.scratch().writes().apply(spec, client_->db, args, reply, tx.now_ms(), &request);
      tx.commit();
    }
    if (!request.would_block) break;
    if (!waiting) {
      deadline = request.timeout_ms == 0 ? kNoDeadline
                                         : rt.monotonic_now() + request.timeout_ms * kNanosPerMilli;
      begin_wait(wait, deadline);
      waiting = true;
    }
    request.mode = BlockingRequest::Mode::kServe;
    auto any_home = [&] {
      return std::any_of(calls.begin(), calls.end(), [](const auto& call) { return call->home; });
    };
    while (!any_home() && still_waiting(wait)) rt.scheduler().suspend();
    if (wait.end != BlockedWait::End::kNone) break;
  }
  // Take back every call still waiting at its shard.
  std::vector<CancelBlockedCall> cancels(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i]->home) continue;
    cancels[i].call = calls[i].get();
    cancels[i].waiter = rt.scheduler().current();
    cancels[i].home = false;
    dispatch(cancels[i], calls[i]->shard->home_core());
  }
  auto all_home = [&] {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (!calls[i]->home || !cancels[i].home) return false;
    }
    return true;
  };
  while (!all_home()) rt.scheduler().suspend();
  if (waiting) end_wait(wait, deadline);
  if (!request.would_block) {
    reply_into(&out).raw(attempt);
  } else {
    reply_wait_end(spec, wait, out);
  }
}

}  // namespace eddy

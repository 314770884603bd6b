#include "engine/batch.h"

#include <algorithm>

#include "engine/acl/check.h"
#include "engine/acl/publish.h"
#include "engine/base/fault.h"
#include "engine/session_context.h"
#include "engine/storage/aof.h"

namespace eddy {

namespace {

// A "read" that may change its key (PFCOUNT storing its cached estimate, flagged
// may-replicate as in Redis) waits out shared holders too: nothing changes under a lock.
LockMode lock_mode_of(const CommandSpec& spec) {
  const bool may_change = spec.is_write() || (spec.flags & kCmdMayReplicate) != 0;
  return may_change ? LockMode::kExclusive : LockMode::kShared;
}

}  // namespace

BatchExecutor::BatchExecutor(Engine* engine, ClientState* client)
    : engine_(engine),
      client_(client),
      coordinator_(engine),
      multi_(engine, client, &coordinator_, this),
      wait_group_(&engine->runtime().scheduler()) {
  batches_.resize(engine_->shard_count());
  exec_spec_ = engine_->commands().find("exec");
  if (client_->user == nullptr) acl::start_client(*engine_, *client_);
}

BatchExecutor::~BatchExecutor() {
  // Hops point into this object: none may be in flight when it goes.
  ASSERT_EQ(wait_group_.pending(), 0u);
}

void BatchExecutor::run_on_shard(Shard& shard, const CommandSpec& spec, Args args, int db,
                                 ReplyBuilder& reply) {
  shard.writes().apply(spec, db, args, reply, shard.now_ms());
}

bool BatchExecutor::ShardBatch::run_at_target() {
  if (!PLANTED(PlantedBug::kStaleExpiryClock)) shard->refresh_clock();
  ReplyBuilder reply(&replies);
  reply.limit_output(output_bytes_max, &output_limit_reached);
  std::vector<std::string_view> keys;
  std::vector<std::uint32_t> key_positions;
  const std::size_t first = next;
  for (; next < routed.size(); ++next) {
    // Replies are bounded per round as they are at the session: past the soft bound the rest
    // waits for a later round, after the origin has sent what came before (at least one
    // command runs per round, so the batch always finishes).
    if (next > first && replies.size() >= reply_bytes_soft_max) break;
    Routed& r = owner->routed_[routed[next]];
    if (EDDY_UNLIKELY(!shard->locks().empty() || shard->parked_count() != 0)) {
      key_positions.clear();
      keys.clear();
      key_indexes(*r.spec, r.args, key_positions);
      for (std::uint32_t i : key_positions) keys.push_back(r.args[i]);
      if (shard->blocked_by_locks(keys, lock_mode_of(*r.spec))) {
        shard->park(this);
        return false;
      }
    }
    reply.set_protocol(r.protocol);
    r.reply_begin = static_cast<std::uint32_t>(replies.size());
    run_on_shard(*shard, *r.spec, r.args, r.db, reply);
    r.reply_end = static_cast<std::uint32_t>(replies.size());
    r.ran = true;
  }
  return true;
}

void BatchExecutor::ShardBatch::run_at_origin() {
  owner->wait_group_.done();
}

BatchExecutor::ShardBatch& BatchExecutor::batch_for(std::uint32_t shard) {
  auto& slot = batches_[shard];
  if (!slot) {
    slot = std::make_unique<ShardBatch>();
    slot->owner = this;
    slot->shard = &engine_->shard(shard);
  }
  if (slot->routed.empty()) batches_used_.push_back(shard);
  return *slot;
}

std::size_t BatchExecutor::execute(std::span<const std::string_view> args,
                                   std::span<const CommandRef> commands, std::string& out,
                                   std::size_t out_bytes_soft_max) {
  const std::uint64_t hard_bytes =
      engine_->client_limits().output_limit(client_->output_class()).hard_bytes;
  output_bytes_max_ = hard_bytes == 0 || hard_bytes > SIZE_MAX / 2
                          ? SIZE_MAX / 2
                          : static_cast<std::size_t>(hard_bytes);
  output_limit_reached_ = false;
  out_bytes_soft_max_ = out_bytes_soft_max;
  std::size_t done = 0;
  clock_fresh_ = nullptr;
  for (const CommandRef& command : commands) {
    if (client_->close_after_reply || client_->close_asap) break;
    if (!stitching_ && out.size() >= out_bytes_soft_max && done > 0) break;
    ASSERT_GE(command.arg_count, 1u);
    ASSERT_LE(std::size_t{command.arg_begin} + command.arg_count, args.size());
    run_command(args.subspan(command.arg_begin, command.arg_count), out);
    ++done;
    if (EDDY_UNLIKELY(output_limit_reached_)) break;
  }
  finish_segment(out);
  if (EDDY_UNLIKELY(output_limit_reached_)) client_->close_asap = true;
  return done;
}

void BatchExecutor::end_session() {
  multi_.end_session();
}

void BatchExecutor::run_alone(Args args, std::string& out) {
  ASSERT(!stitching_);
  run_command(args, out);
  finish_segment(out);
}

void BatchExecutor::reply_from_session(std::string& out, FunctionRef<void(ReplyBuilder&)> write) {
  std::string* target = stitching_ ? &session_replies_ : &out;
  const auto begin = static_cast<std::uint32_t>(target->size());
  ReplyBuilder reply = reply_into(target);
  write(reply);
  if (stitching_) {
    routed_.push_back(Routed{nullptr,
                             {},
                             0,
                             0,
                             kSessionSource,
                             begin,
                             static_cast<std::uint32_t>(target->size()),
                             true});
  }
}

void BatchExecutor::reply_error_direct(std::string_view message, std::string& out) {
  // Refused while queueing a transaction: EXEC will abort, as in Redis.
  multi_.refuse_queued();
  reply_from_session(out, [&](ReplyBuilder& reply) { reply.error(message); });
}

void BatchExecutor::run_command(Args args, std::string& out) {
  run_command_routed(args, out);
  // Anything but the keyed fast path may suspend this fiber (a hop, a lock wait, a blocked
  // pop) and let time pass: the next fast-path command reads the clock again.
  if (EDDY_UNLIKELY(!last_was_fast_path_)) clock_fresh_ = nullptr;
  last_was_fast_path_ = false;
}

void BatchExecutor::run_command_routed(Args args, std::string& out) {
  const CommandSpec* spec = engine_->commands().find(args[0]);
  if (EDDY_UNLIKELY(spec == nullptr)) {
    // Redis's wording: the name, then up to ~128 bytes of the first arguments, quoted.
    std::string message = "ERR unknown command '";
    message.append(args[0].substr(0, 128));
    message.append("', with args beginning with: ");
    std::string quoted;
    for (std::size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
      const std::size_t room = 128 - quoted.size();
      quoted.append("'");
      quoted.append(args[i].substr(0, room));
      quoted.append("' ");
    }
    message.append(quoted);
    reply_error_direct(message, out);
    return;
  }
  if (EDDY_UNLIKELY(!spec->arity_ok(args.size()))) {
    std::string message = "ERR wrong number of arguments for '";
    message.append(spec->name);
    message.append("' command");
    reply_error_direct(message, out);
    return;
  }
  // Authentication and ACLs, in Redis's order: after the name and arity, before queueing in
  // MULTI (a refusal there makes EXEC abort). The default user's case costs two branches.
  if (EDDY_UNLIKELY(!client_->authenticated) && (spec->flags & kCmdNoAuth) == 0 &&
      acl::auth_required(*engine_)) {
    reply_error_direct("NOAUTH Authentication required.", out);
    return;
  }
  if (EDDY_UNLIKELY(!client_->user->unrestricted()) && !acl_permits(*spec, args, out)) return;
  if (EDDY_UNLIKELY(spec->is_write() || spec == exec_spec_)) {
    // After a failed write or fsync of the log nothing more is accepted (Redis's MISCONF,
    // checked where Redis's processCommand does: before queueing in MULTI). A refused write
    // wrote nothing, so its reply (and those before it) need not wait for the log: the flag
    // is set only for what runs, or the flush would find the log failed and drop them all.
    const bool refusing = engine_->aof() != nullptr && engine_->aof()->refusing_writes();
    if (EDDY_UNLIKELY(refusing)) {
      if (spec->is_write()) {
        multi_.refuse_queued();
        reply_error_direct(engine_->aof()->misconf_error(), out);
        return;
      }
      // EXEC with a write queued counts as a write (as in Redis's processCommand) and is
      // refused; an EXEC of reads runs, with nothing to wait for.
      if (multi_.queued_write()) {
        const std::string reason = engine_->aof()->misconf_error();
        reply_from_session(out, [&](ReplyBuilder& reply) { multi_.abort_exec(reason, reply); });
        return;
      }
    } else {
      client_->wrote_since_reply = true;
      segment_wrote_ = true;
    }
  }
  if (EDDY_UNLIKELY(multi_.queuing()) && !MultiExec::runs_while_queuing(*spec)) {
    reply_from_session(out, [&](ReplyBuilder& reply) { multi_.queue(*spec, args, reply); });
    return;
  }
  client_->last_command = spec->name;
  ++client_->commands;

  if (EDDY_UNLIKELY((spec->flags & kCmdBlocking) != 0) && !client_->deny_blocking) {
    run_blocking(*spec, args, out);
    return;
  }
  switch (spec->route) {
    case CommandRoute::kSession:
      run_session_command(*spec, args, out);
      return;
    case CommandRoute::kAllShards:
      run_barrier(*spec, args, out);
      return;
    case CommandRoute::kKeys:
      break;
  }
  if (engine_->shard_count() == 1) {
    route_to_shard(0, *spec, args, out);
    return;
  }
  if (EDDY_UNLIKELY(spec->reads_keys_named_by_values != nullptr) &&
      spec->reads_keys_named_by_values(args)) {
    run_barrier(*spec, args, out);
    return;
  }
  key_scratch_.clear();
  key_indexes(*spec, args, key_scratch_);
  if (EDDY_UNLIKELY(key_scratch_.empty())) {
    // A malformed key count (LMPOP 0 k, ZUNIONSTORE d x k): no keys to route by. Any shard
    // answers the error; one on this core answers it without a hop.
    route_to_shard(local_shard(), *spec, args, out);
    return;
  }
  const std::uint32_t first = engine_->shard_of_key(args[key_scratch_[0]]);
  for (std::size_t i = 1; i < key_scratch_.size(); ++i) {
    if (engine_->shard_of_key(args[key_scratch_[i]]) != first) {
      run_barrier(*spec, args, out);
      return;
    }
  }
  route_to_shard(first, *spec, args, out);
}

bool BatchExecutor::acl_permits(const CommandSpec& spec, Args args, std::string& out) {
  const acl::CheckResult result = acl::check_call(*client_->user, spec, args, key_scratch_);
  if (result.denial == acl::Denial::kNone) return true;
  if (result.denial == acl::Denial::kSortPattern) {
    reply_error_direct(std::string(acl::sort_pattern_error(args[result.arg_index])), out);
    return false;
  }
  acl::log_denial(*engine_, *client_, spec, args, result, multi_.queuing() ? "multi" : "toplevel");
  if (result.denial == acl::Denial::kCommand) {
    reply_error_direct("NOPERM this user has no permissions to run the '" +
                           acl::full_command_name(spec, args) + "' command",
                       out);
  } else {
    reply_error_direct(
        "NOPERM this user has no permissions to access one of the keys used as arguments", out);
  }
  return false;
}

std::uint32_t BatchExecutor::local_shard() const {
  const std::uint32_t core = engine_->runtime().current_core();
  for (std::uint32_t i = 0; i < engine_->shard_count(); ++i) {
    if (engine_->shard(i).home_core() == core) return i;
  }
  return 0;
}

void BatchExecutor::route_to_shard(std::uint32_t shard_index, const CommandSpec& spec, Args args,
                                   std::string& out) {
  Shard& shard = engine_->shard(shard_index);
  const bool local = shard.home_core() == engine_->runtime().current_core();
  if (!stitching_ && local) {
    bool blocked = false;
    if (EDDY_UNLIKELY(!shard.locks().empty() || shard.parked_count() != 0)) {
      keys_scratch_.clear();
      key_scratch_.clear();
      key_indexes(spec, args, key_scratch_);
      for (std::uint32_t i : key_scratch_) keys_scratch_.push_back(args[i]);
      blocked = shard.blocked_by_locks(keys_scratch_, lock_mode_of(spec));
    }
    if (!blocked) {
      // The fast path: run now, reply straight into the output. The shard's clock is read
      // once per batch, as a remote shard reads it once per hop (ShardBatch::run_at_target):
      // nothing between two fast-path commands suspends this fiber, so no time passes for
      // other clients in between.
      if (clock_fresh_ != &shard) {
        shard.refresh_clock();
        clock_fresh_ = &shard;
      }
      ReplyBuilder reply = reply_into(&out);
      run_on_shard(shard, spec, args, client_->db, reply);
      last_was_fast_path_ = true;
      return;
    }
  }
  stitching_ = true;
  ShardBatch& batch = batch_for(shard_index);
  batch.routed.push_back(static_cast<std::uint32_t>(routed_.size()));
  routed_.push_back(Routed{&spec, args, static_cast<std::uint16_t>(client_->db),
                           static_cast<std::uint8_t>(client_->protocol), shard_index, 0, 0, false});
}

void BatchExecutor::run_session_command(const CommandSpec& spec, Args args, std::string& out) {
  ASSERT(spec.session_handler != nullptr);
  std::string* target = stitching_ ? &session_replies_ : &out;
  const auto begin = static_cast<std::uint32_t>(target->size());
  ReplyBuilder reply = reply_into(target);
  SessionContext ctx{*engine_, *client_, spec, args, reply, coordinator_, &multi_};
  spec.session_handler(ctx);
  if (stitching_) {
    routed_.push_back(Routed{&spec, args, 0, 0, kSessionSource, begin,
                             static_cast<std::uint32_t>(target->size()), true});
  }
}

void BatchExecutor::run_barrier(const CommandSpec& spec, Args args, std::string& out) {
  if (EDDY_UNLIKELY(!finish_segment(out))) return;
  ReplyBuilder reply = reply_into(&out);
  if (spec.session_handler == nullptr) {
    reply.error("CROSSSLOT Keys in request don't hash to the same slot");
    return;
  }
  SessionContext ctx{*engine_, *client_, spec, args, reply, coordinator_, &multi_};
  spec.session_handler(ctx);
}

// Planted bugs (simulation only): wrong replies reach the client, as a real stitching bug
// would cause.
void BatchExecutor::plant_stitching_bugs() {
  if (PLANTED(PlantedBug::kCrossShardReplyMixup)) {
    // Two commands answered by different shards get each other's replies.
    for (std::size_t i = 1; i < routed_.size(); ++i) {
      if (routed_[i].source != routed_[0].source && routed_[i].source != kSessionSource &&
          routed_[0].source != kSessionSource) {
        std::swap(routed_[0], routed_[i]);
        break;
      }
    }
  }
  if (PLANTED(PlantedBug::kPipelineReorder) && routed_.size() >= 2) {
    std::swap(routed_[routed_.size() - 1], routed_[routed_.size() - 2]);
  }
}

bool BatchExecutor::finish_segment(std::string& out) {
  if (!stitching_) {
    segment_wrote_ = false;  // a write on the fast path ran at once: the client's flag holds it
    return true;
  }
  bool going = false;
  Runtime& rt = engine_->runtime();
  const std::uint32_t core = rt.current_core();
  std::size_t stitched = 0;  // routed_ entries already in `out`, in request order
  for (bool first_round = true;; first_round = false) {
    // Remote shards first, so they work while this core runs its own part. A batch that
    // stopped at its reply bound goes again for the rest.
    for (std::uint32_t shard_index : batches_used_) {
      ShardBatch& batch = *batches_[shard_index];
      if (batch.shard->home_core() == core || batch.next == batch.routed.size()) continue;
      batch.origin_core = core;
      batch.target_core = batch.shard->home_core();
      batch.output_bytes_max = output_bytes_max_;
      batch.reply_bytes_soft_max = out_bytes_soft_max_;
      wait_group_.add();
      rt.post(&batch);
    }
    for (std::uint32_t shard_index : batches_used_) {
      ShardBatch& batch = *batches_[shard_index];
      if (batch.shard->home_core() != core || batch.next == batch.routed.size()) continue;
      batch.origin_core = batch.target_core = core;
      batch.output_bytes_max = output_bytes_max_;
      batch.reply_bytes_soft_max = out_bytes_soft_max_;
      wait_group_.add();
      if (batch.run_at_target()) batch.run_at_origin();
    }
    wait_group_.wait();

    if (EDDY_UNLIKELY(detail::g_planted_bugs != 0) && first_round) plant_stitching_bugs();
    for (std::uint32_t shard_index : batches_used_) {
      if (batches_[shard_index]->output_limit_reached) output_limit_reached_ = true;
    }
    // The replies that ran, in order, up to the first that has not: together they may pass
    // the hard limit each side buffer kept to.
    while (!output_limit_reached_ && stitched < routed_.size() && routed_[stitched].ran) {
      const Routed& r = routed_[stitched];
      const std::string& source =
          r.source == kSessionSource ? session_replies_ : batches_[r.source]->replies;
      ASSERT_LE(r.reply_begin, r.reply_end);
      ASSERT_LE(r.reply_end, source.size());
      if (out.size() + (r.reply_end - r.reply_begin) >= output_bytes_max_) {
        output_limit_reached_ = true;  // nothing of it is sent: the client is closed
        break;
      }
      out.append(source, r.reply_begin, r.reply_end - r.reply_begin);
      ++stitched;
    }
    if (output_limit_reached_) {
      going = true;
      break;
    }
    if (stitched == routed_.size()) break;
    // More to come: send what is stitched, so that neither the output nor the side buffers
    // hold more than their bound while a client reads slowly (or never).
    // (Without a way to send, the rounds still bound the side buffers; `out` holds it all.)
    // The flush waits for the log to cover what ran so far; what the next rounds write must
    // be waited for again.
    if (segment_wrote_) client_->wrote_since_reply = true;
    if (flush_ != nullptr && !flush_()) {
      client_->close_after_reply = true;  // the stream broke: the rest never runs
      going = true;
      break;
    }
    for (std::uint32_t shard_index : batches_used_) {
      ShardBatch& batch = *batches_[shard_index];
      if (batch.next == 0 || batch.routed[batch.next - 1] < stitched) batch.replies.clear();
    }
  }
  for (std::uint32_t shard_index : batches_used_) {
    ShardBatch& batch = *batches_[shard_index];
    batch.routed.clear();
    batch.replies.clear();
    batch.next = 0;
  }
  batches_used_.clear();
  routed_.clear();
  session_replies_.clear();
  stitching_ = false;
  if (segment_wrote_) client_->wrote_since_reply = true;
  segment_wrote_ = false;
  return !going;
}

}  // namespace eddy

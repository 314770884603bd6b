#pragma once
// Executes one batch of a connection's commands (everything parsed from one read) across
// shards, and leaves the replies in request order in the connection's output bytes.
//
// Commands for a shard on this core run inline, straight into the output, when nothing sent
// to another core is still outstanding. Commands for other shards are grouped into one hop per
// shard for the whole batch, and the fiber suspends once for all of them; commands that come
// after a remote one write to side buffers and are stitched into the output in order when the
// hops return. A command whose keys span shards, or that fans out to every shard, is a
// barrier: what came before it finishes first, then it runs through the Coordinator.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/engine.h"
#include "engine/fiber/scheduler.h"
#include "engine/tx/coordinator.h"
#include "engine/tx/multi_exec.h"

namespace eddy {

// A parsed command: its arguments are args[begin, begin + count) of the batch's argument
// vector (views into the connection's read buffer, valid for the whole batch).
struct CommandRef {
  std::uint32_t arg_begin;
  std::uint32_t arg_count;
};

class BatchExecutor final : private MultiExec::Host {
 public:
  BatchExecutor(Engine* engine, ClientState* client);
  ~BatchExecutor();
  BatchExecutor(const BatchExecutor&) = delete;
  BatchExecutor& operator=(const BatchExecutor&) = delete;

  // Runs commands in order, appending their replies to `out`. Returns how many were run: all
  // of them, or fewer when `out` has passed `out_bytes_soft_max` (the caller flushes and calls
  // again with the rest), or when the client asked to close (QUIT), or when the replies
  // reached the client's hard output buffer limit: then client.close_asap is set and `out`
  // holds a cut reply that must not be sent.
  std::size_t execute(std::span<const std::string_view> args, std::span<const CommandRef> commands,
                      std::string& out, std::size_t out_bytes_soft_max);
  // Whether the last execute() stopped at the hard output limit (client.close_asap may also be
  // set by another core: maxmemory-clients eviction, which logs its own reason).
  bool output_limit_reached() const { return output_limit_reached_; }

  // The connection is closing: releases what it holds at shards (watched keys). Suspends.
  void end_session();
  // The connection's stream, so that a client blocked in BLPOP and friends is noticed leaving.
  void set_stream(Stream* stream) { stream_ = stream; }
  // How the session sends the output so far (false: the stream broke or the client must
  // close): a segment whose replies pass the soft bound is sent in rounds, so that a batch of
  // large replies from other shards never sits in memory whole.
  void set_flush(std::function<bool()> flush) { flush_ = std::move(flush); }

 private:
  static constexpr std::uint32_t kSessionSource = 0xffffffffu;

  struct Routed {
    const CommandSpec* spec;
    Args args;
    std::uint16_t db;
    std::uint8_t protocol;
    std::uint32_t source;  // shard index, or kSessionSource
    std::uint32_t reply_begin;
    std::uint32_t reply_end;
    bool ran;  // its reply is in [reply_begin, reply_end) of its source
  };

  class ShardBatch final : public Hop {
   public:
    bool run_at_target() override;
    void run_at_origin() override;

    BatchExecutor* owner = nullptr;
    Shard* shard = nullptr;
    std::vector<std::uint32_t> routed;  // indexes into owner->routed_
    std::size_t next = 0;
    std::string replies;
    // The owner's hard output limit, set before the hop leaves; reached at the target.
    std::size_t output_bytes_max = 0;
    bool output_limit_reached = false;
    // Past this many bytes of replies the batch stops and goes again in a later round.
    std::size_t reply_bytes_soft_max = SIZE_MAX;
  };

  void run_command(Args args, std::string& out);
  // A builder for the client's replies into `target`, under the client's hard output limit.
  ReplyBuilder reply_into(std::string* target) {
    ReplyBuilder reply(target, client_->protocol);
    reply.limit_output(output_bytes_max_, &output_limit_reached_);
    return reply;
  }
  // BLPOP and the other blocking commands (engine/batch_blocking.cc): a barrier; waits when
  // there is nothing to pop.
  void run_blocking(const CommandSpec& spec, Args args, std::string& out);
  void block_on_one_shard(const CommandSpec& spec, Args args, std::uint32_t shard,
                          std::span<const std::string_view> sources, std::string& out);
  void block_across_shards(const CommandSpec& spec, Args args,
                           std::span<const std::string_view> sources, std::string& out);
  // Starts waiting: registers the deadline (or shutdown) and counts the client as blocked.
  void begin_wait(BlockedWait& wait, Nanos deadline);
  // Whether the wait goes on: no timeout, unblock or shutdown ended it, and the client is
  // still connected.
  bool still_waiting(BlockedWait& wait);
  void end_wait(BlockedWait& wait, Nanos deadline);
  // The reply of a wait that ended without an element.
  void reply_wait_end(const CommandSpec& spec, const BlockedWait& wait, std::string& out);
  // Sends a hop to its target core, or runs it here when the target is this core.
  void dispatch(Hop& hop, std::uint32_t target_core);
  // MultiExec::Host: EXEC's sequential plan runs each queued command through here.
  void run_alone(Args args, std::string& out) override;
  // Writes a reply made at the session (no shard) in its place in the batch's order.
  void reply_from_session(std::string& out, FunctionRef<void(ReplyBuilder&)> write);
  void run_session_command(const CommandSpec& spec, Args args, std::string& out);
  void run_command_routed(Args args, std::string& out);
  void run_barrier(const CommandSpec& spec, Args args, std::string& out);
  void route_to_shard(std::uint32_t shard, const CommandSpec& spec, Args args, std::string& out);
  void reply_error_direct(std::string_view message, std::string& out);
  ShardBatch& batch_for(std::uint32_t shard);
  std::uint32_t local_shard() const;
  // The ACL check of one call: false after answering NOPERM (and logging it for ACL LOG).
  bool acl_permits(const CommandSpec& spec, Args args, std::string& out);
  // Finishes the commands routed since the last barrier and stitches their replies into out.
  // False when the client goes instead (a reply passed the hard output limit, or the stream
  // broke between rounds): then nothing after the segment may run, as Redis runs no command of
  // a pipeline after the one that closed its client.
  bool finish_segment(std::string& out);
  void plant_stitching_bugs();
  static void run_on_shard(Shard& shard, const CommandSpec& spec, Args args, int db,
                           ReplyBuilder& reply);

  Engine* engine_;
  ClientState* client_;
  const CommandSpec* exec_spec_ = nullptr;  // EXEC runs writes without being one
  Stream* stream_ = nullptr;
  Coordinator coordinator_;
  MultiExec multi_;
  fiber::WaitGroup wait_group_;
  bool stitching_ = false;
  // The segment being stitched holds a write (or EXEC): a flush between its rounds clears the
  // client's wrote_since_reply, but the later rounds' writes still need the log's wait.
  bool segment_wrote_ = false;
  // The shard whose clock this batch has read (nullptr: none yet, or a command since may have
  // suspended), and whether the last command ran on the keyed fast path.
  Shard* clock_fresh_ = nullptr;
  bool last_was_fast_path_ = false;
  // The hard output buffer limit of the client's class for this batch (Redis's
  // client-output-buffer-limit), and whether the replies reached it.
  std::size_t output_bytes_max_ = SIZE_MAX / 2;
  bool output_limit_reached_ = false;
  std::size_t out_bytes_soft_max_ = SIZE_MAX;
  std::function<bool()> flush_;
  std::vector<Routed> routed_;
  std::string session_replies_;
  std::vector<std::unique_ptr<ShardBatch>> batches_;  // by shard, created on first use
  std::vector<std::uint32_t> batches_used_;
  std::vector<std::uint32_t> key_scratch_;
  std::vector<std::string_view> keys_scratch_;
};

}  // namespace eddy

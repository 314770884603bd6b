// SAVE, BGSAVE [SCHEDULE], LASTSAVE and SHUTDOWN, on the node's snapshotter (engine/storage/
// snapshotter.h), with Redis 7.0's replies and errors.

#include "engine/cmd/command.h"
#include "engine/cmd/reply_builder.h"
#include "engine/engine.h"
#include "engine/session_context.h"
#include "engine/storage/snapshotter.h"
#include "engine/tx/coordinator.h"
#include "engine/tx/multi_exec.h"

namespace eddy {

namespace {

constexpr std::string_view kInProgress = "ERR Background save already in progress";

bool inside_exec(const SessionContext& ctx) {
  return ctx.multi != nullptr && ctx.multi->executing();
}

storage::Snapshotter* snapshotter_or_error(SessionContext& ctx) {
  storage::Snapshotter* snapshotter = ctx.engine.snapshotter();
  if (snapshotter == nullptr) ctx.reply.error("ERR snapshots are not available on this server");
  return snapshotter;
}

// SAVE: synchronous for its client (the reply comes once the snapshot is on disk), while the
// server keeps serving everyone else, unlike Redis's, which blocks the whole server.
void save_command(SessionContext& ctx) {
  if (inside_exec(ctx)) {
    // Redis flags SAVE no-multi.
    ctx.reply.error("ERR Command not allowed inside a transaction");
    return;
  }
  storage::Snapshotter* snapshotter = snapshotter_or_error(ctx);
  if (snapshotter == nullptr) return;
  std::string error;
  switch (snapshotter->start(ctx.coordinator, true, &error)) {
    case storage::Snapshotter::Start::kStarted:
      ctx.reply.ok();
      return;
    case storage::Snapshotter::Start::kAlreadyRunning:
      ctx.reply.error(kInProgress);
      return;
    case storage::Snapshotter::Start::kFailed:
      ctx.engine.runtime().log("SAVE failed: " + error);
      ctx.reply.error("ERR");
      return;
  }
}

void bgsave_command(SessionContext& ctx) {
  bool schedule = false;
  if (ctx.args.size() > 1) {
    if (ctx.args.size() == 2 && equals_ignore_case(ctx.args[1], "SCHEDULE")) {
      schedule = true;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  (void)schedule;  // eddy has no other background job for a snapshot to wait behind
  storage::Snapshotter* snapshotter = snapshotter_or_error(ctx);
  if (snapshotter == nullptr) return;
  if (snapshotter->in_progress()) {
    ctx.reply.error(kInProgress);
    return;
  }
  if (inside_exec(ctx)) {
    // Taking the cut needs every shard whole, which EXEC may hold: the save-rules fiber
    // starts it right after, as Redis schedules a BGSAVE inside EXEC.
    snapshotter->schedule();
    ctx.reply.simple("Background saving scheduled");
    return;
  }
  std::string error;
  switch (snapshotter->start(ctx.coordinator, false, &error)) {
    case storage::Snapshotter::Start::kStarted:
      ctx.reply.simple("Background saving started");
      return;
    case storage::Snapshotter::Start::kAlreadyRunning:
      ctx.reply.error(kInProgress);
      return;
    case storage::Snapshotter::Start::kFailed:
      ctx.engine.runtime().log("BGSAVE failed: " + error);
      ctx.reply.error("ERR");
      return;
  }
}

void lastsave_command(SessionContext& ctx) {
  storage::Snapshotter* snapshotter = ctx.engine.snapshotter();
  // Without snapshots, the server's start (as Redis's lastsave before any save).
  ctx.reply.integer(snapshotter != nullptr ? snapshotter->last_save_unix_s()
                                           : ctx.engine.start_unix_ms() / 1000);
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: the node stops (as at SIGTERM) and, once every core
// has stopped, eddy-server takes the snapshot asked for. On success there is no reply: the
// connection closes, as Redis's does. NOW and FORCE are accepted (eddy has no replicas to wait
// for); ABORT has nothing to abort.
void shutdown_command(SessionContext& ctx) {
  using Mode = storage::Snapshotter::ShutdownSave;
  Mode mode = Mode::kByRules;
  bool save = false;
  bool nosave = false;
  bool abort = false;
  for (std::size_t i = 1; i < ctx.args.size(); ++i) {
    const std::string_view arg = ctx.args[i];
    if (equals_ignore_case(arg, "SAVE")) {
      save = true;
    } else if (equals_ignore_case(arg, "NOSAVE")) {
      nosave = true;
    } else if (equals_ignore_case(arg, "NOW") || equals_ignore_case(arg, "FORCE")) {
    } else if (equals_ignore_case(arg, "ABORT")) {
      abort = true;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  if ((save && nosave) || (abort && ctx.args.size() != 2)) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (abort) {
    ctx.reply.error("ERR No shutdown in progress.");
    return;
  }
  if (inside_exec(ctx)) {
    ctx.reply.error("ERR Command not allowed inside a transaction");
    return;
  }
  if (save) mode = Mode::kSave;
  if (nosave) mode = Mode::kNoSave;
  storage::Snapshotter* snapshotter = ctx.engine.snapshotter();
  if (snapshotter == nullptr || !snapshotter->request_shutdown(mode)) {
    ctx.reply.error("ERR this server cannot be shut down by a command");
    return;
  }
  ctx.engine.runtime().log("User requested shutdown...");
  ctx.client.close_after_reply = true;
}

CommandSpec persistence_spec(std::string_view name, int arity, std::uint32_t flags,
                             SessionHandler handler, std::string_view summary,
                             std::string_view since, std::string_view acl) {
  CommandSpec s{};
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.route = CommandRoute::kAllShards;
  s.handler = nullptr;
  s.group = "server";
  s.summary = summary;
  s.since = since;
  s.acl_categories = acl;
  s.session_handler = handler;
  return s;
}

}  // namespace

void register_persistence_commands(CommandTable& table) {
  table.add(persistence_spec("save", 1, kCmdAdmin | kCmdNoscript, save_command,
                             "Synchronously saves the database(s) to disk.", "1.0.0", "@slow"));
  table.add(persistence_spec("bgsave", -1, kCmdAdmin | kCmdNoscript, bgsave_command,
                             "Asynchronously saves the database(s) to disk.", "1.0.0", "@slow"));
  table.add(persistence_spec("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, lastsave_command,
                             "Returns the Unix timestamp of the last successful save to disk.",
                             "1.0.0", "@fast @admin @dangerous"));
  table.add(persistence_spec("shutdown", -1,
                             kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale | kCmdAllowBusy,
                             shutdown_command,
                             "Synchronously saves the database(s) to disk and "
                             "shuts down the Redis server.",
                             "1.0.0", "@slow"));
}

}  // namespace eddy

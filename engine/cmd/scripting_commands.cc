// Scripting (EVAL, FUNCTION, SCRIPT): eddy has no script engine yet. What can be answered
// truthfully for a server that holds no scripts and no functions is answered as Redis would
// (FUNCTION FLUSH and SCRIPT FLUSH: OK; FUNCTION LIST: empty; SCRIPT EXISTS: 0 for every sha;
// EVALSHA: NOSCRIPT; FCALL: function not found; KILL: not busy). Everything that would need an
// engine (EVAL, SCRIPT LOAD, FUNCTION LOAD/RESTORE/DUMP) is refused with a clear error, never
// accepted and ignored.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/cmd/command.h"
#include "engine/session_context.h"

namespace eddy {

namespace {

constexpr std::string_view kNoEngine =
    "ERR eddy has no scripting engine: scripts and functions are not supported";

void unknown_subcommand(SessionContext& ctx, std::string_view container) {
  std::string message = "ERR unknown subcommand '";
  message += ctx.args[1].substr(0, 128);
  message += "'. Try ";
  message += container;
  message += " HELP.";
  ctx.reply.error(message);
}

void wrong_arity(SessionContext& ctx, std::string_view container) {
  std::string message = "ERR unknown subcommand or wrong number of arguments for '";
  message += ctx.args[1].substr(0, 128);
  message += "'. Try ";
  message += container;
  message += " HELP.";
  ctx.reply.error(message);
}

// FLUSH [ASYNC|SYNC]: nothing to flush.
void flush(SessionContext& ctx, std::string_view container, std::string_view bad_option) {
  if (ctx.args.size() > 3) {
    wrong_arity(ctx, container);
    return;
  }
  if (ctx.args.size() == 3 && !equals_ignore_case(ctx.args[2], "sync") &&
      !equals_ignore_case(ctx.args[2], "async")) {
    ctx.reply.error(bad_option);
    return;
  }
  ctx.reply.ok();
}

void function_command(SessionContext& ctx) {
  const std::string_view sub = ctx.args[1];
  if (equals_ignore_case(sub, "flush")) {
    flush(ctx, "FUNCTION", "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  } else if (equals_ignore_case(sub, "list")) {
    for (std::size_t i = 2; i < ctx.args.size(); ++i) {
      if (equals_ignore_case(ctx.args[i], "withcode")) continue;
      if (equals_ignore_case(ctx.args[i], "libraryname")) {
        if (i + 1 == ctx.args.size()) {
          ctx.reply.error("ERR library name argument was not given");
          return;
        }
        ++i;
        continue;
      }
      ctx.reply.error(std::string("ERR Unknown argument ") +
                      std::string(ctx.args[i].substr(0, 128)));
      return;
    }
    ctx.reply.array(0);
  } else if (equals_ignore_case(sub, "delete")) {
    if (ctx.args.size() != 3) return wrong_arity(ctx, "FUNCTION");
    ctx.reply.error("ERR Library not found");
  } else if (equals_ignore_case(sub, "kill")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "FUNCTION");
    ctx.reply.error("NOTBUSY No scripts in execution right now.");
  } else if (equals_ignore_case(sub, "stats")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "FUNCTION");
    // No script running, and no engines.
    ctx.reply.map(2);
    ctx.reply.bulk("running_script");
    ctx.reply.null();
    ctx.reply.bulk("engines");
    ctx.reply.map(0);
  } else if (equals_ignore_case(sub, "load") || equals_ignore_case(sub, "dump") ||
             equals_ignore_case(sub, "restore")) {
    ctx.reply.error(kNoEngine);
  } else {
    unknown_subcommand(ctx, "FUNCTION");
  }
}

void script_command(SessionContext& ctx) {
  const std::string_view sub = ctx.args[1];
  if (equals_ignore_case(sub, "flush")) {
    flush(ctx, "SCRIPT", "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  } else if (equals_ignore_case(sub, "exists")) {
    if (ctx.args.size() < 3) return wrong_arity(ctx, "SCRIPT");
    ctx.reply.array(ctx.args.size() - 2);
    for (std::size_t i = 2; i < ctx.args.size(); ++i) ctx.reply.integer(0);
  } else if (equals_ignore_case(sub, "kill")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "SCRIPT");
    ctx.reply.error("NOTBUSY No scripts in execution right now.");
  } else if (equals_ignore_case(sub, "load") || equals_ignore_case(sub, "debug")) {
    ctx.reply.error(kNoEngine);
  } else {
    unknown_subcommand(ctx, "SCRIPT");
  }
}

// The key count of EVAL/EVALSHA, checked as Redis does before anything else.
bool check_numkeys(SessionContext& ctx) {
  std::int64_t numkeys = 0;
  if (!parse_int64_arg(ctx.args[2], &numkeys, ctx.reply)) return false;
  if (numkeys > static_cast<std::int64_t>(ctx.args.size()) - 3) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.reply.error("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

void eval_command(SessionContext& ctx) {
  if (!check_numkeys(ctx)) return;
  ctx.reply.error(kNoEngine);
}

void evalsha_command(SessionContext& ctx) {
  if (!check_numkeys(ctx)) return;
  ctx.reply.error("NOSCRIPT No matching script. Please use EVAL.");
}

void fcall_command(SessionContext& ctx) {
  // Redis looks the function up first: with none loaded, every call is "not found".
  ctx.reply.error("ERR Function not found");
}

CommandSpec session_spec(std::string_view name, int arity, std::uint32_t flags,
                         SessionHandler handler, std::string_view summary, std::string_view since,
                         std::string_view acl, std::string_view syntax) {
  CommandSpec s{};
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.route = CommandRoute::kSession;
  s.group = "scripting";
  s.summary = summary;
  s.since = since;
  s.acl_categories = acl;
  s.session_handler = handler;
  s.syntax = syntax;
  return s;
}

}  // namespace

void register_scripting_commands(CommandTable& table) {
  table.add(session_spec("function", -2, kCmdNoscript, function_command,
                         "A container for function commands", "7.0.0", "@slow @scripting @write",
                         "subcommand [argument [argument ...]]"));
  table.add(session_spec("script", -2, kCmdNoscript, script_command,
                         "A container for Lua scripts management commands", "2.6.0",
                         "@slow @scripting", "subcommand [argument [argument ...]]"));
  table.add(session_spec("eval", -3, kCmdNoscript | kCmdMayReplicate, eval_command,
                         "Executes a server-side Lua script", "2.6.0", "@slow @scripting",
                         "script numkeys [key [key ...]] [arg [arg ...]]"));
  table.add(session_spec("eval_ro", -3, kCmdNoscript | kCmdReadonly, eval_command,
                         "Executes a read-only server-side Lua script", "7.0.0", "@slow @scripting",
                         "script numkeys [key [key ...]] [arg [arg ...]]"));
  table.add(session_spec("evalsha", -3, kCmdNoscript | kCmdMayReplicate, evalsha_command,
                         "Executes a server-side Lua script by SHA1 digest", "2.6.0",
                         "@slow @scripting", "sha1 numkeys [key [key ...]] [arg [arg ...]]"));
  table.add(session_spec("evalsha_ro", -3, kCmdNoscript | kCmdReadonly, evalsha_command,
                         "Executes a read-only server-side Lua script by SHA1 digest", "7.0.0",
                         "@slow @scripting", "sha1 numkeys [key [key ...]] [arg [arg ...]]"));
  table.add(session_spec("fcall", -3, kCmdNoscript | kCmdMayReplicate, fcall_command,
                         "Invokes a function", "7.0.0", "@slow @scripting",
                         "function numkeys [key [key ...]] [arg [arg ...]]"));
  table.add(session_spec("fcall_ro", -3, kCmdNoscript | kCmdReadonly, fcall_command,
                         "Invokes a read-only function", "7.0.0", "@slow @scripting",
                         "function numkeys [key [key ...]] [arg [arg ...]]"));
}

}  // namespace eddy

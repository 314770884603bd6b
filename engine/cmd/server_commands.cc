// Connection, server and keyspace-wide commands: PING ECHO QUIT HELLO SELECT TIME COMMAND
// CLIENT CONFIG INFO DBSIZE FLUSHDB FLUSHALL SWAPDB KEYS SCAN RANDOMKEY. Session-level ones
// touch only the calling client; the rest fan out through the Coordinator.

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "engine/acl/authenticate.h"
#include "engine/acl/categories.h"
#include "engine/acl/publish.h"
#include "engine/acl/registry.h"
#include "engine/acl/user.h"
#include "engine/base/glob.h"
#include "engine/cmd/command.h"
#include "engine/cmd/command_docs.h"
#include "engine/engine.h"
#include "engine/fiber/scheduler.h"
#include "engine/session_context.h"
#include "engine/storage/aof.h"
#include "engine/storage/snapshotter.h"
#include "engine/tx/coordinator.h"
#include "engine/tx/multi_exec.h"

namespace eddy {

namespace {

constexpr std::string_view kRedisVersion = "7.0.15";
constexpr std::string_view kEddyVersion = "0.1.0";

std::string lower_copy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper_copy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool parse_uint64(std::string_view text, std::uint64_t* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

void unknown_subcommand(SessionContext& ctx, std::string_view command) {
  ctx.reply.error("ERR unknown subcommand '" + std::string(ctx.args[1].substr(0, 128)) + "'. Try " +
                  upper_copy(command) + " HELP.");
}

void wrong_arity(SessionContext& ctx, std::string_view full_name) {
  ctx.reply.error("ERR wrong number of arguments for '" + std::string(full_name) + "' command");
}

// ---------------------------------------------------------------- connection

void ping_command(SessionContext& ctx) {
  if (ctx.args.size() > 2) return wrong_arity(ctx, "ping");
  if (ctx.args.size() == 2) {
    ctx.reply.bulk(ctx.args[1]);
  } else {
    ctx.reply.simple("PONG");
  }
}

void echo_command(SessionContext& ctx) {
  ctx.reply.bulk(ctx.args[1]);
}

void quit_command(SessionContext& ctx) {
  ctx.reply.ok();
  ctx.client.close_after_reply = true;
}

// RESET: the connection as a new one sees it (Redis's clearClientConnectionState): out of any
// transaction and its watches, database 0, RESP2, no name, the default user (authenticated only
// if it needs no password). eddy has no MONITOR, tracking or pub/sub state to clear.
void reset_command(SessionContext& ctx) {
  if (ctx.multi != nullptr) ctx.multi->end_session();
  acl::start_client(ctx.engine, ctx.client);
  ctx.client.db = 0;
  ctx.client.protocol = 2;
  ctx.client.name.clear();
  ctx.reply.set_protocol(2);
  ctx.reply.simple("RESET");
}

void select_command(SessionContext& ctx) {
  std::int64_t index = 0;
  if (!parse_int64_arg(ctx.args[1], &index, ctx.reply)) return;
  if (index < 0 || index >= static_cast<std::int64_t>(limits::databases)) {
    ctx.reply.error(errors::kDbIndex);
    return;
  }
  ctx.client.db = static_cast<int>(index);
  ctx.reply.ok();
}

void time_command(SessionContext& ctx) {
  const std::int64_t us = ctx.engine.runtime().unix_now_us();
  ctx.reply.array(2);
  ctx.reply.bulk_integer(us / 1'000'000);
  ctx.reply.bulk_integer(us % 1'000'000);
}

void hello_command(SessionContext& ctx) {
  std::size_t next = 1;
  int protocol = ctx.client.protocol;
  if (ctx.args.size() >= 2) {
    std::int64_t version = 0;
    std::string_view text = ctx.args[1];
    bool numeric = !text.empty() && text.size() <= 20;
    for (char c : text) numeric = numeric && (c >= '0' && c <= '9');
    if (!numeric || !std::from_chars(text.data(), text.data() + text.size(), version).ptr) {
      ctx.reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.reply.error("NOPROTO unsupported protocol version");
      return;
    }
    protocol = static_cast<int>(version);
    next = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  for (; next < ctx.args.size(); ++next) {
    const std::size_t left = ctx.args.size() - next - 1;
    if (equals_ignore_case(ctx.args[next], "AUTH") && left >= 2) {
      if (!acl::authenticate(ctx, ctx.args[next + 1], ctx.args[next + 2])) {
        ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      next += 2;
    } else if (equals_ignore_case(ctx.args[next], "SETNAME") && left >= 1) {
      new_name = ctx.args[next + 1];
      set_name = true;
      ++next;
    } else {
      ctx.reply.error("ERR Syntax error in HELLO option '" + std::string(ctx.args[next]) + "'");
      return;
    }
  }
  if (!ctx.client.authenticated) {
    ctx.reply.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return;
  }
  if (set_name) {
    for (char c : new_name) {
      if (c < '!' || c > '~') {
        ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    }
    ctx.client.name = std::string(new_name);
  }
  ctx.client.protocol = protocol;
  ctx.reply.set_protocol(protocol);
  ctx.reply.map(7);
  ctx.reply.bulk("server");
  ctx.reply.bulk("redis");
  ctx.reply.bulk("version");
  ctx.reply.bulk(kRedisVersion);
  ctx.reply.bulk("proto");
  ctx.reply.integer(protocol);
  ctx.reply.bulk("id");
  ctx.reply.integer(static_cast<std::int64_t>(ctx.client.id));
  ctx.reply.bulk("mode");
  ctx.reply.bulk("standalone");
  ctx.reply.bulk("role");
  ctx.reply.bulk("master");
  ctx.reply.bulk("modules");
  ctx.reply.array(0);
}

// ---------------------------------------------------------------- COMMAND

void flag_names(std::uint32_t flags, std::vector<std::string_view>& out) {
  static constexpr std::pair<std::uint32_t, std::string_view> kNames[] = {
      {kCmdWrite, "write"},
      {kCmdReadonly, "readonly"},
      {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},
      {kCmdPubsub, "pubsub"},
      {kCmdNoscript, "noscript"},
      {kCmdLoading, "loading"},
      {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"},
      {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},
      {kCmdMayReplicate, "may_replicate"},
      {kCmdNoMandatoryKeys, "no_mandatory_keys"},
      {kCmdAllowBusy, "allow_busy"},
      {kCmdBlocking, "blocking"},
  };
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
}

void command_info_entry(ReplyBuilder& reply, const CommandSpec& spec) {
  reply.array(10);
  reply.bulk(spec.name);
  reply.integer(spec.arity);
  std::vector<std::string_view> flags;
  flag_names(spec.flags, flags);
  reply.set(flags.size());
  for (auto f : flags) reply.simple(f);
  reply.integer(spec.first_key);
  reply.integer(spec.last_key);
  reply.integer(spec.key_step);
  // From the bits ACL rules use, in Redis's category order (as Redis lists them).
  std::vector<std::string> categories;
  for (std::size_t i = 0; i < acl::kCategoryNames.size(); ++i) {
    if ((spec.acl_category_bits >> i) & 1)
      categories.push_back("@" + std::string(acl::kCategoryNames[i]));
  }
  reply.set(categories.size());
  for (const auto& c : categories) reply.simple(c);
  reply.set(0);    // tips
  reply.array(0);  // key specifications (first/last/step above carry the key positions)
  reply.array(0);  // subcommands
}

void command_docs_entry(ReplyBuilder& reply, const CommandSpec& spec) {
  reply.bulk(spec.name);
  const auto arguments = parse_command_syntax(syntax_of(spec));
  reply.map(arguments.empty() ? 3 : 4);
  reply.bulk("summary");
  reply.bulk(spec.summary);
  reply.bulk("since");
  reply.bulk(spec.since);
  reply.bulk("group");
  reply.bulk(spec.group);
  if (!arguments.empty()) {
    reply.bulk("arguments");
    write_doc_arguments(reply, arguments);
  }
}

void command_command(SessionContext& ctx) {
  const auto& all = ctx.engine.commands().all();
  if (ctx.args.size() == 1) {
    ctx.reply.array(all.size());
    for (const auto& spec : all) command_info_entry(ctx.reply, spec);
    return;
  }
  std::string_view sub = ctx.args[1];
  if (equals_ignore_case(sub, "COUNT")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "command|count");
    ctx.reply.integer(static_cast<std::int64_t>(all.size()));
  } else if (equals_ignore_case(sub, "INFO")) {
    if (ctx.args.size() == 2) {
      ctx.reply.array(all.size());
      for (const auto& spec : all) command_info_entry(ctx.reply, spec);
      return;
    }
    ctx.reply.array(ctx.args.size() - 2);
    for (std::size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = ctx.engine.commands().find(ctx.args[i]);
      if (spec == nullptr) {
        ctx.reply.null_array();
      } else {
        command_info_entry(ctx.reply, *spec);
      }
    }
  } else if (equals_ignore_case(sub, "DOCS")) {
    std::vector<const CommandSpec*> wanted;
    if (ctx.args.size() == 2) {
      for (const auto& spec : all) wanted.push_back(&spec);
    } else {
      for (std::size_t i = 2; i < ctx.args.size(); ++i) {
        if (const CommandSpec* spec = ctx.engine.commands().find(ctx.args[i])) {
          wanted.push_back(spec);
        }
      }
    }
    ctx.reply.map(wanted.size());
    for (const CommandSpec* spec : wanted) command_docs_entry(ctx.reply, *spec);
  } else if (equals_ignore_case(sub, "LIST")) {
    ctx.reply.array(all.size());
    for (const auto& spec : all) ctx.reply.bulk(spec.name);
  } else if (equals_ignore_case(sub, "GETKEYS")) {
    if (ctx.args.size() < 3) return wrong_arity(ctx, "command|getkeys");
    Args target = ctx.args.subspan(2);
    const CommandSpec* spec = ctx.engine.commands().find(target[0]);
    if (spec == nullptr) {
      ctx.reply.error("ERR Invalid command specified");
      return;
    }
    if (!spec->arity_ok(target.size())) {
      ctx.reply.error("ERR Invalid number of arguments specified for command");
      return;
    }
    std::vector<std::uint32_t> indexes;
    if (has_keys(*spec)) key_indexes(*spec, target, indexes);
    if (indexes.empty()) {
      ctx.reply.error("ERR The command has no key arguments");
      return;
    }
    ctx.reply.array(indexes.size());
    for (auto i : indexes) ctx.reply.bulk(target[i]);
  } else if (equals_ignore_case(sub, "HELP")) {
    static constexpr std::string_view kHelp[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "HELP",
        "    Print this help."};
    ctx.reply.array(std::size(kHelp));
    for (auto line : kHelp) ctx.reply.simple(line);
  } else {
    unknown_subcommand(ctx, "COMMAND");
  }
}

}  // namespace

// ---------------------------------------------------------------- CLIENT

std::string client_info_line(const ClientState& c, std::int64_t now_ms) {
  std::string line;
  line.reserve(256);
  auto field = [&](std::string_view key, std::string_view value) {
    if (!line.empty()) line.push_back(' ');
    line.append(key);
    line.push_back('=');
    line.append(value);
  };
  auto num = [&](std::string_view key, std::int64_t value) { field(key, std::to_string(value)); };
  num("id", static_cast<std::int64_t>(c.id));
  field("addr", c.addr);
  field("laddr", c.laddr);
  num("fd", -1);
  field("name", c.name);
  num("age", (now_ms - c.created_ms) / 1000);
  num("idle", (now_ms - c.last_active_ms) / 1000);
  std::string flags;
  if (c.close_asap) flags.push_back('A');
  if (c.unix_socket) flags.push_back('U');
  if (c.no_evict) flags.push_back('e');
  field("flags", flags.empty() ? std::string_view("N") : std::string_view(flags));
  num("db", c.db);
  num("sub", 0);
  num("psub", 0);
  num("ssub", 0);
  num("multi", -1);
  num("qbuf", static_cast<std::int64_t>(c.query_buffer_bytes));
  num("qbuf-free", static_cast<std::int64_t>(c.input_buffer_bytes > c.query_buffer_bytes
                                                 ? c.input_buffer_bytes - c.query_buffer_bytes
                                                 : 0));
  num("argv-mem", 0);
  num("multi-mem", 0);
  num("rbs", 0);
  num("rbp", 0);
  num("obl", static_cast<std::int64_t>(c.output_bytes));
  num("oll", 0);
  num("omem", static_cast<std::int64_t>(c.pending_output_bytes()));
  num("tot-mem", static_cast<std::int64_t>(c.memory_bytes));
  field("events", "r");
  field("cmd", c.last_command == "NULL" ? "NULL" : lower_copy(c.last_command));
  field("user", c.user != nullptr ? std::string_view(c.user->name()) : "default");
  num("redir", -1);
  num("resp", c.protocol);
  field("lib-name", c.lib_name);
  field("lib-ver", c.lib_ver);
  return line;
}

namespace {

bool valid_client_name(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// CLIENT KILL addr (the old form: OK, or "No such client"; it may kill the caller) and CLIENT
// KILL filter value ... (the number killed; SKIPME yes by default). Another client's stream is
// closed on its own core, which ends its session (a blocked one included); the caller's own
// connection closes after this reply, as Redis does.
void client_kill(SessionContext& ctx) {
  const bool old_form = ctx.args.size() == 3;
  std::string_view addr;
  std::string_view laddr;
  std::uint64_t id = 0;
  bool only_none = false;  // TYPE master/replica/pubsub: eddy has no such clients
  bool skip_me = !old_form;
  std::string user_name;  // empty: any user
  if (old_form) {
    addr = ctx.args[2];
  } else if (ctx.args.size() > 3) {
    for (std::size_t i = 2; i < ctx.args.size(); i += 2) {
      const bool more = i + 1 < ctx.args.size();
      std::string_view option = ctx.args[i];
      if (!more) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
      std::string_view value = ctx.args[i + 1];
      if (equals_ignore_case(option, "ID")) {
        std::int64_t parsed = 0;
        if (!kv::Value::parse_canonical_int(value, &parsed) || parsed < 1) {
          ctx.reply.error("ERR client-id should be greater than 0");
          return;
        }
        id = static_cast<std::uint64_t>(parsed);
      } else if (equals_ignore_case(option, "TYPE")) {
        if (equals_ignore_case(value, "normal")) continue;
        if (equals_ignore_case(value, "master") || equals_ignore_case(value, "replica") ||
            equals_ignore_case(value, "slave") || equals_ignore_case(value, "pubsub")) {
          only_none = true;
          continue;
        }
        ctx.reply.error("ERR Unknown client type '" + std::string(value) + "'");
        return;
      } else if (equals_ignore_case(option, "ADDR")) {
        addr = value;
      } else if (equals_ignore_case(option, "LADDR")) {
        laddr = value;
      } else if (equals_ignore_case(option, "USER")) {
        const auto& users = ctx.engine.acl().on_core(ctx.engine.runtime().current_core());
        if (users.find(value) == nullptr) {
          ctx.reply.error("ERR No such user '" + std::string(value) + "'");
          return;
        }
        user_name = std::string(value);
      } else if (equals_ignore_case(option, "SKIPME")) {
        if (equals_ignore_case(value, "yes")) {
          skip_me = true;
        } else if (equals_ignore_case(value, "no")) {
          skip_me = false;
        } else {
          ctx.reply.error(errors::kSyntax);
          return;
        }
      } else {
        ctx.reply.error(errors::kSyntax);
        return;
      }
    }
  } else {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  std::vector<std::size_t> killed(ctx.engine.runtime().core_count(), 0);
  bool close_me = false;
  const ClientState* me = &ctx.client;
  if (!only_none) {
    ctx.coordinator.run_on_all_cores([&](std::uint32_t core) {
      ctx.engine.clients_on(core).for_each([&](const ClientState& c) {
        if (!addr.empty() && c.addr != addr) return;
        if (!laddr.empty() && c.laddr != laddr) return;
        if (id != 0 && c.id != id) return;
        if (!user_name.empty() && (c.user == nullptr || c.user->name() != user_name)) return;
        if (&c == me) {
          if (skip_me) return;
          close_me = true;
        } else if (c.stream != nullptr) {
          c.stream->close();
        }
        ++killed[core];
      });
    });
  }
  std::size_t total = 0;
  for (std::size_t n : killed) total += n;
  if (old_form) {
    if (total == 0) {
      ctx.reply.error("ERR No such client");
    } else {
      ctx.reply.ok();
    }
  } else {
    ctx.reply.integer(static_cast<std::int64_t>(total));
  }
  if (close_me) ctx.client.close_after_reply = true;
}

void client_command(SessionContext& ctx) {
  std::string_view sub = ctx.args[1];
  const std::int64_t now_ms = ctx.engine.runtime().unix_now_ms();
  if (equals_ignore_case(sub, "ID")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "client|id");
    ctx.reply.integer(static_cast<std::int64_t>(ctx.client.id));
  } else if (equals_ignore_case(sub, "SETNAME")) {
    if (ctx.args.size() != 3) return wrong_arity(ctx, "client|setname");
    if (!valid_client_name(ctx.args[2])) {
      ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    ctx.client.name = std::string(ctx.args[2]);
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "GETNAME")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "client|getname");
    if (ctx.client.name.empty()) {
      ctx.reply.null();
    } else {
      ctx.reply.bulk(ctx.client.name);
    }
  } else if (equals_ignore_case(sub, "SETINFO")) {
    if (ctx.args.size() != 4) return wrong_arity(ctx, "client|setinfo");
    std::string_view attr = ctx.args[2];
    if (!valid_client_name(ctx.args[3])) {
      ctx.reply.error("ERR " + upper_copy(attr) +
                      " cannot contain spaces, newlines or special characters.");
      return;
    }
    if (equals_ignore_case(attr, "LIB-NAME")) {
      ctx.client.lib_name = std::string(ctx.args[3]);
    } else if (equals_ignore_case(attr, "LIB-VER")) {
      ctx.client.lib_ver = std::string(ctx.args[3]);
    } else {
      ctx.reply.error("ERR Unrecognized option '" + std::string(attr) + "'");
      return;
    }
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "INFO")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "client|info");
    ctx.reply.verbatim(client_info_line(ctx.client, now_ms) + "\n");
  } else if (equals_ignore_case(sub, "LIST")) {
    // CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
    std::vector<std::uint64_t> ids;
    bool only_none = false;
    for (std::size_t i = 2; i < ctx.args.size(); ++i) {
      if (equals_ignore_case(ctx.args[i], "TYPE") && i + 1 < ctx.args.size()) {
        std::string_view type = ctx.args[++i];
        if (equals_ignore_case(type, "normal")) continue;
        if (equals_ignore_case(type, "master") || equals_ignore_case(type, "replica") ||
            equals_ignore_case(type, "slave") || equals_ignore_case(type, "pubsub")) {
          only_none = true;
          continue;
        }
        ctx.reply.error("ERR Unknown client type '" + std::string(type) + "'");
        return;
      } else if (equals_ignore_case(ctx.args[i], "ID") && i + 1 < ctx.args.size()) {
        for (++i; i < ctx.args.size(); ++i) {
          std::uint64_t id = 0;
          if (!parse_uint64(ctx.args[i], &id) || id == 0) {
            ctx.reply.error("ERR Invalid client ID");
            return;
          }
          ids.push_back(id);
        }
      } else {
        ctx.reply.error(errors::kSyntax);
        return;
      }
    }
    std::vector<std::string> per_core(ctx.engine.runtime().core_count());
    if (!only_none) {
      ctx.coordinator.run_on_all_cores([&](std::uint32_t core) {
        std::string& text = per_core[core];
        ctx.engine.clients_on(core).for_each([&](const ClientState& c) {
          if (!ids.empty() && std::find(ids.begin(), ids.end(), c.id) == ids.end()) return;
          text += client_info_line(c, now_ms);
          text += '\n';
        });
      });
    }
    std::string all;
    for (auto& text : per_core) all += text;
    ctx.reply.verbatim(all);
  } else if (equals_ignore_case(sub, "KILL")) {
    client_kill(ctx);
  } else if (equals_ignore_case(sub, "UNBLOCK")) {
    // CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends a blocking command's wait as if it timed out, or
    // with an UNBLOCKED error.
    if (ctx.args.size() != 3 && ctx.args.size() != 4) return wrong_arity(ctx, "client|unblock");
    std::int64_t id = 0;
    if (!parse_int64_arg(ctx.args[2], &id, ctx.reply)) return;
    BlockedWait::End end = BlockedWait::End::kUnblockTimeout;
    if (ctx.args.size() == 4) {
      if (equals_ignore_case(ctx.args[3], "error")) {
        end = BlockedWait::End::kUnblockError;
      } else if (!equals_ignore_case(ctx.args[3], "timeout")) {
        ctx.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
      }
    }
    std::vector<char> unblocked(ctx.engine.runtime().core_count(), 0);
    ctx.coordinator.run_on_all_cores([&](std::uint32_t core) {
      ctx.engine.clients_on(core).for_each([&](ClientState& c) {
        if (static_cast<std::int64_t>(c.id) != id || c.blocked == nullptr) return;
        if (c.blocked->end != BlockedWait::End::kNone) return;
        c.blocked->end = end;
        ctx.engine.runtime().scheduler().wake(c.blocked->fiber);
        unblocked[core] = 1;
      });
    });
    ctx.reply.integer(std::count(unblocked.begin(), unblocked.end(), 1) > 0 ? 1 : 0);
  } else if (equals_ignore_case(sub, "NO-EVICT") || equals_ignore_case(sub, "NO-TOUCH")) {
    if (ctx.args.size() != 3) return wrong_arity(ctx, "client|" + lower_copy(sub));
    const bool on = equals_ignore_case(ctx.args[2], "on");
    if (!on && !equals_ignore_case(ctx.args[2], "off")) {
      ctx.reply.error(errors::kSyntax);
      return;
    }
    // NO-EVICT: maxmemory-clients passes this client over. NO-TOUCH (Redis 7.2, about keys'
    // access times, which eddy does not keep) changes nothing.
    if (equals_ignore_case(sub, "NO-EVICT")) ctx.client.no_evict = on;
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "HELP")) {
    static constexpr std::string_view kHelp[] = {
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [options ...]",
        "    Return information about client connections.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr (LIB-NAME or LIB-VER).",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "HELP",
        "    Print this help."};
    ctx.reply.array(std::size(kHelp));
    for (auto line : kHelp) ctx.reply.simple(line);
  } else {
    unknown_subcommand(ctx, "CLIENT");
  }
}

// ---------------------------------------------------------------- CONFIG

void config_command(SessionContext& ctx) {
  std::string_view sub = ctx.args[1];
  if (equals_ignore_case(sub, "GET")) {
    if (ctx.args.size() < 3) return wrong_arity(ctx, "config|get");
    std::vector<std::pair<std::string, std::string>> found;
    for (std::size_t i = 2; i < ctx.args.size(); ++i) {
      for (auto& pair : ctx.engine.config().get(ctx.args[i])) {
        bool seen = std::any_of(found.begin(), found.end(),
                                [&](const auto& f) { return f.first == pair.first; });
        if (!seen) found.push_back(std::move(pair));
      }
    }
    ctx.reply.map(found.size());
    for (const auto& [name, value] : found) {
      ctx.reply.bulk(name);
      ctx.reply.bulk(value);
    }
  } else if (equals_ignore_case(sub, "SET")) {
    if (ctx.args.size() < 4 || ctx.args.size() % 2 != 0) return wrong_arity(ctx, "config|set");
    std::vector<std::pair<std::string_view, std::string_view>> settings;
    for (std::size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
      settings.emplace_back(ctx.args[i], ctx.args[i + 1]);
    }
    std::string error;
    if (!ctx.engine.config().set_all(settings, &error)) {
      ctx.reply.error(error);
      return;
    }
    // requirepass is the default user's password, as in Redis (the last one given wins).
    for (auto it = settings.rbegin(); it != settings.rend(); ++it) {
      if (equals_ignore_case(it->first, "requirepass")) {
        acl::set_default_password(ctx, it->second, it->second.empty());
        break;
      }
    }
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "RESETSTAT")) {
    if (ctx.args.size() != 2) {
      wrong_arity(ctx, "config|resetstat");
      return;
    }
    // What INFO counts since start (Redis's resetServerStats): keyspace hits and misses,
    // commands processed, expired keys, connections received and rejected. Gauges (clients,
    // memory, keys) and rdb_changes_since_last_save are not statistics and stay.
    ctx.coordinator.run_on_all([](Shard& shard) {
      shard.stats() = ShardStats{};
      for (std::size_t d = 0; d < shard.db_count(); ++d) shard.db(d).reset_stats();
    });
    NodeStats& stats = ctx.engine.stats();
    stats.connections_received.store(0, std::memory_order_relaxed);
    stats.evicted_clients.store(0, std::memory_order_relaxed);
    stats.rejected_connections.store(0, std::memory_order_relaxed);
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "REWRITE")) {
    if (ctx.args.size() != 2) return wrong_arity(ctx, "config|rewrite");
    if (ctx.engine.options().config_file.empty()) {
      ctx.reply.error("ERR The server is running without a config file");
      return;
    }
    std::string reason;
    if (!ctx.engine.rewrite_config_file(&reason)) {
      ctx.engine.runtime().log("CONFIG REWRITE failed: " + reason);
      ctx.reply.error("ERR Rewriting config file: " + reason);
      return;
    }
    ctx.engine.runtime().log("CONFIG REWRITE wrote " + ctx.engine.options().config_file);
    ctx.reply.ok();
  } else if (equals_ignore_case(sub, "HELP")) {
    static constexpr std::string_view kHelp[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Print this help."};
    ctx.reply.array(std::size(kHelp));
    for (auto line : kHelp) ctx.reply.simple(line);
  } else {
    unknown_subcommand(ctx, "CONFIG");
  }
}

// ---------------------------------------------------------------- keyspace fan-outs

void dbsize_command(SessionContext& ctx) {
  const int db = ctx.client.db;
  std::vector<std::size_t> sizes(ctx.engine.shard_count());
  ctx.coordinator.run_on_all([&](Shard& shard) { sizes[shard.id()] = shard.db(db).size(); });
  std::size_t total = 0;
  for (auto n : sizes) total += n;
  ctx.reply.integer(static_cast<std::int64_t>(total));
}

bool flush_mode_ok(SessionContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.error(errors::kSyntax);
    return false;
  }
  if (ctx.args.size() == 2 && !equals_ignore_case(ctx.args[1], "ASYNC") &&
      !equals_ignore_case(ctx.args[1], "SYNC")) {
    ctx.reply.error(errors::kSyntax);
    return false;
  }
  return true;
}

void flushdb_command(SessionContext& ctx) {
  if (!flush_mode_ok(ctx)) return;
  const int db = ctx.client.db;
  ctx.coordinator.run_on_all_unlocked([&](Shard& shard) { shard.flush_db(db, shard.now_ms()); });
  ctx.reply.ok();
}

void flushall_command(SessionContext& ctx) {
  if (!flush_mode_ok(ctx)) return;
  ctx.coordinator.run_on_all_unlocked([&](Shard& shard) { shard.flush_all(shard.now_ms()); });
  ctx.reply.ok();
}

void swapdb_command(SessionContext& ctx) {
  std::int64_t a = 0;
  std::int64_t b = 0;
  ReplyBuilder quiet(nullptr);
  std::string scratch;
  quiet.set_out(&scratch);
  if (!parse_int64_arg(ctx.args[1], &a, quiet)) {
    ctx.reply.error("ERR invalid first DB index");
    return;
  }
  if (!parse_int64_arg(ctx.args[2], &b, quiet)) {
    ctx.reply.error("ERR invalid second DB index");
    return;
  }
  const auto dbs = static_cast<std::int64_t>(limits::databases);
  if (a < 0 || a >= dbs || b < 0 || b >= dbs) {
    ctx.reply.error(errors::kDbIndex);
    return;
  }
  if (a != b) {
    ctx.coordinator.run_on_all_unlocked([&](Shard& shard) {
      shard.swap_dbs(static_cast<int>(a), static_cast<int>(b), shard.now_ms());
    });
  }
  ctx.reply.ok();
}

bool live(const kv::Entry& entry, std::int64_t now_ms) {
  return !Db::expired(entry, now_ms);
}

// KEYS walks each shard in slices of at most kKeysSliceEntries entries, one hop per slice,
// and gives the core back between slices, so a huge keyspace never stalls a core (and every
// client it serves) for the whole walk. The price is SCAN's guarantee instead of a snapshot
// of a shard: a key present for the whole command is returned exactly once, one created or
// deleted meanwhile may or may not be. Across shards KEYS never was a snapshot: each shard is
// walked on its own.
constexpr std::size_t kKeysSliceEntries = 4096;

void keys_command(SessionContext& ctx) {
  const int db = ctx.client.db;
  const std::string_view pattern = ctx.args[1];
  const bool all = pattern == "*";
  const std::uint32_t shards = ctx.engine.shard_count();
  std::vector<std::vector<std::string>> per_shard(shards);
  std::vector<std::uint64_t> cursors(shards, 0);
  std::vector<char> finished(shards, 0);  // char, not bool: shards write their own in parallel
  std::uint32_t unfinished = shards;
  while (unfinished > 0) {
    ctx.coordinator.run_on_all([&](Shard& shard) {
      const std::uint32_t id = shard.id();
      if (finished[id]) return;
      auto& keys = per_shard[id];
      const std::int64_t now = shard.now_ms();
      cursors[id] =
          shard.db(db).table().scan(cursors[id], kKeysSliceEntries, [&](const kv::Entry& entry) {
            if (!live(entry, now)) return;
            std::string_view key = entry.key.view();
            if (all || glob_match(pattern, key)) keys.emplace_back(key);
          });
      if (cursors[id] == 0) finished[id] = 1;
    });
    unfinished = static_cast<std::uint32_t>(std::count(finished.begin(), finished.end(), 0));
    // Hops to shards on this core run inline without suspending this fiber: let the core's
    // other fibers and its I/O run before the next slice.
    if (unfinished > 0) ctx.engine.runtime().scheduler().yield();
  }
  std::size_t count = 0;
  for (auto& keys : per_shard) count += keys.size();
  ctx.reply.array(count);
  for (auto& keys : per_shard) {
    for (auto& key : keys) ctx.reply.bulk(key);
  }
}

// SCAN's cursor: the shard index in the top 16 bits, the shard's table cursor (48 bits) below.
constexpr int kScanShardShift = 48;
constexpr std::uint64_t kScanPositionMask = (1ULL << kScanShardShift) - 1;

void scan_command(SessionContext& ctx) {
  std::uint64_t cursor = 0;
  if (!parse_uint64(ctx.args[1], &cursor)) {
    ctx.reply.error("ERR invalid cursor");
    return;
  }
  std::int64_t count = 10;
  std::string_view pattern;
  bool have_pattern = false;
  std::string_view type;
  bool have_type = false;
  for (std::size_t i = 2; i < ctx.args.size(); i += 2) {
    if (i + 1 >= ctx.args.size()) {
      ctx.reply.error(errors::kSyntax);
      return;
    }
    if (equals_ignore_case(ctx.args[i], "COUNT")) {
      if (!parse_int64_arg(ctx.args[i + 1], &count, ctx.reply)) return;
      if (count < 1) {
        ctx.reply.error(errors::kSyntax);
        return;
      }
    } else if (equals_ignore_case(ctx.args[i], "MATCH")) {
      pattern = ctx.args[i + 1];
      have_pattern = pattern != "*";
    } else if (equals_ignore_case(ctx.args[i], "TYPE")) {
      type = ctx.args[i + 1];
      have_type = true;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  const int db = ctx.client.db;
  std::uint32_t shard_index = static_cast<std::uint32_t>(cursor >> kScanShardShift);
  std::uint64_t position = cursor & kScanPositionMask;
  std::vector<std::string> keys;
  std::size_t visited = 0;

  std::uint64_t next_cursor = 0;
  while (shard_index < ctx.engine.shard_count()) {
    ctx.coordinator.run_on(shard_index, [&](Shard& shard) {
      const std::int64_t now = shard.now_ms();
      position = shard.db(db).table().scan(
          position, static_cast<std::size_t>(count) - std::min<std::size_t>(visited, count - 1),
          [&](const kv::Entry& entry) {
            ++visited;
            if (!live(entry, now)) return;
            if (have_type && !equals_ignore_case(type, kv::type_name(entry.value.type()))) return;
            std::string_view key = entry.key.view();
            if (have_pattern && !glob_match(pattern, key)) return;
            keys.emplace_back(key);
          });
    });
    if (position != 0) {
      next_cursor = (static_cast<std::uint64_t>(shard_index) << kScanShardShift) | position;
      break;
    }
    ++shard_index;
    if (shard_index >= ctx.engine.shard_count()) {
      next_cursor = 0;
      break;
    }
    next_cursor = static_cast<std::uint64_t>(shard_index) << kScanShardShift;
    if (visited >= static_cast<std::size_t>(count)) break;
  }
  ctx.reply.array(2);
  ctx.reply.bulk(std::to_string(next_cursor));
  ctx.reply.array(keys.size());
  for (auto& key : keys) ctx.reply.bulk(key);
}

void randomkey_command(SessionContext& ctx) {
  const int db = ctx.client.db;
  const std::uint32_t shards = ctx.engine.shard_count();
  Rng& rng = ctx.engine.runtime().rng();
  const std::uint32_t start = static_cast<std::uint32_t>(rng.below(shards));
  for (std::uint32_t i = 0; i < shards; ++i) {
    const std::uint32_t shard_index = (start + i) % shards;
    std::optional<std::string> found;
    std::uint64_t draws[8];
    for (auto& d : draws) d = rng.next();
    ctx.coordinator.run_on(shard_index, [&](Shard& shard) {
      Db& d = shard.db(db);
      const std::int64_t now = shard.now_ms();
      for (std::uint64_t draw : draws) {
        const kv::Entry* entry = d.random_entry(draw);
        if (entry == nullptr) return;
        if (live(*entry, now)) {
          found.emplace(entry->key.view());
          return;
        }
      }
    });
    if (found) {
      ctx.reply.bulk(*found);
      return;
    }
  }
  ctx.reply.null();
}

// ---------------------------------------------------------------- INFO

struct ShardFigures {
  std::array<std::size_t, limits::databases> keys{};
  std::array<std::size_t, limits::databases> expires{};
  std::size_t memory_bytes = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t commands = 0;
  std::uint64_t expired = 0;
  std::uint64_t modifications = 0;
};

std::string human_bytes(std::size_t bytes) {
  char buffer[64];
  const double b = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(buffer, sizeof buffer, "%zuB", bytes);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.2fK", b / 1024);
  } else if (bytes < 1024ULL * 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.2fM", b / (1024 * 1024));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2fG", b / (1024.0 * 1024 * 1024));
  }
  return buffer;
}

void info_command(SessionContext& ctx) {
  std::vector<std::string> sections;
  for (std::size_t i = 1; i < ctx.args.size(); ++i) sections.push_back(lower_copy(ctx.args[i]));
  const bool everything =
      sections.empty() || std::any_of(sections.begin(), sections.end(), [](auto& s) {
        return s == "all" || s == "everything" || s == "default";
      });
  auto wanted = [&](std::string_view name) {
    return everything || std::find(sections.begin(), sections.end(), name) != sections.end();
  };

  std::vector<ShardFigures> figures(ctx.engine.shard_count());
  ctx.coordinator.run_on_all([&](Shard& shard) {
    ShardFigures& f = figures[shard.id()];
    for (std::size_t d = 0; d < shard.db_count(); ++d) {
      Db& db = shard.db(d);
      f.keys[d] = db.size();
      f.expires[d] = db.volatile_count();
      // Kept exact by the write path: O(1).
      f.memory_bytes += db.used_bytes();
      f.expired += db.expired_keys();
    }
    f.hits = shard.stats().keyspace_hits;
    f.misses = shard.stats().keyspace_misses;
    f.commands = shard.stats().commands_processed;
    f.modifications = shard.writes().modifications();
  });
  ShardFigures total;
  for (const auto& f : figures) {
    for (std::size_t d = 0; d < limits::databases; ++d) {
      total.keys[d] += f.keys[d];
      total.expires[d] += f.expires[d];
    }
    total.memory_bytes += f.memory_bytes;
    total.hits += f.hits;
    total.misses += f.misses;
    total.commands += f.commands;
    total.expired += f.expired;
    total.modifications += f.modifications;
  }

  Runtime& rt = ctx.engine.runtime();
  const std::int64_t uptime_s =
      (rt.monotonic_now() - ctx.engine.start_monotonic()) / kNanosPerSecond;
  const EngineOptions& options = ctx.engine.options();
  NodeStats& stats = ctx.engine.stats();
  std::string text;
  auto line = [&](std::string_view key, const std::string& value) {
    text.append(key);
    text.push_back(':');
    text.append(value);
    text.append("\r\n");
  };
  auto section = [&](std::string_view title) {
    if (!text.empty()) text.append("\r\n");
    text.append("# ");
    text.append(title);
    text.append("\r\n");
  };
  if (wanted("server")) {
    section("Server");
    line("redis_version", std::string(kRedisVersion));
    line("eddy_version", std::string(kEddyVersion));
    line("redis_git_sha1", "00000000");
    line("redis_git_dirty", "0");
    line("redis_mode", "standalone");
    line("os", "Linux");
    line("arch_bits", "64");
    line("multiplexing_api", "epoll");
    line("process_id", std::to_string(options.process_id));
    line("tcp_port", std::to_string(options.port));
    line("server_time_usec", std::to_string(rt.unix_now_us()));
    line("uptime_in_seconds", std::to_string(uptime_s));
    line("uptime_in_days", std::to_string(uptime_s / 86400));
    line("hz", "10");
    line("io_threads_active", "0");
    line("eddy_workers", std::to_string(rt.core_count()));
    line("eddy_shards", std::to_string(ctx.engine.shard_count()));
    line("executable", options.executable);
    line("config_file", options.config_file);
  }
  if (wanted("clients")) {
    section("Clients");
    line("connected_clients",
         std::to_string(stats.connected_clients.load(std::memory_order_relaxed)));
    line("maxclients", ctx.engine.config().get_one("maxclients"));
    const auto [input_peak, output_peak] = ctx.engine.recent_client_buffer_peaks();
    line("client_recent_max_input_buffer", std::to_string(input_peak));
    line("client_recent_max_output_buffer", std::to_string(output_peak));
    line("blocked_clients", std::to_string(stats.blocked_clients.load(std::memory_order_relaxed)));
    line("tracking_clients", "0");
  }
  if (wanted("memory")) {
    section("Memory");
    line("used_memory", std::to_string(total.memory_bytes));
    line("used_memory_human", human_bytes(total.memory_bytes));
    // What the clients' buffers hold (eddy has no replicas: no mem_clients_slaves to count).
    line("mem_clients_slaves", "0");
    line("mem_clients_normal", std::to_string(ctx.engine.client_memory_bytes()));
    line("maxmemory", ctx.engine.config().get_one("maxmemory"));
    line("maxmemory_policy", ctx.engine.config().get_one("maxmemory-policy"));
  }
  if (wanted("persistence")) {
    section("Persistence");
    // Loading happens before eddy-server listens: no client sees loading:1.
    line("loading", "0");
    line("async_loading", "0");
    const storage::Snapshotter* snap = ctx.engine.snapshotter();
    const std::uint64_t saved = snap != nullptr ? snap->modifications_saved() : 0;
    line("rdb_changes_since_last_save",
         std::to_string(total.modifications > saved ? total.modifications - saved : 0));
    line("rdb_bgsave_in_progress", snap != nullptr && snap->in_progress() ? "1" : "0");
    line("rdb_last_save_time", std::to_string(snap != nullptr ? snap->last_save_unix_s()
                                                              : ctx.engine.start_unix_ms() / 1000));
    line("rdb_last_bgsave_status", snap == nullptr || snap->last_status_ok() ? "ok" : "err");
    line("rdb_last_bgsave_time_sec",
         std::to_string(snap != nullptr ? snap->last_duration_s() : -1));
    line("rdb_current_bgsave_time_sec",
         std::to_string(snap != nullptr ? snap->current_duration_s() : -1));
    line("rdb_saves", std::to_string(snap != nullptr ? snap->saves() : 0));
    // No fork, so no copy-on-write: the figures Redis reports here are 0 by construction.
    line("rdb_last_cow_size", "0");
    line("rdb_last_load_keys_expired",
         std::to_string(snap != nullptr ? snap->load_report().keys_expired : 0));
    line("rdb_last_load_keys_loaded",
         std::to_string(snap != nullptr ? snap->load_report().keys_loaded : 0));
    const storage::AppendOnlyLog* aof = ctx.engine.aof();
    const bool aof_on = aof != nullptr && aof->enabled();
    line("aof_enabled", aof_on ? "1" : "0");
    line("aof_rewrite_in_progress", "0");
    line("aof_rewrite_scheduled", "0");
    line("aof_last_write_status", aof_on && aof->refusing_writes() ? "err" : "ok");
    if (aof_on) {
      std::uint64_t unwritten = 0;
      for (const auto& log : aof->logs()) {
        // Written first: both only grow and written never passes appended, so a later read of
        // appended cannot be below it (read the other way round, the difference could wrap).
        const std::uint64_t written = log->written_bytes();
        unwritten += log->appended_bytes() - written;
      }
      line("aof_current_size", std::to_string(aof->log_bytes()));
      line("aof_base_size", "0");  // no base snapshot yet: the logs hold everything
      line("aof_pending_rewrite", "0");
      line("aof_buffer_length", std::to_string(unwritten));
      line("aof_delayed_fsync", "0");
      // eddy's own: fsyncs done by every shard's log since start (writes per fsync = the
      // write commands over this).
      line("eddy_aof_fsyncs", std::to_string(aof->syncs()));
    }
  }
  if (wanted("stats")) {
    section("Stats");
    line("total_connections_received",
         std::to_string(stats.connections_received.load(std::memory_order_relaxed)));
    line("total_commands_processed", std::to_string(total.commands));
    line("rejected_connections",
         std::to_string(stats.rejected_connections.load(std::memory_order_relaxed)));
    line("expired_keys", std::to_string(total.expired));
    line("evicted_keys", "0");
    line("evicted_clients", std::to_string(stats.evicted_clients.load(std::memory_order_relaxed)));
    line("keyspace_hits", std::to_string(total.hits));
    line("keyspace_misses", std::to_string(total.misses));
    // MIGRATE is not built, so no connection to another instance is ever cached.
    line("migrate_cached_sockets", "0");
  }
  if (wanted("replication")) {
    section("Replication");
    line("role", "master");
    line("connected_slaves", "0");
    line("master_repl_offset", "0");
  }
  if (wanted("keyspace")) {
    section("Keyspace");
    for (std::size_t d = 0; d < limits::databases; ++d) {
      if (total.keys[d] == 0) continue;
      line("db" + std::to_string(d), "keys=" + std::to_string(total.keys[d]) + ",expires=" +
                                         std::to_string(total.expires[d]) + ",avg_ttl=0");
    }
  }
  ctx.reply.verbatim(text);
}

CommandSpec spec(std::string_view name, int arity, std::uint32_t flags, CommandRoute route,
                 SessionHandler handler, std::string_view group, std::string_view summary,
                 std::string_view since, std::string_view acl, int first_key = 0, int last_key = 0,
                 int step = 0) {
  CommandSpec s{};
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first_key;
  s.last_key = last_key;
  s.key_step = step;
  s.route = route;
  s.handler = nullptr;
  s.group = group;
  s.summary = summary;
  s.since = since;
  s.acl_categories = acl;
  s.session_handler = handler;
  return s;
}

}  // namespace

void register_server_commands(CommandTable& table) {
  using R = CommandRoute;
  table.add(spec("ping", -1, kCmdFast, R::kSession, ping_command, "connection",
                 "Returns the server's liveliness response.", "1.0.0", "@fast @connection"));
  table.add(spec("echo", 2, kCmdFast, R::kSession, echo_command, "connection",
                 "Returns the given string.", "1.0.0", "@fast @connection"));
  table.add(spec("quit", -1,
                 kCmdAllowBusy | kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth,
                 R::kSession, quit_command, "connection", "Closes the connection.", "1.0.0",
                 "@fast @connection"));
  table.add(spec("hello", -1,
                 kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy,
                 R::kSession, hello_command, "connection", "Handshakes with the Redis server.",
                 "6.0.0", "@fast @connection"));
  table.add(spec("reset", 1,
                 kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdAllowBusy,
                 R::kSession, reset_command, "connection", "Resets the connection.", "6.2.0",
                 "@fast @connection"));
  table.add(spec("select", 2, kCmdLoading | kCmdStale | kCmdFast, R::kSession, select_command,
                 "connection", "Changes the selected database.", "1.0.0", "@fast @connection"));
  table.add(spec("time", 1, kCmdLoading | kCmdStale | kCmdFast, R::kSession, time_command, "server",
                 "Returns the server time.", "2.6.0", "@fast"));
  table.add(spec("command", -1, kCmdLoading | kCmdStale, R::kSession, command_command, "server",
                 "Returns detailed information about all commands.", "2.8.13",
                 "@slow @connection"));
  // CLIENT and CONFIG are one entry each here, where Redis gives every subcommand its own
  // categories; an entry carries the union of its subcommands' (CONFIG SET and CLIENT KILL
  // are @admin @dangerous), so "-@dangerous" or "-@admin" cannot be escaped through them. That
  // is stricter than Redis for the harmless ones (CLIENT ID, SETNAME ...): grant those by name,
  // "+client|setname".
  table.add(spec("client", -2, 0, R::kAllShards, client_command, "connection",
                 "A container for client connection commands.", "2.4.0",
                 "@slow @admin @dangerous @connection"));
  table.add(spec("config", -2, 0, R::kSession, config_command, "server",
                 "A container for server configuration commands.", "2.0.0",
                 "@slow @admin @dangerous"));
  table.add(spec("info", -1, kCmdLoading | kCmdStale, R::kAllShards, info_command, "server",
                 "Returns information and statistics about the server.", "1.0.0",
                 "@slow @dangerous"));
  table.add(spec("dbsize", 1, kCmdReadonly | kCmdFast, R::kAllShards, dbsize_command, "server",
                 "Returns the number of keys in the database.", "1.0.0", "@keyspace @read @fast"));
  table.add(spec("flushdb", -1, kCmdWrite, R::kAllShards, flushdb_command, "server",
                 "Removes all keys from the current database.", "1.0.0",
                 "@keyspace @write @slow @dangerous"));
  table.add(spec("flushall", -1, kCmdWrite, R::kAllShards, flushall_command, "server",
                 "Removes all keys from all databases.", "1.0.0",
                 "@keyspace @write @slow @dangerous"));
  table.add(spec("swapdb", 3, kCmdWrite | kCmdFast, R::kAllShards, swapdb_command, "server",
                 "Swaps two Redis databases.", "4.0.0", "@keyspace @write @fast @dangerous"));
  table.add(spec("keys", 2, kCmdReadonly, R::kAllShards, keys_command, "generic",
                 "Returns all key names that match a pattern.", "1.0.0",
                 "@keyspace @read @slow @dangerous"));
  table.add(spec("scan", -2, kCmdReadonly, R::kAllShards, scan_command, "generic",
                 "Iterates over the key names in the database.", "2.8.0", "@keyspace @read @slow"));
  table.add(spec("randomkey", 1, kCmdReadonly, R::kAllShards, randomkey_command, "generic",
                 "Returns a random key name from the database.", "1.0.0", "@keyspace @read @slow"));
}

}  // namespace eddy

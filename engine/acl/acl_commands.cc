// AUTH and ACL (SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS LOG DRYRUN LOAD SAVE
// HELP), with
// Redis 7.0's replies and error texts. Changes go through the registry and are published to
// every core before the reply (engine/acl/publish.h).

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "engine/acl/acl_file.h"
#include "engine/acl/authenticate.h"
#include "engine/acl/categories.h"
#include "engine/acl/check.h"
#include "engine/acl/publish.h"
#include "engine/acl/registry.h"
#include "engine/acl/sha256.h"
#include "engine/engine.h"
#include "engine/session_context.h"
#include "engine/tx/multi_exec.h"

namespace eddy {

namespace acl {

bool authenticate(SessionContext& ctx, std::string_view username, std::string_view password) {
  const UserDirectory& users = ctx.engine.acl().on_core(ctx.engine.runtime().current_core());
  const UserPtr* user = users.find(username);
  if (user != nullptr && (*user)->accepts(password)) {
    ctx.client.user = *user;
    ctx.client.authenticated = true;
    return true;
  }
  LogEntry entry;
  entry.reason = "auth";
  entry.context = ctx.multi != nullptr && ctx.multi->queuing() ? "multi" : "toplevel";
  entry.object = std::string(ctx.args[0]);
  entry.username = std::string(username);
  entry.created_ms = ctx.engine.runtime().unix_now_ms();
  entry.client_info = client_info_line(ctx.client, entry.created_ms);
  ctx.engine.acl().log(std::move(entry), ctx.engine.acl().log_max_entries());
  return false;
}

void set_default_password(SessionContext& ctx, std::string_view password, bool none) {
  Registry& registry = ctx.engine.acl();
  std::string error;
  const bool ok = registry.edit(
      [&](std::vector<UserPtr>& users, std::string* why) {
        for (UserPtr& user : users) {
          if (user->name() != "default") continue;
          auto changed = std::make_shared<User>(*user);
          bool applied = changed->apply("resetpass", registry.table(), why);
          applied = applied &&
                    (none ? changed->apply("nopass", registry.table(), why)
                          : changed->apply(">" + std::string(password), registry.table(), why));
          if (!applied) return false;
          user = std::move(changed);
        }
        return true;
      },
      &error);
  ASSERT_MSG(ok, error);
  publish_users(ctx.engine, ctx.coordinator, &ctx.client);
}

}  // namespace acl

namespace {

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

bool has_space_or_nul(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\v' || c == '\f';
  });
}

void auth_command(SessionContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  std::string_view username = "default";
  std::string_view password;
  if (ctx.args.size() == 2) {
    const auto& current = ctx.engine.acl().on_core(ctx.engine.runtime().current_core());
    if (current.default_user()->nopass()) {
      ctx.reply.error(
          "ERR AUTH <password> called without any password configured for the default user. "
          "Are you sure your configuration is correct?");
      return;
    }
    password = ctx.args[1];
  } else {
    username = ctx.args[1];
    password = ctx.args[2];
  }
  if (acl::authenticate(ctx, username, password)) {
    ctx.reply.ok();
  } else {
    ctx.reply.error(kWrongPass);
  }
}

void reply_user(ReplyBuilder& reply, const acl::User& user) {
  reply.map(6);
  reply.bulk("flags");
  const auto flags = user.flag_words();
  reply.set(flags.size());
  for (std::string_view flag : flags) reply.bulk(flag);
  reply.bulk("passwords");
  reply.array(user.password_hashes().size());
  for (const std::string& hash : user.password_hashes()) reply.bulk(hash);
  reply.bulk("commands");
  reply.bulk(user.describe_commands());
  reply.bulk("keys");
  reply.bulk(user.describe_keys());
  reply.bulk("channels");
  reply.bulk(user.describe_channels());
  reply.bulk("selectors");
  reply.array(0);
}

void acl_setuser(SessionContext& ctx) {
  const std::string_view name = ctx.args[2];
  if (has_space_or_nul(name)) {
    ctx.reply.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  acl::Registry& registry = ctx.engine.acl();
  std::string error;
  const bool ok = registry.edit(
      [&](std::vector<acl::UserPtr>& users, std::string* why) {
        auto it = std::find_if(users.begin(), users.end(),
                               [&](const acl::UserPtr& u) { return u->name() == name; });
        // Every rule applies to a copy; the user changes only if all of them are valid.
        auto changed = it != users.end()
                           ? std::make_shared<acl::User>(**it)
                           : std::make_shared<acl::User>(std::string(name), registry.next_uid(),
                                                         registry.table());
        for (std::size_t i = 3; i < ctx.args.size(); ++i) {
          std::string reason;
          if (!changed->apply(ctx.args[i], registry.table(), &reason)) {
            *why =
                "ERR Error in ACL SETUSER modifier '" + std::string(ctx.args[i]) + "': " + reason;
            return false;
          }
        }
        if (it != users.end()) {
          *it = std::move(changed);
        } else {
          users.push_back(std::move(changed));
        }
        return true;
      },
      &error);
  if (!ok) {
    ctx.reply.error(error);
    return;
  }
  acl::publish_users(ctx.engine, ctx.coordinator, &ctx.client);
  ctx.reply.ok();
}

void acl_deluser(SessionContext& ctx) {
  for (std::size_t i = 2; i < ctx.args.size(); ++i) {
    if (ctx.args[i] == "default") {
      ctx.reply.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  std::int64_t deleted = 0;
  std::string error;
  ctx.engine.acl().edit(
      [&](std::vector<acl::UserPtr>& users, std::string*) {
        for (std::size_t i = 2; i < ctx.args.size(); ++i) {
          const auto before = users.size();
          std::erase_if(users, [&](const acl::UserPtr& u) { return u->name() == ctx.args[i]; });
          deleted += static_cast<std::int64_t>(before - users.size());
        }
        return true;
      },
      &error);
  if (deleted > 0) acl::publish_users(ctx.engine, ctx.coordinator, &ctx.client);
  ctx.reply.integer(deleted);
}

void acl_cat(SessionContext& ctx) {
  if (ctx.args.size() == 2) {
    ctx.reply.array(acl::kCategoryNames.size());
    for (std::string_view name : acl::kCategoryNames) ctx.reply.bulk(name);
    return;
  }
  const auto bit = acl::category_bit(ctx.args[2]);
  if (!bit) {
    ctx.reply.error("ERR Unknown category '" + std::string(ctx.args[2].substr(0, 128)) + "'");
    return;
  }
  std::vector<std::string_view> names;
  for (const CommandSpec& spec : ctx.engine.commands().all()) {
    if ((spec.acl_category_bits & *bit) != 0) names.push_back(spec.name);
  }
  ctx.reply.array(names.size());
  for (std::string_view name : names) ctx.reply.bulk(name);
}

void acl_genpass(SessionContext& ctx) {
  constexpr std::int64_t kBitsMax = 4096;
  std::int64_t bits = 256;
  if (ctx.args.size() == 3 && !parse_int64_arg(ctx.args[2], &bits, ctx.reply)) return;
  if (bits <= 0 || bits > kBitsMax) {
    ctx.reply.error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a "
        "positive number up to 4096");
    return;
  }
  const auto chars = static_cast<std::size_t>((bits + 3) / 4);
  // Hex of SHA-256 blocks over the core's random stream: the output never shows the
  // generator's words themselves.
  Rng& rng = ctx.engine.runtime().rng();
  std::string hex;
  while (hex.size() < chars) {
    std::string seed;
    for (int i = 0; i < 4; ++i) {
      const std::uint64_t word = rng.next();
      seed.append(reinterpret_cast<const char*>(&word), sizeof word);
    }
    hex += acl::sha256_hex(seed);
  }
  hex.resize(chars);
  ctx.reply.bulk(hex);
}

void acl_log(SessionContext& ctx) {
  std::int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (equals_ignore_case(ctx.args[2], "reset")) {
      ctx.engine.acl().reset_log();
      ctx.reply.ok();
      return;
    }
    if (!parse_int64_arg(ctx.args[2], &count, ctx.reply)) return;
    if (count < 0) count = 0;
  }
  const auto entries = ctx.engine.acl().log_entries(static_cast<std::size_t>(count));
  const std::int64_t now = ctx.engine.runtime().unix_now_ms();
  ctx.reply.array(entries.size());
  for (const acl::LogEntry& e : entries) {
    ctx.reply.map(7);
    ctx.reply.bulk("count");
    ctx.reply.integer(static_cast<std::int64_t>(e.count));
    ctx.reply.bulk("reason");
    ctx.reply.bulk(e.reason);
    ctx.reply.bulk("context");
    ctx.reply.bulk(e.context);
    ctx.reply.bulk("object");
    ctx.reply.bulk(e.object);
    ctx.reply.bulk("username");
    ctx.reply.bulk(e.username);
    ctx.reply.bulk("age-seconds");
    ctx.reply.double_value(static_cast<double>(now - e.created_ms) / 1000.0);
    ctx.reply.bulk("client-info");
    ctx.reply.bulk(e.client_info);
  }
}

void acl_dryrun(SessionContext& ctx) {
  const auto& users = ctx.engine.acl().on_core(ctx.engine.runtime().current_core());
  const acl::UserPtr* user = users.find(ctx.args[2]);
  if (user == nullptr) {
    ctx.reply.error("ERR User '" + std::string(ctx.args[2].substr(0, 128)) + "' not found");
    return;
  }
  const Args call = ctx.args.subspan(3);
  const CommandSpec* spec = ctx.engine.commands().find(call[0]);
  if (spec == nullptr) {
    ctx.reply.error("ERR Command '" + std::string(call[0].substr(0, 128)) + "' not found");
    return;
  }
  if (!spec->arity_ok(call.size())) {
    ctx.reply.error("ERR wrong number of arguments for '" + acl::full_command_name(*spec, call) +
                    "' command");
    return;
  }
  std::vector<std::uint32_t> scratch;
  const acl::CheckResult result = acl::check_call(**user, *spec, call, scratch);
  switch (result.denial) {
    case acl::Denial::kNone:
    case acl::Denial::kSortPattern:  // the command's own error when it runs, not a permission
      ctx.reply.ok();
      return;
    case acl::Denial::kCommand:
      ctx.reply.bulk("This user has no permissions to run the '" +
                     acl::full_command_name(*spec, call) + "' command");
      return;
    case acl::Denial::kKey:
      ctx.reply.bulk("This user has no permissions to access the '" +
                     std::string(call[result.arg_index]) + "' key");
      return;
  }
}

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.";

// ACL LOAD: the configured file through the runtime's Disk, all or nothing.
void acl_load(SessionContext& ctx) {
  const std::string& path = ctx.engine.options().aclfile;
  Disk& disk = ctx.engine.runtime().disk();
  std::string error;
  const Disk::FileId file = disk.open(path, false, &error);
  if (file < 0) {
    // The disk says "<full path>: <reason>"; Redis names the file as configured.
    const std::size_t colon = error.rfind(": ");
    ctx.reply.error("ERR Error loading ACLs, opening file '" + path +
                    "': " + (colon == std::string::npos ? error : error.substr(colon + 2)));
    return;
  }
  const std::int64_t size = disk.size(file);
  std::string text;
  bool ok = size >= 0 && static_cast<std::uint64_t>(size) <= acl::kAclFileBytesMax;
  if (ok) {
    text.resize(static_cast<std::size_t>(size));
    std::size_t done = 0;
    while (ok && done < text.size()) {
      const std::int64_t n =
          disk.read_at(file, done, std::span<char>(text.data() + done, text.size() - done));
      ok = n > 0;
      if (ok) done += static_cast<std::size_t>(n);
    }
  }
  disk.close(file);
  if (!ok) {
    ctx.reply.error("ERR Error loading ACLs, reading file '" + path +
                    "': unreadable or larger than 64 MB");
    return;
  }
  std::string errors;
  if (!acl::load_users(ctx.engine.acl(), text, path, &errors)) {
    ctx.reply.error("ERR " + errors);
    return;
  }
  acl::publish_users(ctx.engine, ctx.coordinator, &ctx.client);
  ctx.reply.ok();
}

// ACL SAVE: written to a temporary file, synced, then renamed over the aclfile, so a crash
// leaves the old file or the new one, never half of one.
void acl_save(SessionContext& ctx) {
  const std::string& path = ctx.engine.options().aclfile;
  const std::string temporary = path + ".eddy-tmp";
  const std::string text = acl::users_file_text(*ctx.engine.acl().latest());
  Disk& disk = ctx.engine.runtime().disk();
  disk.remove(temporary);
  std::string error;
  const Disk::FileId file = disk.open(temporary, true, &error);
  bool ok = file >= 0;
  if (ok) {
    ok = disk.write_at(file, 0, text) && disk.sync(file);
    disk.close(file);
    ok = ok && disk.rename(temporary, path);
    if (!ok) disk.remove(temporary);
  }
  if (!ok) {
    ctx.reply.error(
        "ERR There was an error trying to save the ACLs. Please check the server logs for "
        "more information");
    return;
  }
  ctx.reply.ok();
}

void acl_command(SessionContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const std::size_t argc = ctx.args.size();
  const auto& users = ctx.engine.acl().on_core(ctx.engine.runtime().current_core());
  if (equals_ignore_case(sub, "setuser") && argc >= 3) {
    acl_setuser(ctx);
  } else if (equals_ignore_case(sub, "getuser") && argc == 3) {
    const acl::UserPtr* user = users.find(ctx.args[2]);
    if (user == nullptr) {
      ctx.reply.null();
    } else {
      reply_user(ctx.reply, **user);
    }
  } else if (equals_ignore_case(sub, "deluser") && argc >= 3) {
    acl_deluser(ctx);
  } else if ((equals_ignore_case(sub, "list") || equals_ignore_case(sub, "users")) && argc == 2) {
    const bool names_only = equals_ignore_case(sub, "users");
    ctx.reply.array(users.users().size());
    for (const acl::UserPtr& user : users.users()) {
      if (names_only) {
        ctx.reply.bulk(user->name());
      } else {
        ctx.reply.bulk("user " + user->name() + " " + user->describe());
      }
    }
  } else if (equals_ignore_case(sub, "whoami") && argc == 2) {
    ctx.reply.bulk(ctx.client.user->name());
  } else if (equals_ignore_case(sub, "cat") && (argc == 2 || argc == 3)) {
    acl_cat(ctx);
  } else if (equals_ignore_case(sub, "genpass") && (argc == 2 || argc == 3)) {
    acl_genpass(ctx);
  } else if (equals_ignore_case(sub, "log") && (argc == 2 || argc == 3)) {
    acl_log(ctx);
  } else if (equals_ignore_case(sub, "dryrun") && argc >= 4) {
    acl_dryrun(ctx);
  } else if (ctx.engine.options().aclfile.empty() &&
             (equals_ignore_case(sub, "load") || equals_ignore_case(sub, "save"))) {
    ctx.reply.error(kNoAclFile);
  } else if (equals_ignore_case(sub, "load") && argc == 2) {
    acl_load(ctx);
  } else if (equals_ignore_case(sub, "save") && argc == 2) {
    acl_save(ctx);
  } else if (equals_ignore_case(sub, "help") && argc == 2) {
    static constexpr std::string_view kHelp[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    Without a category: the categories. With one: the commands in it.",
        "DELUSER <username> [<username> ...]",
        "    Remove users; their connections are closed.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Tell whether the user could run the command, without running it.",
        "GETUSER <username>",
        "    A user's flags, password hashes and rules.",
        "GENPASS [<bits>]",
        "    A random password of 256 bits, or of <bits>.",
        "LIST",
        "    Every user, as config-file rules.",
        "LOAD",
        "    Replace the users with those of the aclfile.",
        "LOG [<count> | RESET]",
        "    Recent denied commands and failed logins, or clear them.",
        "SAVE",
        "    Write the users to the aclfile.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create a user or change its rules.",
        "USERS",
        "    The user names.",
        "WHOAMI",
        "    The user this connection runs as.",
        "HELP",
        "    Print this help."};
    ctx.reply.array(std::size(kHelp));
    for (auto line : kHelp) ctx.reply.simple(line);
  } else {
    ctx.reply.error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(sub.substr(0, 128)) + "'. Try ACL HELP.");
  }
}

CommandSpec session_spec(std::string_view name, int arity, std::uint32_t flags,
                         SessionHandler handler, std::string_view summary, std::string_view since,
                         std::string_view acl, std::string_view syntax) {
  CommandSpec s{};
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.route = CommandRoute::kSession;
  s.group = name == "auth" ? "connection" : "server";
  s.summary = summary;
  s.since = since;
  s.acl_categories = acl;
  s.session_handler = handler;
  s.syntax = syntax;
  return s;
}

}  // namespace

void register_acl_commands(CommandTable& table) {
  table.add(session_spec(
      "auth", -2,
      kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdSentinel | kCmdAllowBusy,
      auth_command, "Authenticates the connection.", "1.0.0", "@fast @connection",
      "[username] password"));
  // Redis splits ACL into subcommands with their own categories (SETUSER is @admin, WHOAMI is
  // not); eddy's table has one entry, so the whole command carries the admin categories.
  table.add(session_spec("acl", -2, kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale, acl_command,
                         "A container for Access List Control commands.", "6.0.0",
                         "@admin @slow @dangerous", "subcommand [argument [argument ...]]"));
}

}  // namespace eddy

#include "engine/acl/check.h"

#include <algorithm>
#include <utility>

#include "engine/engine.h"

namespace eddy::acl {

namespace {
// Commands that Redis 7.0 splits into subcommands (eddy's table keeps one entry for each), with
// Redis's subcommand names (and CLIENT's SETINFO and NO-TOUCH, which eddy has from 7.2).
constexpr std::pair<std::string_view, std::string_view> kContainers[] = {
    {"acl", "cat deluser dryrun genpass getuser help list load log save setuser users whoami"},
    {"client",
     "caching getname getredir help id info kill list no-evict no-touch pause reply setinfo "
     "setname tracking trackinginfo unblock unpause"},
    {"command", "count docs getkeys getkeysandflags help info list"},
    {"config", "get help resetstat rewrite set"},
    {"function", "delete dump flush help kill list load restore stats"},
    {"memory", "doctor help malloc-stats purge stats usage"},
    {"object", "encoding freq help idletime refcount"},
    {"script", "debug exists flush help kill load"},
};

const std::string_view* subcommands_of(std::string_view name) {
  for (const auto& [container, subcommands] : kContainers) {
    if (container == name) return &subcommands;
  }
  return nullptr;
}

}  // namespace

CheckResult check_call(const User& user, const CommandSpec& spec, Args args,
                       std::vector<std::uint32_t>& scratch) {
  // Commands any connection may send before logging in (AUTH, HELLO, QUIT) pass every user's
  // command rules too, as in Redis: a user with no commands can still AUTH as another.
  if ((spec.flags & kCmdNoAuth) == 0 && !user.may_run(spec, args)) {
    return CheckResult{Denial::kCommand, 0};
  }
  if (user.all_keys()) return {};
  if (spec.name == "sort" || spec.name == "sort_ro") {
    // Options with arguments skip them (a malformed call fails its own parse later).
    for (std::size_t j = 2; j < args.size(); ++j) {
      const std::string_view option = args[j];
      const bool has_arg = j + 1 < args.size();
      if (equals_ignore_case(option, "limit")) {
        j += 2;
      } else if (equals_ignore_case(option, "store")) {
        j += 1;
      } else if (equals_ignore_case(option, "by") && has_arg) {
        if (args[j + 1].find('*') != std::string_view::npos) {
          return CheckResult{Denial::kSortPattern, static_cast<std::uint32_t>(j)};
        }
        j += 1;
      } else if (equals_ignore_case(option, "get") && has_arg) {
        return CheckResult{Denial::kSortPattern, static_cast<std::uint32_t>(j)};
      }
    }
  }
  scratch.clear();
  key_indexes(spec, args, scratch);
  for (std::size_t n = 0; n < scratch.size(); ++n) {
    const std::uint32_t index = scratch[n];
    if (!user.may_access_key(args[index], key_permission_needed(spec, args, n))) {
      return CheckResult{Denial::kKey, index};
    }
  }
  return {};
}

bool is_container_command(std::string_view name) {
  return subcommands_of(name) != nullptr;
}

bool is_subcommand(std::string_view container, std::string_view sub) {
  const std::string_view* list = subcommands_of(container);
  if (list == nullptr) return false;
  std::string_view words = *list;
  while (!words.empty()) {
    const std::size_t space = words.find(' ');
    if (equals_ignore_case(words.substr(0, space), sub)) return true;
    if (space == std::string_view::npos) break;
    words.remove_prefix(space + 1);
  }
  return false;
}

void log_denial(Engine& engine, const ClientState& client, const CommandSpec& spec, Args args,
                const CheckResult& result, std::string_view context) {
  LogEntry entry;
  entry.context = std::string(context);
  entry.username = client.user->name();
  entry.created_ms = engine.runtime().unix_now_ms();
  entry.client_info = client_info_line(client, entry.created_ms);
  if (result.denial == Denial::kCommand) {
    entry.reason = "command";
    entry.object = full_command_name(spec, args);
  } else {
    entry.reason = "key";
    entry.object = std::string(args[result.arg_index]);
  }
  engine.acl().log(std::move(entry), engine.acl().log_max_entries());
}

std::string full_command_name(const CommandSpec& spec, Args args) {
  std::string name(spec.name);
  const bool container = is_container_command(spec.name);
  if (container && args.size() >= 2) {
    name += '|';
    for (char c : args[1].substr(0, 64)) {
      name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
  }
  return name;
}

}  // namespace eddy::acl

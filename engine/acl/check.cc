#include "engine/acl/check.h"

#include <algorithm>
#include <array>

namespace eddy::acl {

namespace {
// Commands that Redis 7.0 splits into subcommands (eddy's table keeps one entry for each).
constexpr std::array<std::string_view, 7> kContainers = {"acl",    "client", "command", "config",
                                                         "memory", "object", "script"};
}  // namespace

CheckResult check_call(const User& user, const CommandSpec& spec, Args args,
                       std::vector<std::uint32_t>& scratch) {
  if (!user.may_run(spec, args)) return CheckResult{Denial::kCommand, 0};
  if (user.all_keys()) return {};
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

std::string full_command_name(const CommandSpec& spec, Args args) {
  std::string name(spec.name);
  const bool container =
      std::find(kContainers.begin(), kContainers.end(), spec.name) != kContainers.end();
  if (container && args.size() >= 2) {
    name += '|';
    for (char c : args[1].substr(0, 64)) {
      name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
  }
  return name;
}

}  // namespace eddy::acl

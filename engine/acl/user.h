#pragma once
// One ACL user: whether it may log in (on/off, passwords as SHA-256 hashes, nopass), which
// commands it may run (a bit per command of the command table, plus allowed first arguments),
// which keys it may touch (patterns with read/write permissions) and which channels (kept for
// ACL LIST and ACL GETUSER; eddy has no pub/sub yet).
//
// A User is immutable once published (engine/acl/registry.h): ACL SETUSER builds a changed
// copy and publishes it, so a core checks its clients' users without a lock.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"

namespace eddy::acl {

// What a key argument needs of a pattern (Redis's %R~ and %W~).
enum KeyPermission : std::uint8_t { kKeyRead = 1, kKeyWrite = 2, kKeyReadWrite = 3 };

struct KeyPattern {
  std::string pattern;
  std::uint8_t permissions = kKeyReadWrite;
};

class User {
 public:
  // A new user as ACL SETUSER creates it: off, no passwords, no commands, no keys, no channels.
  User(std::string name, std::uint64_t uid, const CommandTable& table);

  // Applies one rule ("on", ">pass", "+@read", "~k*" ...). False, leaving the user partly
  // changed (callers work on a copy), with Redis's reason in *reason ("Syntax error", ...).
  bool apply(std::string_view rule, const CommandTable& table, std::string* reason);

  const std::string& name() const { return name_; }
  // Stays the same across ACL SETUSER; a user deleted and created again gets a new one, so a
  // connection authenticated as the old one is told apart.
  std::uint64_t uid() const { return uid_; }
  // ACL LOAD keeps the default user's identity across the new rules.
  void set_uid(std::uint64_t uid) { uid_ = uid; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& password_hashes() const { return password_hashes_; }

  // AUTH: enabled, and nopass or one of the passwords (compared as hashes).
  bool accepts(std::string_view password) const;

  // The per-command check (hot path). True when every command and every key is allowed: the
  // default user's case, one load.
  bool unrestricted() const { return unrestricted_; }
  bool may_run(const CommandSpec& spec, Args args) const {
    if ((allowed_[spec.id >> 6] >> (spec.id & 63)) & 1) {
      return denied_subcommands_.empty() || !matches(denied_subcommands_, spec, args);
    }
    return !first_args_.empty() && matches(first_args_, spec, args);
  }
  bool all_keys() const { return all_keys_; }
  // Whether some pattern grants `needed` (kKeyRead, kKeyWrite or both; 0: any pattern) on key.
  bool may_access_key(std::string_view key, std::uint8_t needed) const;

  // ACL LIST's rule text after "user <name> ", ACL GETUSER's parts.
  std::string describe() const;
  std::vector<std::string_view> flag_words() const;  // ACL GETUSER "flags"
  std::string describe_commands() const;
  std::string describe_keys() const;
  std::string describe_channels() const;

 private:
  struct FirstArg;
  static bool matches(const std::vector<FirstArg>& list, const CommandSpec& spec, Args args);
  void set_command(std::uint32_t id, bool allowed);
  void set_all_commands(bool allowed);
  void set_category(std::uint32_t bit, bool allowed, const CommandTable& table);
  void clear_first_args(std::uint32_t id);
  // Keeps the command rules as given, for describe(): a later rule on the same command or
  // category supersedes an earlier one (which is then dropped), and +@all/-@all restart it.
  // A rule that changed nothing (+client|id when CLIENT is allowed whole) is not kept, as
  // Redis's description would not show it either.
  void log_command_rule(std::string rule, std::string_view target);
  void update_unrestricted();

  struct FirstArg {
    std::uint32_t command_id;
    std::string arg;  // lower case
    bool operator==(const FirstArg&) const = default;
  };

  std::string name_;
  std::uint64_t uid_;
  bool enabled_ = false;
  bool nopass_ = false;
  // Redis's payload flags: none set, sanitize-payload, or skip-sanitize-payload. eddy always
  // validates a RESTORE payload fully, which both settings allow.
  enum class Sanitize : std::uint8_t { kUnset, kSanitize, kSkip } sanitize_ = Sanitize::kUnset;
  std::vector<std::string> password_hashes_;  // in the order added, no duplicates
  std::vector<std::uint64_t> allowed_;        // a bit per command id
  std::vector<FirstArg> first_args_;          // "+cmd|arg" for a command not allowed whole
  // "-cmd|sub" for a container command allowed whole (eddy's table has one entry for all of
  // CONFIG, CLIENT ...; Redis gives each subcommand its own).
  std::vector<FirstArg> denied_subcommands_;
  bool all_commands_base_ = false;          // the command rules start from +@all
  std::vector<std::string> command_rules_;  // after the base, for describe()
  bool all_keys_ = false;
  std::vector<KeyPattern> key_patterns_;
  bool all_channels_ = false;
  std::vector<std::string> channel_patterns_;
  bool unrestricted_ = false;
};

}  // namespace eddy::acl

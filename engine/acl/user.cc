#include "engine/acl/user.h"

#include <algorithm>

#include "engine/acl/categories.h"
#include "engine/acl/check.h"
#include "engine/acl/sha256.h"
#include "engine/base/assert.h"
#include "engine/base/glob.h"

namespace eddy::acl {

namespace {

constexpr std::string_view kSyntaxError = "Syntax error";
constexpr std::string_view kUnknownName = "Unknown command or category name in ACL";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

bool has_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

User::User(std::string name, std::uint64_t uid, const CommandTable& table)
    : name_(std::move(name)), uid_(uid), allowed_((table.all().size() + 63) / 64, 0) {}

bool User::accepts(std::string_view password) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  const std::string hashed = sha256_hex(password);
  bool match = false;
  // Every stored hash is compared, so the time taken does not say which one matched.
  for (const std::string& stored : password_hashes_) match |= hashes_equal(hashed, stored);
  return match;
}

bool User::matches(const std::vector<FirstArg>& list, const CommandSpec& spec, Args args) {
  if (args.size() < 2) return false;
  for (const FirstArg& entry : list) {
    if (entry.command_id == spec.id && equals_ignore_case(entry.arg, args[1])) return true;
  }
  return false;
}

bool User::may_access_key(std::string_view key, std::uint8_t needed) const {
  if (all_keys_) return true;
  for (const KeyPattern& pattern : key_patterns_) {
    if ((pattern.permissions & needed) != needed) continue;
    if (glob_match(pattern.pattern, key)) return true;
  }
  return false;
}

void User::set_command(std::uint32_t id, bool allowed) {
  ASSERT_LT(id >> 6, allowed_.size());
  const std::uint64_t bit = std::uint64_t{1} << (id & 63);
  if (allowed) {
    allowed_[id >> 6] |= bit;
  } else {
    allowed_[id >> 6] &= ~bit;
  }
  clear_first_args(id);
}

void User::clear_first_args(std::uint32_t id) {
  std::erase_if(first_args_, [&](const FirstArg& f) { return f.command_id == id; });
  std::erase_if(denied_subcommands_, [&](const FirstArg& f) { return f.command_id == id; });
}

void User::set_all_commands(bool allowed) {
  std::fill(allowed_.begin(), allowed_.end(), allowed ? ~std::uint64_t{0} : 0);
  first_args_.clear();
  denied_subcommands_.clear();
  all_commands_base_ = allowed;
  command_rules_.clear();
}

void User::set_category(std::uint32_t bit, bool allowed, const CommandTable& table) {
  for (const CommandSpec& spec : table.all()) {
    if ((spec.acl_category_bits & bit) != 0) set_command(spec.id, allowed);
  }
}

void User::log_command_rule(std::string rule, std::string_view target) {
  // A rule on a whole command also supersedes its earlier subcommand rules ("+memory" after
  // "+memory|doctor"), as it resets them.
  const bool whole_command = target[0] != '@' && target.find('|') == std::string_view::npos;
  std::erase_if(command_rules_, [&](const std::string& r) {
    const std::string_view old = std::string_view(r).substr(1);
    return old == target || (whole_command && old.size() > target.size() &&
                             old.substr(0, target.size()) == target && old[target.size()] == '|');
  });
  command_rules_.push_back(std::move(rule));
}

void User::update_unrestricted() {
  unrestricted_ = all_keys_ && denied_subcommands_.empty() &&
                  std::all_of(allowed_.begin(), allowed_.end(),
                              [](std::uint64_t word) { return word == ~std::uint64_t{0}; });
}

namespace {

constexpr std::string_view kBadPasswordHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";

// The stored hash a password rule names: ">pass" / "<pass" (`clear_text` is '>' or '<') give
// the SHA-256 of the text, "#hash" / "!hash" the hash itself, which must be well formed.
bool password_hash_of(std::string_view rule, char clear_text, std::string* hash) {
  const std::string_view text = rule.substr(1);
  if (rule[0] == clear_text) {
    *hash = sha256_hex(text);
    return true;
  }
  if (!is_password_hash(text)) return false;
  *hash = std::string(text);
  return true;
}

}  // namespace

bool User::apply(std::string_view rule, const CommandTable& table, std::string* reason) {
  auto fail = [&](std::string_view why) {
    *reason = std::string(why);
    return false;
  };
  // Command rules are kept for describe() only when they changed what may run.
  std::string pending_rule;
  std::string pending_target;
  const std::vector<std::uint64_t> allowed_before = allowed_;
  const std::vector<FirstArg> first_args_before = first_args_;
  const std::vector<FirstArg> denied_before = denied_subcommands_;
  const bool ok = [&]() -> bool {
    if (rule.empty()) return true;
    if (equals_ignore_case(rule, "on")) {
      enabled_ = true;
    } else if (equals_ignore_case(rule, "off")) {
      enabled_ = false;
    } else if (equals_ignore_case(rule, "sanitize-payload")) {
      sanitize_ = Sanitize::kSanitize;
    } else if (equals_ignore_case(rule, "skip-sanitize-payload")) {
      sanitize_ = Sanitize::kSkip;
    } else if (equals_ignore_case(rule, "nopass")) {
      nopass_ = true;
      password_hashes_.clear();
    } else if (equals_ignore_case(rule, "resetpass")) {
      nopass_ = false;
      password_hashes_.clear();
    } else if (rule[0] == '>' || rule[0] == '#') {
      std::string hash;
      if (!password_hash_of(rule, '>', &hash)) return fail(kBadPasswordHash);
      if (std::find(password_hashes_.begin(), password_hashes_.end(), hash) ==
          password_hashes_.end()) {
        password_hashes_.push_back(std::move(hash));
      }
      nopass_ = false;
    } else if (rule[0] == '<' || rule[0] == '!') {
      std::string hash;
      if (!password_hash_of(rule, '<', &hash)) return fail(kBadPasswordHash);
      auto it = std::find(password_hashes_.begin(), password_hashes_.end(), hash);
      if (it == password_hashes_.end()) {
        return fail("The password you are trying to remove from the user does not exist");
      }
      password_hashes_.erase(it);
    } else if (rule[0] == '(') {
      // Redis 7.0's selectors: eddy refuses them rather than ignore part of a user's rules.
      return fail("Selectors are not supported by eddy");
    } else if (equals_ignore_case(rule, "clearselectors")) {
      // No selectors can exist, so there are none to clear.
    } else if (equals_ignore_case(rule, "reset")) {
      nopass_ = false;
      password_hashes_.clear();
      all_keys_ = false;
      key_patterns_.clear();
      all_channels_ = false;
      channel_patterns_.clear();
      enabled_ = false;
      sanitize_ = Sanitize::kSanitize;
      set_all_commands(false);
    } else if (equals_ignore_case(rule, "allkeys") || rule == "~*") {
      all_keys_ = true;
      key_patterns_.clear();
    } else if (equals_ignore_case(rule, "resetkeys")) {
      all_keys_ = false;
      key_patterns_.clear();
    } else if (equals_ignore_case(rule, "allchannels") || rule == "&*") {
      all_channels_ = true;
      channel_patterns_.clear();
    } else if (equals_ignore_case(rule, "resetchannels")) {
      all_channels_ = false;
      channel_patterns_.clear();
    } else if (equals_ignore_case(rule, "allcommands") || equals_ignore_case(rule, "+@all")) {
      set_all_commands(true);
    } else if (equals_ignore_case(rule, "nocommands") || equals_ignore_case(rule, "-@all")) {
      set_all_commands(false);
    } else if (rule[0] == '~' || rule[0] == '%') {
      if (all_keys_) {
        return fail(
            "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
            "does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
      }
      std::uint8_t permissions = 0;
      std::size_t offset = 1;
      if (rule[0] == '%') {
        bool tilde = false;
        for (; offset < rule.size(); ++offset) {
          const char c = rule[offset];
          if ((c == 'R' || c == 'r') && (permissions & kKeyRead) == 0) {
            permissions |= kKeyRead;
          } else if ((c == 'W' || c == 'w') && (permissions & kKeyWrite) == 0) {
            permissions |= kKeyWrite;
          } else if (c == '~') {
            ++offset;
            tilde = true;
            break;
          } else {
            return fail(kSyntaxError);
          }
        }
        // "%R" with no '~' or no permission letter names no pattern.
        if (!tilde || permissions == 0) return fail(kSyntaxError);
      } else {
        permissions = kKeyReadWrite;
      }
      std::string_view pattern = rule.substr(offset);
      if (has_space(pattern)) return fail(kSyntaxError);
      auto it = std::find_if(key_patterns_.begin(), key_patterns_.end(),
                             [&](const KeyPattern& p) { return p.pattern == pattern; });
      if (it == key_patterns_.end()) {
        key_patterns_.push_back(KeyPattern{std::string(pattern), permissions});
      } else {
        it->permissions |= permissions;
      }
    } else if (rule[0] == '&') {
      if (all_channels_) {
        return fail(
            "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
            "and does not have any effect. Try 'resetchannels' to start with an empty list of "
            "channels");
      }
      std::string_view pattern = rule.substr(1);
      if (has_space(pattern)) return fail(kSyntaxError);
      if (std::find(channel_patterns_.begin(), channel_patterns_.end(), pattern) ==
          channel_patterns_.end()) {
        channel_patterns_.emplace_back(pattern);
      }
    } else if ((rule[0] == '+' || rule[0] == '-') && rule.size() > 1 && rule[1] == '@') {
      const auto bit = category_bit(rule.substr(2));
      if (!bit) return fail(kUnknownName);
      set_category(*bit, rule[0] == '+', table);
      pending_rule = lower(rule);
      pending_target = lower(rule.substr(1));
    } else if (rule[0] == '+' || rule[0] == '-') {
      const std::string_view name = rule.substr(1);
      const std::size_t bar = name.rfind('|');
      if (bar == std::string_view::npos) {
        const CommandSpec* spec = table.find(name);
        if (spec == nullptr) return fail(kUnknownName);
        set_command(spec->id, rule[0] == '+');
        pending_rule = lower(rule);
        pending_target = lower(name);
      } else {
        // "+cmd|arg": the command with that first argument (Redis's subcommand rule for a
        // container such as CONFIG, its first-argument rule for other commands); "-cmd|sub"
        // takes a container's subcommand away. eddy's table has no separate subcommand
        // entries, so a subcommand is its first argument.
        const std::string_view command = name.substr(0, bar);
        const std::string_view arg = name.substr(bar + 1);
        if (const std::size_t inner = command.find('|'); inner != std::string_view::npos) {
          // "+config|get|x": a first argument of a subcommand, which Redis refuses.
          const CommandSpec* outer = table.find(command.substr(0, inner));
          const bool known = outer != nullptr &&
                             command.find('|', inner + 1) == std::string_view::npos &&
                             is_subcommand(outer->name, command.substr(inner + 1));
          if (!known || rule[0] == '-') return fail(kUnknownName);
          return fail("Allowing first-arg of a subcommand is not supported");
        }
        const CommandSpec* spec = table.find(command);
        if (spec == nullptr) return fail(kUnknownName);
        if (arg.empty()) return fail(kSyntaxError);
        const bool container = is_container_command(spec->name);
        if (container && !is_subcommand(spec->name, arg)) return fail(kUnknownName);
        if (rule[0] == '-' && !container) return fail(kUnknownName);
        const std::string lowered = lower(arg);
        auto same = [&](const FirstArg& f) { return f.command_id == spec->id && f.arg == lowered; };
        std::erase_if(first_args_, same);
        std::erase_if(denied_subcommands_, same);
        const bool whole = ((allowed_[spec->id >> 6] >> (spec->id & 63)) & 1) != 0;
        if (rule[0] == '+' && !whole) first_args_.push_back(FirstArg{spec->id, lowered});
        if (rule[0] == '-' && whole) denied_subcommands_.push_back(FirstArg{spec->id, lowered});
        pending_rule = lower(rule);
        pending_target = lower(name);
      }
    } else {
      return fail(kSyntaxError);
    }
    return true;
  }();
  if (ok && !pending_rule.empty() &&
      (allowed_ != allowed_before || first_args_ != first_args_before ||
       denied_subcommands_ != denied_before)) {
    log_command_rule(std::move(pending_rule), pending_target);
  }
  update_unrestricted();
  return ok;
}

std::vector<std::string_view> User::flag_words() const {
  std::vector<std::string_view> words;
  words.push_back(enabled_ ? "on" : "off");
  if (nopass_) words.push_back("nopass");
  if (sanitize_ == Sanitize::kSkip) words.push_back("skip-sanitize-payload");
  if (sanitize_ == Sanitize::kSanitize) words.push_back("sanitize-payload");
  return words;
}

std::string User::describe_commands() const {
  std::string out = all_commands_base_ ? "+@all" : "-@all";
  for (const std::string& rule : command_rules_) {
    out += ' ';
    out += rule;
  }
  return out;
}

std::string User::describe_keys() const {
  if (all_keys_) return "~*";
  std::string out;
  for (const KeyPattern& p : key_patterns_) {
    if (!out.empty()) out += ' ';
    if (p.permissions == kKeyReadWrite) {
      out += '~';
    } else {
      out += p.permissions == kKeyRead ? "%R~" : "%W~";
    }
    out += p.pattern;
  }
  return out;
}

std::string User::describe_channels() const {
  if (all_channels_) return "&*";
  std::string out;
  for (const std::string& p : channel_patterns_) {
    if (!out.empty()) out += ' ';
    out += '&';
    out += p;
  }
  return out;
}

std::string User::describe() const {
  std::string out;
  for (std::string_view word : flag_words()) {
    out += word;
    out += ' ';
  }
  for (const std::string& hash : password_hashes_) {
    out += '#';
    out += hash;
    out += ' ';
  }
  const std::string keys = describe_keys();
  if (!keys.empty()) {
    out += keys;
    out += ' ';
  }
  if (all_channels_) {
    out += "&* ";
  } else {
    out += "resetchannels ";
    const std::string channels = describe_channels();
    if (!channels.empty()) {
      out += channels;
      out += ' ';
    }
  }
  out += describe_commands();
  return out;
}

}  // namespace eddy::acl

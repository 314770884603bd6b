#include "engine/cmd/command.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/acl/categories.h"
#include "engine/base/assert.h"
#include "engine/cmd/long_double_text.h"
#include "engine/kv/value.h"
#include "engine/tx/coordinator.h"

namespace eddy {

namespace {

// No Redis command name is near this long ("georadiusbymember_ro" is 20), so a longer name is
// unknown without looking: find() lowercases into a stack buffer of this size.
constexpr std::size_t kCommandNameBytesMax = 32;

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// FNV-1a: the table is tiny and built once, so the hash only has to spread short ASCII names.
std::uint64_t name_hash(std::string_view lower_name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : lower_name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The spec's categories plus those Redis 7.0 derives from its flags (setImplicitACLCategories).
std::uint32_t implied_categories(const CommandSpec& spec) {
  auto bit = [](std::string_view name) { return *acl::category_bit(name); };
  std::uint32_t bits = acl::category_bits_of(spec.acl_categories);
  if ((spec.flags & kCmdWrite) != 0) bits |= bit("write");
  if ((spec.flags & kCmdReadonly) != 0 && (bits & bit("scripting")) == 0) bits |= bit("read");
  if ((spec.flags & kCmdAdmin) != 0) bits |= bit("admin") | bit("dangerous");
  if ((spec.flags & kCmdPubsub) != 0) bits |= bit("pubsub");
  if ((spec.flags & kCmdFast) != 0) bits |= bit("fast");
  if ((spec.flags & kCmdBlocking) != 0) bits |= bit("blocking");
  if ((bits & bit("fast")) == 0) bits |= bit("slow");
  return bits;
}

}  // namespace

CommandTable::CommandTable() {
  register_string_commands(*this);
  register_lcs_command(*this);
  register_key_commands(*this);
  register_server_commands(*this);
  register_persistence_commands(*this);
  register_hash_commands(*this);
  register_list_commands(*this);
  register_set_commands(*this);
  register_zset_commands(*this);
  register_bitmap_commands(*this);
  register_hyperloglog_commands(*this);
  register_scripting_commands(*this);
  register_transaction_commands(*this);
  register_sort_commands(*this);
  register_acl_commands(*this);
  // Last: the cross-shard versions attach to the specs every family registered above.
  register_multi_shard_commands(*this);
  register_key_access(*this);
}

void CommandTable::add(CommandSpec spec) {
  ASSERT(!spec.name.empty());
  ASSERT_LE(spec.name.size(), kCommandNameBytesMax);
  for (char c : spec.name) ASSERT_MSG(c == lower_ascii(c), std::string(spec.name));
  ASSERT_MSG(find(spec.name) == nullptr, "duplicate command " + std::string(spec.name));
  ASSERT(spec.arity != 0);
  spec.id = static_cast<std::uint32_t>(specs_.size());
  spec.acl_category_bits = implied_categories(spec);
  specs_.push_back(spec);
  // find() stays valid at every step without a separate "finish" call: the new name goes into
  // the index, which is rebuilt only when it would pass half full (rebuilding on every add
  // made each table cost O(commands^2), a third of an engine's construction).
  if (specs_.size() * 2 > index_.size()) {
    rebuild_index();
  } else {
    index_insert(specs_.size() - 1);
  }
}

void CommandTable::index_insert(std::size_t spec_index) {
  std::size_t slot = static_cast<std::size_t>(name_hash(specs_[spec_index].name)) & mask_;
  while (index_[slot] >= 0) slot = (slot + 1) & mask_;
  index_[slot] = static_cast<std::int32_t>(spec_index);
}

void CommandTable::rebuild_index() {
  // At most half full, so linear probes stay short.
  std::size_t capacity = 16;
  while (capacity < specs_.size() * 2) capacity *= 2;
  index_.assign(capacity, -1);
  mask_ = capacity - 1;
  for (std::size_t i = 0; i < specs_.size(); ++i) index_insert(i);
}

const CommandSpec* CommandTable::find(std::string_view name) const {
  if (name.empty() || name.size() > kCommandNameBytesMax || index_.empty()) return nullptr;
  char lower[kCommandNameBytesMax];
  for (std::size_t i = 0; i < name.size(); ++i) lower[i] = lower_ascii(name[i]);
  const std::string_view key(lower, name.size());
  std::size_t slot = static_cast<std::size_t>(name_hash(key)) & mask_;
  for (;;) {
    const std::int32_t at = index_[slot];
    if (at < 0) return nullptr;
    const CommandSpec& spec = specs_[static_cast<std::size_t>(at)];
    if (spec.name == key) return &spec;
    slot = (slot + 1) & mask_;
  }
}

CommandSpec keyed_spec(std::string_view group, std::string_view name, int arity,
                       std::uint32_t flags, int first_key, int last_key, int key_step,
                       CommandHandler handler, std::string_view summary, std::string_view since,
                       std::string_view acl_categories) {
  CommandSpec spec{};
  spec.name = name;
  spec.arity = arity;
  spec.flags = flags;
  spec.first_key = first_key;
  spec.last_key = last_key;
  spec.key_step = key_step;
  spec.route = CommandRoute::kKeys;
  spec.handler = handler;
  spec.group = group;
  spec.summary = summary;
  spec.since = since;
  spec.acl_categories = acl_categories;
  return spec;
}

TerminatedCopy::TerminatedCopy(std::string_view text) {
  if (text.size() < kStackBytes) {
    std::memcpy(stack_, text.data(), text.size());
    stack_[text.size()] = '\0';
  } else {
    heap_.assign(text);
  }
}

CommandSpec* CommandTable::find_mutable(std::string_view name) {
  // Only start-up code attaches handlers; specs_ is not resized afterwards.
  return const_cast<CommandSpec*>(find(name));
}

void key_indexes(const CommandSpec& spec, Args args, std::vector<std::uint32_t>& out) {
  const auto argc = static_cast<std::int64_t>(args.size());
  if (spec.numkeys_index > 0 || spec.keys_fn != nullptr) {
    if (spec.first_key > 0) {
      const std::int64_t last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
      for (std::int64_t i = spec.first_key; i <= last && i < argc;
           i += std::max(spec.key_step, 1)) {
        out.push_back(static_cast<std::uint32_t>(i));
      }
    }
    std::int64_t count = 0;
    if (spec.numkeys_index > 0 && spec.numkeys_index < argc &&
        kv::Value::parse_canonical_int(args[static_cast<std::size_t>(spec.numkeys_index)],
                                       &count) &&
        count > 0 && count <= argc - spec.numkeys_index - 1) {
      for (std::int64_t i = 0; i < count; ++i) {
        out.push_back(static_cast<std::uint32_t>(spec.numkeys_index + 1 + i));
      }
    }
    if (spec.keys_fn != nullptr) spec.keys_fn(args, out);
    return;
  }
  if (spec.first_key <= 0) return;
  const std::int64_t first = spec.first_key;
  const std::int64_t last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  const std::int64_t step = spec.key_step > 0 ? spec.key_step : 1;
  // Like Redis, positions past the end (a variadic command sent with too few arguments) are
  // skipped: the handler reports the arity or syntax error itself.
  for (std::int64_t i = first; i <= last && i < argc; i += step) {
    out.push_back(static_cast<std::uint32_t>(i));
  }
}

bool parse_int64_arg(std::string_view text, std::int64_t* out, ReplyBuilder& reply) {
  // Redis's string2ll accepts exactly the canonical decimal form of an int64, the same rule
  // that decides int encoding of values.
  if (kv::Value::parse_canonical_int(text, out)) return true;
  reply.error(errors::kNotInteger);
  return false;
}

bool parse_blocking_timeout(std::string_view text, std::int64_t* timeout_ms, ReplyBuilder& reply) {
  long double seconds = 0;
  if (!parse_long_double(text, &seconds)) {
    reply.error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = std::ceil(seconds * 1000.0L);
  // Redis converts with a plain cast; a timeout beyond what 64 bits of ms hold is refused here.
  if (ms >= 9.2e18L) {
    reply.error("ERR timeout is out of range");
    return false;
  }
  if (ms < 0) {
    reply.error("ERR timeout is negative");
    return false;
  }
  *timeout_ms = static_cast<std::int64_t>(ms);
  return true;
}

bool take_blocking_timeout(CommandContext& ctx, std::string_view text) {
  std::int64_t timeout_ms = 0;
  if (!parse_blocking_timeout(text, &timeout_ms, ctx.reply)) return false;
  if (ctx.blocking != nullptr) ctx.blocking->timeout_ms = timeout_ms;
  return true;
}

bool parse_double_arg(std::string_view text, double* out, ReplyBuilder& reply) {
  // Redis (string2d/string2ld) hands the text to strtod/strtold: decimal, exponent, hex and
  // "inf" forms are numbers; then it rejects what strtod would quietly accept: an empty
  // string, leading space, trailing bytes (this also catches an embedded NUL), NaN and
  // overflow/underflow to HUGE_VAL or zero.
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    reply.error(errors::kNotFloat);
    return false;
  }
  // strtod needs a terminated string; arguments are views into the request buffer.
  const TerminatedCopy copy(text);
  const char* terminated = copy.c_str();
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(terminated, &end);
  const bool range_error =
      errno == ERANGE && (value == HUGE_VAL || value == -HUGE_VAL || value == 0.0);
  if (static_cast<std::size_t>(end - terminated) != text.size() || range_error ||
      std::isnan(value)) {
    reply.error(errors::kNotFloat);
    return false;
  }
  *out = value;
  return true;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

}  // namespace eddy

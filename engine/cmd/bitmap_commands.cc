// The bitmap family: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, with Redis
// 7.0's replies, error texts and error precedence. Bitmaps are plain strings (as in Redis): bit
// 0 is the most significant bit of byte 0, reads past the end see zeros, and writes grow the
// string with zero bytes.
//
// Effects: every write here is deterministic, so the command itself is its effect; a write
// that turns out to change nothing (SETBIT of a bit to its current value, BITFIELD SET of the
// same value) does not open Db::update at all, so it propagates nothing and bumps no watched
// key, as Redis does not signal such writes either.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";
constexpr std::string_view kBitfieldTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

using Bytes = const unsigned char*;

Bytes as_bytes(std::string_view text) {
  return reinterpret_cast<Bytes>(text.data());
}

const kv::Entry* lookup_read(CommandContext& ctx, std::string_view key) {
  return keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
}

// Redis's getBitOffsetFromArgument. With `bits` > 0 (BITFIELD) "#n" means n * bits; the
// product wraps modulo 2^64 exactly as Redis's does before the range check.
// `reply` may be null when the argument is known to be valid.
bool parse_bit_offset(std::string_view text, int bits, std::uint64_t* out, ReplyBuilder* reply) {
  const bool scaled = bits > 0 && !text.empty() && text.front() == '#';
  std::int64_t offset;
  if (!kv::Value::parse_canonical_int(scaled ? text.substr(1) : text, &offset)) {
    if (reply != nullptr) reply->error(kBitOffsetError);
    return false;
  }
  if (scaled) {
    offset = static_cast<std::int64_t>(static_cast<std::uint64_t>(offset) *
                                       static_cast<std::uint64_t>(bits));
  }
  // A bit offset must address a byte below proto-max-bulk-len, so no write can grow a string
  // past it.
  if (offset < 0 || (offset >> 3) >= limits::bulk_bytes_max) {
    if (reply != nullptr) reply->error(kBitOffsetError);
    return false;
  }
  *out = static_cast<std::uint64_t>(offset);
  return true;
}

// The string's bytes for reading: `scratch` holds the text of an int-encoded value.
std::string_view bytes_of(const kv::Entry& entry, char (&scratch)[kv::Value::kIntScratchBytes]) {
  return entry.value.view(scratch);
}

// ---------------------------------------------------------------------------------------------
// SETBIT / GETBIT.

void setbit_command(CommandContext& ctx) {
  std::uint64_t offset;
  if (!parse_bit_offset(ctx.args[2], 0, &offset, &ctx.reply)) return;
  std::int64_t on;
  if (!kv::Value::parse_canonical_int(ctx.args[3], &on) || (on & ~std::int64_t{1}) != 0) {
    ctx.reply.error(kBitValueError);
    return;
  }
  const std::string_view key = ctx.args[1];
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry != nullptr && !entry->value.is_string()) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const auto byte = static_cast<std::size_t>(offset >> 3);
  const int shift = 7 - static_cast<int>(offset & 7);
  int old_bit = 0;
  if (entry != nullptr) {
    char scratch[kv::Value::kIntScratchBytes];
    const std::string_view bytes = bytes_of(*entry, scratch);
    if (byte < bytes.size()) {
      old_bit = (static_cast<unsigned char>(bytes[byte]) >> shift) & 1;
      // Neither the length nor the bit changes: nothing to write, nothing to propagate.
      if (old_bit == on) {
        ctx.db.make_raw(entry);  // Redis unshares the string all the same
        ctx.reply.integer(old_bit);
        return;
      }
    }
  } else {
    entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  }
  ctx.db.update(entry, [&](kv::Value& value) {
    kv::SmallString& bytes = value.mutable_string();
    char* data = bytes.resize(std::max(bytes.size(), byte + 1));
    const auto mask = static_cast<unsigned char>(1u << shift);
    auto& target = reinterpret_cast<unsigned char&>(data[byte]);
    target = static_cast<unsigned char>(on != 0 ? (target | mask) : (target & ~mask));
  });
  ctx.reply.integer(old_bit);
}

void getbit_command(CommandContext& ctx) {
  std::uint64_t offset;
  if (!parse_bit_offset(ctx.args[2], 0, &offset, &ctx.reply)) return;
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!entry->value.is_string()) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view bytes = bytes_of(*entry, scratch);
  const auto byte = static_cast<std::size_t>(offset >> 3);
  int bit = 0;
  if (byte < bytes.size()) {
    bit = (static_cast<unsigned char>(bytes[byte]) >> (7 - (offset & 7))) & 1;
  }
  ctx.reply.integer(bit);
}

// ---------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS.

std::int64_t popcount(Bytes p, std::size_t n) {
  std::int64_t count = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, sizeof(word));
    count += std::popcount(word);
  }
  for (; i < n; ++i) count += std::popcount(static_cast<unsigned>(p[i]));
  return count;
}

// The position of the first bit equal to `bit` in p[0..n), counting from the most significant
// bit of p[0]. Not found: -1 when looking for a 1, n * 8 when looking for a 0 (the string is
// taken as zero-padded on the right), as Redis's redisBitpos.
std::int64_t first_bit(Bytes p, std::size_t n, int bit) {
  const std::uint64_t skip_word = bit != 0 ? 0 : ~std::uint64_t{0};
  const unsigned char skip_byte = bit != 0 ? 0x00 : 0xFF;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, sizeof(word));
    if (word != skip_word) break;
  }
  for (; i < n; ++i) {
    if (p[i] == skip_byte) continue;
    const auto byte = static_cast<unsigned char>(bit != 0 ? p[i] : ~p[i]);
    return static_cast<std::int64_t>(i * 8) + std::countl_zero(byte);
  }
  return bit != 0 ? -1 : static_cast<std::int64_t>(n * 8);
}

// A BITCOUNT/BITPOS range after Redis's normalisation: byte indexes [start, end] (empty when
// start > end), plus, in BIT mode, masks of the bits of the first and last byte that lie
// outside the range.
struct BitRange {
  std::int64_t start;
  std::int64_t end;
  unsigned char first_outside = 0;  // high bits of byte `start` before the range
  unsigned char last_outside = 0;   // low bits of byte `end` after the range
};

// Clamps [start, end] (BIT units when `bits`) to a string of `length` bytes as Redis does.
BitRange normalize_range(std::int64_t start, std::int64_t end, std::int64_t length, bool bits) {
  const std::int64_t total = bits ? length * 8 : length;
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  BitRange range{start, end};
  if (bits && start <= end) {
    range.first_outside = static_cast<unsigned char>(~((1u << (8 - (start & 7))) - 1) & 0xFF);
    range.last_outside = static_cast<unsigned char>((1u << (7 - (end & 7))) - 1);
    range.start = start >> 3;
    range.end = end >> 3;
  }
  return range;
}

// "BIT" or "BYTE" (any case); anything else is a syntax error.
bool parse_range_unit(std::string_view text, bool* bits, ReplyBuilder& reply) {
  if (equals_ignore_case(text, "bit")) {
    *bits = true;
  } else if (equals_ignore_case(text, "byte")) {
    *bits = false;
  } else {
    reply.error(errors::kSyntax);
    return false;
  }
  return true;
}

void bitcount_command(CommandContext& ctx) {
  // Redis looks the key up first: a missing key counts 0 whatever the other arguments say.
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    ctx.reply.integer(0);
    return;
  }
  if (!entry->value.is_string()) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view text = bytes_of(*entry, scratch);
  const Bytes p = as_bytes(text);
  const auto length = static_cast<std::int64_t>(text.size());
  const std::size_t argc = ctx.args.size();
  BitRange range{0, length - 1};
  if (argc == 4 || argc == 5) {
    std::int64_t start;
    std::int64_t end;
    if (!parse_int64_arg(ctx.args[2], &start, ctx.reply)) return;
    if (!parse_int64_arg(ctx.args[3], &end, ctx.reply)) return;
    // Redis answers this empty range before it looks at the unit argument.
    if (start < 0 && end < 0 && start > end) {
      ctx.reply.integer(0);
      return;
    }
    bool bits = false;
    if (argc == 5 && !parse_range_unit(ctx.args[4], &bits, ctx.reply)) return;
    range = normalize_range(start, end, length, bits);
  } else if (argc != 2) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (range.start > range.end) {
    ctx.reply.integer(0);
    return;
  }
  const auto first = static_cast<std::size_t>(range.start);
  const auto last = static_cast<std::size_t>(range.end);
  std::int64_t count = popcount(p + first, last - first + 1);
  count -= std::popcount(static_cast<unsigned>(p[first] & range.first_outside));
  count -= std::popcount(static_cast<unsigned>(p[last] & range.last_outside));
  ctx.reply.integer(count);
}

void bitpos_command(CommandContext& ctx) {
  std::int64_t bit;
  if (!parse_int64_arg(ctx.args[2], &bit, ctx.reply)) return;
  if (bit != 0 && bit != 1) {
    ctx.reply.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const kv::Entry* entry = lookup_read(ctx, ctx.args[1]);
  if (entry == nullptr) {
    // A missing key is an endless run of zeros.
    ctx.reply.integer(bit != 0 ? -1 : 0);
    return;
  }
  if (!entry->value.is_string()) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  char scratch[kv::Value::kIntScratchBytes];
  const std::string_view text = bytes_of(*entry, scratch);
  const Bytes p = as_bytes(text);
  const auto length = static_cast<std::int64_t>(text.size());
  const std::size_t argc = ctx.args.size();
  const int want = static_cast<int>(bit);
  BitRange range{0, length - 1};
  bool end_given = false;
  if (argc >= 4 && argc <= 6) {
    std::int64_t start;
    if (!parse_int64_arg(ctx.args[3], &start, ctx.reply)) return;
    // Redis reads the unit before the end: "BITPOS k 1 0 x foo" is a syntax error.
    bool bits = false;
    if (argc == 6 && !parse_range_unit(ctx.args[5], &bits, ctx.reply)) return;
    std::int64_t end = length - 1;
    if (argc >= 5) {
      if (!parse_int64_arg(ctx.args[4], &end, ctx.reply)) return;
      end_given = true;
    }
    range = normalize_range(start, end, length, bits);
  } else if (argc != 3) {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (range.start > range.end) {
    // An empty range holds neither a 0 nor a 1.
    ctx.reply.integer(-1);
    return;
  }

  // The range in three parts: a partial first byte, whole bytes, a partial last byte. Each
  // part answers when it finds the bit; a part with no match hands over to the next.
  std::int64_t start = range.start;
  std::int64_t bytes = range.end - range.start + 1;
  std::int64_t pos = -1;
  auto masked = [&](unsigned char byte, unsigned char outside) {
    return static_cast<unsigned char>(want != 0 ? (byte & ~outside) : (byte | outside));
  };
  bool done = false;
  if (range.first_outside != 0) {
    unsigned char edge = masked(p[start], range.first_outside);
    if (range.last_outside != 0 && bytes == 1) edge = masked(edge, range.last_outside);
    pos = first_bit(&edge, 1, want);
    done = bytes == 1 || (pos != -1 && pos != 8);
    if (!done) {
      ++start;
      --bytes;
    }
  }
  if (!done) {
    const std::int64_t whole = bytes - (range.last_outside != 0 ? 1 : 0);
    if (whole > 0) {
      pos = first_bit(p + start, static_cast<std::size_t>(whole), want);
      done = bytes == whole || (pos != -1 && pos != whole * 8);
      if (!done) {
        start += whole;
        bytes -= whole;
      }
    }
  }
  if (!done) {
    const unsigned char edge = masked(p[range.end], range.last_outside);
    pos = first_bit(&edge, 1, want);
  }
  // Looking for a 0 in an explicit range: the zero padding to the right is not in the range.
  if (end_given && want == 0 && pos == bytes * 8) {
    ctx.reply.integer(-1);
    return;
  }
  if (pos != -1) pos += start * 8;
  ctx.reply.integer(pos);
}

// ---------------------------------------------------------------------------------------------
// BITOP.

enum class BitOp { kAnd, kOr, kXor, kNot };

struct BitopSource {
  std::string_view key;
  std::size_t length = 0;
  bool present = false;
  Bytes bytes = nullptr;
  char scratch[kv::Value::kIntScratchBytes];
};

std::uint64_t load_word(Bytes p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// out[0..maxlen) = op over the sources (each zero-padded to maxlen). `out` may be the bytes of
// one of the sources: each output byte is written only after every input byte at its index is
// read.
void compute_bitop(BitOp op, std::span<const BitopSource> sources, std::size_t minlen,
                   std::size_t maxlen, unsigned char* out) {
  std::size_t j = 0;
  auto byte_at = [&](const BitopSource& s, std::size_t i) -> unsigned {
    return i < s.length ? s.bytes[i] : 0u;
  };
  if (op == BitOp::kNot) {
    const BitopSource& s = sources[0];
    for (; j + 8 <= s.length; j += 8) {
      const std::uint64_t word = ~load_word(s.bytes + j);
      std::memcpy(out + j, &word, sizeof(word));
    }
    for (; j < maxlen; ++j) out[j] = static_cast<unsigned char>(~byte_at(s, j));
    return;
  }
  // Word at a time while every source has bytes.
  for (; j + 8 <= minlen; j += 8) {
    std::uint64_t word = load_word(sources[0].bytes + j);
    for (std::size_t i = 1; i < sources.size(); ++i) {
      const std::uint64_t other = load_word(sources[i].bytes + j);
      word = op == BitOp::kAnd  ? (word & other)
             : op == BitOp::kOr ? (word | other)
                                : (word ^ other);
    }
    std::memcpy(out + j, &word, sizeof(word));
  }
  for (; j < maxlen; ++j) {
    unsigned byte = byte_at(sources[0], j);
    for (std::size_t i = 1; i < sources.size(); ++i) {
      const unsigned other = byte_at(sources[i], j);
      byte = op == BitOp::kAnd  ? (byte & other)
             : op == BitOp::kOr ? (byte | other)
                                : (byte ^ other);
    }
    out[j] = static_cast<unsigned char>(byte);
  }
}

void bitop_command(CommandContext& ctx) {
  const std::string_view name = ctx.args[1];
  BitOp op;
  if (equals_ignore_case(name, "and")) {
    op = BitOp::kAnd;
  } else if (equals_ignore_case(name, "or")) {
    op = BitOp::kOr;
  } else if (equals_ignore_case(name, "xor")) {
    op = BitOp::kXor;
  } else if (equals_ignore_case(name, "not")) {
    op = BitOp::kNot;
  } else {
    ctx.reply.error(errors::kSyntax);
    return;
  }
  if (op == BitOp::kNot && ctx.args.size() != 4) {
    ctx.reply.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const std::string_view dest = ctx.args[2];

  // Pass 1: look every source up (lazy expiry happens here, and the first non-string is the
  // error) and measure. No entry pointer is kept: a later lookup may expire a key and so move
  // entries.
  std::vector<BitopSource> sources(ctx.args.size() - 3);
  std::size_t maxlen = 0;
  std::size_t minlen = 0;
  bool dest_is_source = false;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    BitopSource& s = sources[i];
    s.key = ctx.args[i + 3];
    const kv::Entry* entry = lookup_read(ctx, s.key);
    if (entry == nullptr) {
      minlen = 0;
      continue;
    }
    if (!entry->value.is_string()) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    s.present = true;
    s.length = entry->value.string_length();
    maxlen = std::max(maxlen, s.length);
    if (i == 0 || s.length < minlen) minlen = s.length;
    dest_is_source = dest_is_source || s.key == dest;
  }

  if (maxlen == 0) {
    // Every source is empty or missing: the destination goes (Redis deletes it).
    ctx.db.erase(dest, ctx.now_ms);
    ctx.reply.integer(0);
    return;
  }

  // Pass 2: the destination first (inserting may move entries), then the sources' bytes, read
  // through peek (no lookup here can expire anything any more).
  const kv::Entry* target = ctx.db.find_or_insert(dest, ctx.now_ms).first;
  ctx.db.update(target, [&](kv::Value& value) {
    std::size_t dest_length = 0;
    if (dest_is_source) {
      dest_length = value.string_length();
    } else {
      // A fresh value: whatever the key held (any type) is replaced, and its buffer with it.
      value = kv::Value();
    }
    kv::SmallString& bytes = value.mutable_string();
    auto* out = reinterpret_cast<unsigned char*>(bytes.resize(std::max(maxlen, dest_length)));
    for (BitopSource& s : sources) {
      if (!s.present) continue;
      if (s.key == dest) {
        s.bytes = out;  // its original bytes, zero-extended by the resize
        continue;
      }
      const kv::Entry* entry = ctx.db.peek(s.key);
      ASSERT(entry != nullptr && entry->value.is_string());
      const std::string_view view = entry->value.view(s.scratch);
      ASSERT_EQ(view.size(), s.length);
      s.bytes = as_bytes(view);
    }
    compute_bitop(op, sources, minlen, maxlen, out);
  });
  // SET semantics: the result has no TTL.
  target = ctx.db.set_expire(target, 0);
  ctx.reply.integer(static_cast<std::int64_t>(maxlen));
}

// ---------------------------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO.

enum class Overflow { kWrap, kSat, kFail };

struct BitfieldOp {
  enum Kind { kGet, kSet, kIncrby } kind = kGet;
  bool is_signed = false;
  int bits = 0;
  std::uint64_t offset = 0;
  std::int64_t value = 0;  // SET's value or INCRBY's increment
  Overflow overflow = Overflow::kWrap;
};

// Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63. Redis reads the number as a C
// string, so it ends at an embedded NUL.
bool parse_bitfield_type(std::string_view text, bool* is_signed, int* bits, ReplyBuilder* reply) {
  const bool ok_prefix = !text.empty() && (text.front() == 'i' || text.front() == 'u');
  std::int64_t width = 0;
  if (ok_prefix) {
    std::string_view number = text.substr(1);
    number = number.substr(0, number.find('\0'));
    const bool sign = text.front() == 'i';
    if (kv::Value::parse_canonical_int(number, &width) && width >= 1 && width <= (sign ? 64 : 63)) {
      *is_signed = sign;
      *bits = static_cast<int>(width);
      return true;
    }
  }
  if (reply != nullptr) reply->error(kBitfieldTypeError);
  return false;
}

// Walks BITFIELD's subcommands one at a time. The first walk validates (errors go to the
// reply, exactly as Redis reports them, in argument order); later walks over the same
// arguments cannot fail and execute.
class BitfieldWalk {
 public:
  explicit BitfieldWalk(Args args) : args_(args) {}

  // 1: *op is the next operation; 0: no more; -1: an error was replied.
  int next(BitfieldOp* op, ReplyBuilder* reply) {
    while (at_ < args_.size()) {
      const std::string_view name = args_[at_];
      const std::size_t remaining = args_.size() - at_ - 1;
      BitfieldOp::Kind kind;
      if (equals_ignore_case(name, "get") && remaining >= 2) {
        kind = BitfieldOp::kGet;
      } else if (equals_ignore_case(name, "set") && remaining >= 3) {
        kind = BitfieldOp::kSet;
      } else if (equals_ignore_case(name, "incrby") && remaining >= 3) {
        kind = BitfieldOp::kIncrby;
      } else if (equals_ignore_case(name, "overflow") && remaining >= 1) {
        const std::string_view type = args_[at_ + 1];
        if (equals_ignore_case(type, "wrap")) {
          overflow_ = Overflow::kWrap;
        } else if (equals_ignore_case(type, "sat")) {
          overflow_ = Overflow::kSat;
        } else if (equals_ignore_case(type, "fail")) {
          overflow_ = Overflow::kFail;
        } else {
          return fail(reply, "ERR Invalid OVERFLOW type specified");
        }
        at_ += 2;
        continue;
      } else {
        return fail(reply, errors::kSyntax);
      }
      op->kind = kind;
      op->overflow = overflow_;
      if (!parse_bitfield_type(args_[at_ + 1], &op->is_signed, &op->bits, reply)) return -1;
      if (!parse_bit_offset(args_[at_ + 2], op->bits, &op->offset, reply)) {
        ASSERT_MSG(reply != nullptr, "BITFIELD arguments changed between walks");
        return -1;
      }
      op->value = 0;
      if (kind != BitfieldOp::kGet) {
        if (!kv::Value::parse_canonical_int(args_[at_ + 3], &op->value)) {
          return fail(reply, errors::kNotInteger);
        }
      }
      at_ += kind == BitfieldOp::kGet ? 3 : 4;
      return 1;
    }
    return 0;
  }

 private:
  static int fail(ReplyBuilder* reply, std::string_view message) {
    ASSERT_MSG(reply != nullptr, "BITFIELD arguments changed between walks");
    reply->error(message);
    return -1;
  }

  Args args_;
  std::size_t at_ = 2;
  Overflow overflow_ = Overflow::kWrap;
};

// `bits` bits at bit `offset` as an unsigned number, most significant first; bits past `length`
// bytes read as zero.
std::uint64_t get_field(Bytes p, std::size_t length, std::uint64_t offset, int bits) {
  std::uint64_t value = 0;
  for (int i = 0; i < bits; ++i, ++offset) {
    const std::uint64_t byte = offset >> 3;
    const unsigned bit = byte < length ? (p[byte] >> (7 - (offset & 7))) & 1u : 0u;
    value = (value << 1) | bit;
  }
  return value;
}

std::int64_t get_signed_field(Bytes p, std::size_t length, std::uint64_t offset, int bits) {
  std::uint64_t value = get_field(p, length, offset, bits);
  // Sign-extend from the field's top bit.
  if (bits < 64 && (value & (std::uint64_t{1} << (bits - 1))) != 0)
    value |= ~std::uint64_t{0} << bits;
  return static_cast<std::int64_t>(value);
}

// Stores the low `bits` bits of `value` at bit `offset`; the bytes must exist.
void set_field(unsigned char* p, std::uint64_t offset, int bits, std::uint64_t value) {
  for (int i = 0; i < bits; ++i, ++offset) {
    const bool one = (value & (std::uint64_t{1} << (bits - 1 - i))) != 0;
    const auto mask = static_cast<unsigned char>(1u << (7 - (offset & 7)));
    unsigned char& byte = p[offset >> 3];
    byte = static_cast<unsigned char>(one ? (byte | mask) : (byte & ~mask));
  }
}

// Redis's checkUnsignedBitfieldOverflow: would `value` + `incr` leave the range of a `bits`-bit
// unsigned field (bits <= 63)? If so *limit is what WRAP or SAT stores.
bool unsigned_overflows(std::uint64_t value, std::int64_t incr, int bits, Overflow overflow,
                        std::uint64_t* limit) {
  const std::uint64_t max = (std::uint64_t{1} << bits) - 1;
  // Redis's own (wrapping) arithmetic, kept so that every edge answers the same.
  const auto max_incr = static_cast<std::int64_t>(max - value);
  const auto min_incr = static_cast<std::int64_t>(std::uint64_t{0} - value);
  bool high;
  if (value > max || (incr > 0 && incr > max_incr)) {
    high = true;
  } else if (incr < 0 && incr < min_incr) {
    high = false;
  } else {
    return false;
  }
  if (overflow == Overflow::kSat) {
    *limit = high ? max : 0;
  } else {
    *limit = (value + static_cast<std::uint64_t>(incr)) & max;
  }
  return true;
}

// Redis's checkSignedBitfieldOverflow for a `bits`-bit signed field (bits <= 64).
bool signed_overflows(std::int64_t value, std::int64_t incr, int bits, Overflow overflow,
                      std::int64_t* limit) {
  const std::int64_t max =
      bits == 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (bits - 1)) - 1;
  const std::int64_t min = -max - 1;
  // Both may wrap, exactly as Redis's do (it only relies on them once `value` is in range;
  // when it is not, the wrapped values still decide which way Redis saturates).
  const auto max_incr = static_cast<std::int64_t>(static_cast<std::uint64_t>(max) -
                                                  static_cast<std::uint64_t>(value));
  const auto min_incr = static_cast<std::int64_t>(static_cast<std::uint64_t>(min) -
                                                  static_cast<std::uint64_t>(value));
  bool high;
  if (value > max || (bits != 64 && incr > max_incr) ||
      (value >= 0 && incr > 0 && incr > max_incr)) {
    high = true;
  } else if (value < min || (bits != 64 && incr < min_incr) ||
             (value < 0 && incr < 0 && incr < min_incr)) {
    high = false;
  } else {
    return false;
  }
  if (overflow == Overflow::kSat) {
    *limit = high ? max : min;
    return true;
  }
  std::uint64_t sum = static_cast<std::uint64_t>(value) + static_cast<std::uint64_t>(incr);
  if (bits < 64) {
    const std::uint64_t high_bits = ~std::uint64_t{0} << bits;
    sum = (sum & (std::uint64_t{1} << (bits - 1))) != 0 ? (sum | high_bits) : (sum & ~high_bits);
  }
  *limit = static_cast<std::int64_t>(sum);
  return true;
}

// What a SET or INCRBY does to its field: the reply (old value for SET, new for INCRBY), the
// bits to store, and whether it stores at all (OVERFLOW FAIL refuses).
struct FieldWrite {
  bool stores;
  std::int64_t reply;
  std::uint64_t old_bits;
  std::uint64_t new_bits;
};

FieldWrite plan_write(const BitfieldOp& op, Bytes p, std::size_t length) {
  FieldWrite w{};
  const std::uint64_t field_mask =
      op.bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << op.bits) - 1;
  bool overflowed;
  if (op.is_signed) {
    const std::int64_t old_value = get_signed_field(p, length, op.offset, op.bits);
    std::int64_t new_value;
    std::int64_t limit = 0;
    if (op.kind == BitfieldOp::kIncrby) {
      overflowed = signed_overflows(old_value, op.value, op.bits, op.overflow, &limit);
      new_value = overflowed ? limit
                             : static_cast<std::int64_t>(static_cast<std::uint64_t>(old_value) +
                                                         static_cast<std::uint64_t>(op.value));
      w.reply = new_value;
    } else {
      overflowed = signed_overflows(op.value, 0, op.bits, op.overflow, &limit);
      new_value = overflowed ? limit : op.value;
      w.reply = old_value;
    }
    w.old_bits = static_cast<std::uint64_t>(old_value) & field_mask;
    w.new_bits = static_cast<std::uint64_t>(new_value) & field_mask;
  } else {
    const std::uint64_t old_value = get_field(p, length, op.offset, op.bits);
    std::uint64_t new_value;
    std::uint64_t limit = 0;
    if (op.kind == BitfieldOp::kIncrby) {
      overflowed = unsigned_overflows(old_value, op.value, op.bits, op.overflow, &limit);
      new_value = overflowed ? limit : old_value + static_cast<std::uint64_t>(op.value);
      w.reply = static_cast<std::int64_t>(new_value);
    } else {
      new_value = static_cast<std::uint64_t>(op.value);
      overflowed = unsigned_overflows(new_value, 0, op.bits, op.overflow, &limit);
      if (overflowed) new_value = limit;
      w.reply = static_cast<std::int64_t>(old_value);
    }
    w.old_bits = old_value & field_mask;
    w.new_bits = new_value & field_mask;
  }
  w.stores = !(overflowed && op.overflow == Overflow::kFail);
  return w;
}

void reply_get(const BitfieldOp& op, Bytes p, std::size_t length, ReplyBuilder& reply) {
  if (op.is_signed) {
    reply.integer(get_signed_field(p, length, op.offset, op.bits));
  } else {
    reply.integer(static_cast<std::int64_t>(get_field(p, length, op.offset, op.bits)));
  }
}

void bitfield_generic(CommandContext& ctx, bool readonly_command) {
  // Validation walk: every error is found before anything is read or written.
  std::size_t op_count = 0;
  bool writes = false;
  std::uint64_t highest_bit = 0;
  {
    BitfieldWalk walk(ctx.args);
    BitfieldOp op;
    int status;
    while ((status = walk.next(&op, &ctx.reply)) == 1) {
      ++op_count;
      if (op.kind != BitfieldOp::kGet) {
        writes = true;
        highest_bit = std::max(highest_bit, op.offset + static_cast<std::uint64_t>(op.bits) - 1);
      }
    }
    if (status < 0) return;
  }
  const std::string_view key = ctx.args[1];

  if (!writes) {
    const kv::Entry* entry = lookup_read(ctx, key);
    if (entry != nullptr && !entry->value.is_string()) {
      ctx.reply.error(errors::kWrongType);
      return;
    }
    char scratch[kv::Value::kIntScratchBytes];
    const std::string_view text = entry != nullptr ? bytes_of(*entry, scratch) : std::string_view();
    ctx.reply.array(op_count);
    BitfieldWalk walk(ctx.args);
    BitfieldOp op;
    while (walk.next(&op, nullptr) == 1) reply_get(op, as_bytes(text), text.size(), ctx.reply);
    return;
  }
  if (readonly_command) {
    ctx.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
    return;
  }
  const kv::Entry* entry = ctx.db.find(key, ctx.now_ms);
  if (entry != nullptr && !entry->value.is_string()) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  const auto needed = static_cast<std::size_t>(highest_bit >> 3) + 1;
  ctx.reply.array(op_count);
  BitfieldWalk walk(ctx.args);
  BitfieldOp op;
  bool pending = false;  // `op` is parsed and not yet executed

  // Read phase: while the string is long enough and no operation changes a bit, answer from
  // the bytes as they are, without a write.
  if (entry != nullptr && entry->value.string_length() >= needed) {
    char scratch[kv::Value::kIntScratchBytes];
    const std::string_view text = bytes_of(*entry, scratch);
    while (walk.next(&op, nullptr) == 1) {
      if (op.kind == BitfieldOp::kGet) {
        reply_get(op, as_bytes(text), text.size(), ctx.reply);
        continue;
      }
      const FieldWrite w = plan_write(op, as_bytes(text), text.size());
      if (w.stores && w.new_bits != w.old_bits) {
        pending = true;
        break;
      }
      if (w.stores) {
        ctx.reply.integer(w.reply);
      } else {
        ctx.reply.null();
      }
    }
    if (!pending) {
      if (writes) ctx.db.make_raw(entry);  // Redis unshares the string all the same
      return;
    }
  } else {
    pending = walk.next(&op, nullptr) == 1;
    ASSERT(pending);
    if (entry == nullptr) entry = ctx.db.find_or_insert(key, ctx.now_ms).first;
  }

  // Write phase: grow the string to the farthest bit written, then run the rest in place.
  ctx.db.update(entry, [&](kv::Value& value) {
    kv::SmallString& bytes = value.mutable_string();
    auto* data = reinterpret_cast<unsigned char*>(bytes.resize(std::max(bytes.size(), needed)));
    const std::size_t length = bytes.size();
    do {
      if (op.kind == BitfieldOp::kGet) {
        reply_get(op, data, length, ctx.reply);
        continue;
      }
      const FieldWrite w = plan_write(op, data, length);
      if (!w.stores) {
        ctx.reply.null();
        continue;
      }
      ctx.reply.integer(w.reply);
      set_field(data, op.offset, op.bits, w.new_bits);
    } while (walk.next(&op, nullptr) == 1);
  });
}

void bitfield_command(CommandContext& ctx) {
  bitfield_generic(ctx, false);
}

void bitfield_ro_command(CommandContext& ctx) {
  bitfield_generic(ctx, true);
}

// ---------------------------------------------------------------------------------------------

CommandSpec bitmap_spec(std::string_view name, int arity, std::uint32_t flags, int first_key,
                        int last_key, CommandHandler handler, std::string_view summary,
                        std::string_view since, std::string_view acl_categories,
                        std::string_view syntax) {
  CommandSpec spec = keyed_spec("bitmap", name, arity, flags, first_key, last_key, 1, handler,
                                summary, since, acl_categories);
  spec.syntax = syntax;
  return spec;
}

}  // namespace

void register_bitmap_commands(CommandTable& table) {
  // Arity, flags, key positions, summaries and ACL categories as Redis 7.0's COMMAND INFO and
  // COMMAND DOCS report them.
  constexpr std::uint32_t kWriteOom = kCmdWrite | kCmdDenyOom;
  table.add(bitmap_spec("setbit", 4, kWriteOom, 1, 1, setbit_command,
                        "Sets or clears the bit at offset in the string value stored at key",
                        "2.2.0", "@write @bitmap @slow", "key offset value"));
  table.add(bitmap_spec("getbit", 3, kCmdReadonly | kCmdFast, 1, 1, getbit_command,
                        "Returns the bit value at offset in the string value stored at key",
                        "2.2.0", "@read @bitmap @fast", "key offset"));
  table.add(bitmap_spec("bitcount", -2, kCmdReadonly, 1, 1, bitcount_command,
                        "Count set bits in a string", "2.6.0", "@read @bitmap @slow",
                        "key [start end [BYTE|BIT]]"));
  table.add(bitmap_spec("bitpos", -3, kCmdReadonly, 1, 1, bitpos_command,
                        "Find first bit set or clear in a string", "2.8.7", "@read @bitmap @slow",
                        "key bit [start [end [BYTE|BIT]]]"));
  table.add(bitmap_spec("bitop", -4, kWriteOom, 2, -1, bitop_command,
                        "Perform bitwise operations between strings", "2.6.0",
                        "@write @bitmap @slow", "operation destkey key [key ...]"));
  table.add(bitmap_spec(
      "bitfield", -2, kWriteOom, 1, 1, bitfield_command,
      "Perform arbitrary bitfield integer operations on strings", "3.2.0", "@write @bitmap @slow",
      // COMMAND DOCS's notation here cannot say "any number of these, in any order"; this
      // names each subcommand once.
      "key [GET encoding offset] [OVERFLOW WRAP|SAT|FAIL] [SET encoding offset value] [INCRBY "
      "encoding offset increment]"));
  table.add(bitmap_spec(
      "bitfield_ro", -2, kCmdReadonly | kCmdFast, 1, 1, bitfield_ro_command,
      "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
      "6.0.0", "@read @bitmap @fast", "key [GET encoding offset [GET encoding offset ...]]"));
}

}  // namespace eddy

#include "engine/kv/hyperloglog.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "engine/base/assert.h"

namespace eddy::kv::hll {

namespace {

using Byte = unsigned char;

constexpr std::size_t kMaxValueRun = 4;  // VAL covers 1..4 registers
constexpr std::size_t kMaxZeroRun = 64;  // ZERO covers 1..64
constexpr std::size_t kMaxXZeroRun = 16384;
constexpr std::size_t kEncodingByte = 4;
constexpr std::size_t kCacheByte = 8;
constexpr Byte kStaleBit = 0x80;  // in the cache's most significant byte

const Byte* bytes_of(std::string_view text) {
  return reinterpret_cast<const Byte*>(text.data());
}

// ---- sparse opcodes

enum class OpKind : std::uint8_t { kZero, kXZero, kVal };

struct Op {
  OpKind kind;
  std::uint8_t length;  // bytes the opcode takes (an XZERO cut short by the end still counts 2)
  std::uint8_t value;   // VAL only
  std::uint32_t run;    // registers covered
};

// The opcode at p[at] (at < size). An XZERO whose second byte lies past the end reads it as 0:
// Redis reads the string's terminating NUL there, and the same bytes must mean the same.
Op decode_op(const Byte* p, std::size_t size, std::size_t at) {
  const Byte b = p[at];
  if ((b & 0xC0) == 0x00) return Op{OpKind::kZero, 1, 0, static_cast<std::uint32_t>(b & 0x3F) + 1};
  if ((b & 0xC0) == 0x40) {
    const unsigned low = at + 1 < size ? p[at + 1] : 0u;
    return Op{OpKind::kXZero, 2, 0, ((static_cast<std::uint32_t>(b & 0x3F) << 8) | low) + 1};
  }
  return Op{OpKind::kVal, 1, static_cast<std::uint8_t>(((b >> 2) & 0x1F) + 1),
            static_cast<std::uint32_t>(b & 0x03) + 1};
}

Byte val_op(unsigned value, unsigned run) {
  DEBUG_ASSERT(value >= 1 && value <= kSparseValueMax && run >= 1 && run <= kMaxValueRun);
  return static_cast<Byte>(0x80 | ((value - 1) << 2) | (run - 1));
}

// ZERO or XZERO for `run` zero registers, as Redis chooses (XZERO only above 64). Returns the
// bytes written.
std::size_t zero_ops(Byte* out, std::size_t run) {
  DEBUG_ASSERT(run >= 1 && run <= kMaxXZeroRun);
  if (run > kMaxZeroRun) {
    out[0] = static_cast<Byte>(0x40 | ((run - 1) >> 8));
    out[1] = static_cast<Byte>((run - 1) & 0xFF);
    return 2;
  }
  out[0] = static_cast<Byte>(run - 1);
  return 1;
}

// Calls fn(first, run, value) for each run of a sparse form in order. False when the runs do
// not cover exactly the 16384 registers (it stops at the first run that would go past).
template <typename Fn>
bool for_each_run(std::string_view bytes, Fn&& fn) {
  const Byte* p = bytes_of(bytes);
  const std::size_t size = bytes.size();
  std::size_t at = kHeaderBytes;
  std::size_t index = 0;
  while (at < size) {
    const Op op = decode_op(p, size, at);
    if (index + op.run > kRegisters) return false;
    fn(index, static_cast<std::size_t>(op.run), op.kind == OpKind::kVal ? op.value : 0);
    index += op.run;
    at += op.length;
  }
  return index == kRegisters;
}

// Where register `index` lives in a sparse form, as Redis's hllSparseSet finds it.
struct Located {
  bool found;
  std::size_t at;     // the covering opcode
  std::size_t prev;   // the opcode before it, or kNone
  std::size_t first;  // the first register it covers
  Op op;
};
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

Located locate(const Byte* p, std::size_t size, std::uint32_t index) {
  Located where{false, kHeaderBytes, kNone, 0, Op{}};
  while (where.at < size) {
    where.op = decode_op(p, size, where.at);
    if (index <= where.first + where.op.run - 1) {
      where.found = true;
      return where;
    }
    where.prev = where.at;
    where.at += where.op.length;
    where.first += where.op.run;
  }
  return where;
}

// An XZERO cut short by the end of the string. Readers take its missing byte as 0, as Redis
// reads the NUL after the string. Writers refuse to split one: Redis's split writes its last
// byte past the new end, where the next edit reads it back as that missing byte, so its results
// depend on bytes outside the string, which eddy does not keep.
bool truncated(const Located& where, std::size_t size) {
  return where.op.kind == OpKind::kXZero && where.at + 1 >= size;
}

// ---- dense registers (6 bits each, from the low bits of each byte up)

std::uint8_t get_dense(const Byte* registers, std::size_t index) {
  const std::size_t bit = index * kRegisterBits;
  const std::size_t byte = bit >> 3;
  const unsigned shift = bit & 7;
  unsigned value = registers[byte] >> shift;
  // A register that straddles two bytes; the last register never does (Redis reads the NUL
  // past the end there, which contributes nothing).
  if (shift > 2) value |= static_cast<unsigned>(registers[byte + 1]) << (8 - shift);
  return static_cast<std::uint8_t>(value & 0x3F);
}

void set_dense(Byte* registers, std::size_t index, unsigned value) {
  const std::size_t bit = index * kRegisterBits;
  const std::size_t byte = bit >> 3;
  const unsigned shift = bit & 7;
  registers[byte] = static_cast<Byte>((registers[byte] & ~(0x3Fu << shift)) | (value << shift));
  if (shift > 2) {
    const unsigned high = 8 - shift;
    registers[byte + 1] =
        static_cast<Byte>((registers[byte + 1] & ~(0x3Fu >> high)) | (value >> high));
  }
}

// ---- the estimator (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches",
// arXiv:1702.01284), evaluated in the same order as Redis so results agree to the last bit.

using Histogram = std::array<std::uint32_t, 64>;

double sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= std::pow(1.0 - x, 2) * y;
  } while (previous != z);
  return z / 3.0;
}

std::uint64_t estimate(const Histogram& histogram) {
  constexpr double kAlphaInfinity = 0.721347520444481703680;  // 0.5 / ln 2
  constexpr int kQ = 64 - kPrecision;                         // 50 hash bits for the runs
  const double m = static_cast<double>(kRegisters);
  double z = m * tau((m - histogram[kQ + 1]) / m);
  for (int j = kQ; j >= 1; --j) {
    z += histogram[static_cast<std::size_t>(j)];
    z *= 0.5;
  }
  z += m * sigma(histogram[0] / m);
  const double estimate = kAlphaInfinity * m * m / z;
  // Redis rounds with llroundl, which gives INT64_MIN for infinities and values out of range
  // (hostile registers get there), stores that in a double and returns it as uint64: the
  // resulting bits are those of INT64_MIN.
  if (!(std::fabs(estimate) < 9223372036854775808.0)) {
    return static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::min());
  }
  const long long rounded = std::llround(estimate);
  if (rounded < 0) return static_cast<std::uint64_t>(rounded);
  return static_cast<std::uint64_t>(static_cast<double>(rounded));
}

void dense_histogram(const Byte* r, Histogram& histogram) {
  // Four registers in every three bytes.
  for (std::size_t i = 0; i < kRegisters * kRegisterBits / 8; i += 3) {
    const unsigned b0 = r[i];
    const unsigned b1 = r[i + 1];
    const unsigned b2 = r[i + 2];
    ++histogram[b0 & 0x3F];
    ++histogram[((b0 >> 6) | (b1 << 2)) & 0x3F];
    ++histogram[((b1 >> 4) | (b2 << 4)) & 0x3F];
    ++histogram[b2 >> 2];
  }
}

std::uint64_t read_u64_le(const Byte* in) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | in[i];
  return value;
}

constexpr Byte kEmptySparse[] = {'H', 'Y', 'L', 'L', 1, 0, 0,         0,    0,
                                 0,   0,   0,   0,   0, 0, kStaleBit, 0x7F, 0xFF};
static_assert(sizeof(kEmptySparse) == kHeaderBytes + 2);

// Mutable bytes of a string (valid until its next resize).
Byte* mutable_bytes(SmallString& s) {
  return reinterpret_cast<Byte*>(s.resize(s.size()));
}

SetResult promote_and_set(SmallString& hll, std::uint32_t index, std::uint8_t count) {
  if (!to_dense(hll)) return SetResult::kCorrupt;
  Byte* registers = mutable_bytes(hll) + kHeaderBytes;
  if (get_dense(registers, index) >= count) return SetResult::kUnchanged;
  set_dense(registers, index, count);
  return SetResult::kChanged;
}

// Redis's hllSparseSet, step for step: find the opcode covering the register, rewrite it as up
// to three opcodes, then merge equal neighbouring VALs near the change.
SetResult sparse_set(SmallString& hll, std::uint32_t index, std::uint8_t count,
                     std::size_t sparse_max_bytes) {
  const std::size_t size = hll.size();
  if (size > kSparseBytesMax) return SetResult::kCorrupt;
  if (count > kSparseValueMax) return promote_and_set(hll, index, count);
  const Located where = locate(bytes_of(hll.view()), size, index);
  if (!where.found) return SetResult::kCorrupt;
  const Op op = where.op;
  const std::size_t at = where.at;

  if (op.kind == OpKind::kVal && op.value >= count) return SetResult::kUnchanged;
  if ((op.kind == OpKind::kVal || op.kind == OpKind::kZero) && op.run == 1) {
    // The opcode covers only this register: it becomes a VAL in place.
    mutable_bytes(hll)[at] = val_op(count, 1);
  } else {
    Byte sequence[5];
    std::size_t n = 0;
    const std::size_t last = where.first + op.run - 1;
    if (op.kind == OpKind::kVal) {
      if (index != where.first) sequence[n++] = val_op(op.value, index - where.first);
      sequence[n++] = val_op(count, 1);
      if (index != last) sequence[n++] = val_op(op.value, last - index);
    } else {
      if (index != where.first) n += zero_ops(sequence + n, index - where.first);
      sequence[n++] = val_op(count, 1);
      if (index != last) n += zero_ops(sequence + n, last - index);
    }
    const auto delta = static_cast<std::ptrdiff_t>(n) - op.length;
    if (delta > 0 && size + static_cast<std::size_t>(delta) > sparse_max_bytes) {
      return promote_and_set(hll, index, count);
    }
    if (truncated(where, size)) return SetResult::kCorrupt;
    // Splice the sequence over the opcode, moving the opcodes after it.
    const std::size_t next = at + op.length;
    ASSERT_LE(next, size);
    const std::size_t new_size = size + static_cast<std::size_t>(delta);
    Byte* p = reinterpret_cast<Byte*>(hll.resize(std::max(size, new_size)));
    std::memmove(p + next + delta, p + next, size - next);
    std::memcpy(p + at, sequence, n);
    hll.resize(new_size);
  }

  // Merge runs of equal VALs around the change (at most five opcodes from the one before it).
  Byte* p = mutable_bytes(hll);
  std::size_t end = hll.size();
  std::size_t q = where.prev != kNone ? where.prev : kHeaderBytes;
  int scan = 5;
  while (q < end && scan-- > 0) {
    const Op here = decode_op(p, end, q);
    if (here.kind != OpKind::kVal) {
      q += here.length;
      continue;
    }
    if (q + 1 < end && (p[q + 1] & 0x80) != 0) {
      const Op right = decode_op(p, end, q + 1);
      if (here.value == right.value && here.run + right.run <= kMaxValueRun) {
        p[q + 1] = val_op(here.value, here.run + right.run);
        std::memmove(p + q, p + q + 1, end - q - 1);
        --end;
        hll.resize(end);
        p = mutable_bytes(hll);
        continue;  // the merged opcode may merge again with the next
      }
    }
    ++q;
  }
  invalidate_cache(reinterpret_cast<char*>(p));
  return SetResult::kChanged;
}

}  // namespace

std::uint64_t murmur_hash64a(std::string_view bytes, std::uint64_t seed) {
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const Byte* data = bytes_of(bytes);
  const std::size_t len = bytes.size();
  // Redis passes the length as an int: the same product modulo 2^64.
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(len) * m);
  const std::size_t whole = len & ~std::size_t{7};
  for (std::size_t i = 0; i < whole; i += 8) {
    std::uint64_t k;
    std::memcpy(&k, data + i, sizeof(k));  // little-endian, as Redis's endian-neutral form
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const Byte* tail = data + whole;
  switch (len & 7) {
    case 7:
      h ^= static_cast<std::uint64_t>(tail[6]) << 48;
      [[fallthrough]];
    case 6:
      h ^= static_cast<std::uint64_t>(tail[5]) << 40;
      [[fallthrough]];
    case 5:
      h ^= static_cast<std::uint64_t>(tail[4]) << 32;
      [[fallthrough]];
    case 4:
      h ^= static_cast<std::uint64_t>(tail[3]) << 24;
      [[fallthrough]];
    case 3:
      h ^= static_cast<std::uint64_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint64_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<std::uint64_t>(tail[0]);
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern pattern_of(std::string_view element) {
  const std::uint64_t hash = murmur_hash64a(element, kHashSeed);
  const auto index = static_cast<std::uint32_t>(hash & (kRegisters - 1));
  // A sentinel bit above the 50 used bounds the run: the count is at most 51.
  const std::uint64_t rest = (hash >> kPrecision) | (std::uint64_t{1} << (64 - kPrecision));
  return Pattern{index, static_cast<std::uint8_t>(std::countr_zero(rest) + 1)};
}

std::string_view empty_sparse() {
  return {reinterpret_cast<const char*>(kEmptySparse), sizeof(kEmptySparse)};
}

bool looks_valid(std::string_view bytes) {
  if (bytes.size() < kHeaderBytes || bytes.substr(0, 4) != "HYLL") return false;
  const auto encoding = static_cast<Byte>(bytes[kEncodingByte]);
  if (encoding > static_cast<Byte>(Encoding::kSparse)) return false;
  return encoding != static_cast<Byte>(Encoding::kDense) || bytes.size() == kDenseBytes;
}

Encoding encoding_of(std::string_view bytes) {
  ASSERT(looks_valid(bytes));
  return static_cast<Encoding>(bytes[kEncodingByte]);
}

std::optional<std::uint64_t> cached_cardinality(std::string_view bytes) {
  ASSERT_GE(bytes.size(), kHeaderBytes);
  const Byte* cache = bytes_of(bytes) + kCacheByte;
  if ((cache[7] & kStaleBit) != 0) return std::nullopt;
  return read_u64_le(cache);
}

void store_cache(char* bytes, std::uint64_t cardinality) {
  // Little endian, all 8 bytes, as Redis writes it: an estimate of 2^63 or more (only hostile
  // registers give one) lands on the stale bit and reads as stale, in Redis too.
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[kCacheByte + i] = static_cast<char>((cardinality >> (8 * i)) & 0xFF);
  }
}

void invalidate_cache(char* bytes) {
  bytes[kCacheByte + 7] = static_cast<char>(static_cast<Byte>(bytes[kCacheByte + 7]) | kStaleBit);
}

std::optional<std::uint64_t> count(std::string_view bytes) {
  Histogram histogram{};
  if (encoding_of(bytes) == Encoding::kDense) {
    dense_histogram(bytes_of(bytes) + kHeaderBytes, histogram);
  } else {
    const bool valid = for_each_run(bytes, [&](std::size_t, std::size_t run, std::uint8_t value) {
      histogram[value] += static_cast<std::uint32_t>(run);
    });
    if (!valid) return std::nullopt;
  }
  return estimate(histogram);
}

std::uint64_t count(const Registers& registers) {
  Histogram histogram{};
  for (const std::uint8_t value : registers) ++histogram[value & 0x3F];
  return estimate(histogram);
}

bool merge_into(std::string_view bytes, Registers& max) {
  if (encoding_of(bytes) == Encoding::kDense) {
    const Byte* registers = bytes_of(bytes) + kHeaderBytes;
    for (std::size_t i = 0; i < kRegisters; ++i) max[i] = std::max(max[i], get_dense(registers, i));
    return true;
  }
  return for_each_run(bytes, [&](std::size_t first, std::size_t run, std::uint8_t value) {
    if (value == 0) return;
    for (std::size_t i = first; i < first + run; ++i) max[i] = std::max(max[i], value);
  });
}

SetResult probe_register(std::string_view bytes, std::uint32_t index, std::uint8_t count) {
  ASSERT_LT(index, kRegisters);
  if (encoding_of(bytes) == Encoding::kDense) {
    return get_dense(bytes_of(bytes) + kHeaderBytes, index) < count ? SetResult::kChanged
                                                                    : SetResult::kUnchanged;
  }
  if (bytes.size() > kSparseBytesMax) return SetResult::kCorrupt;
  if (count > kSparseValueMax) return SetResult::kChanged;
  const Located where = locate(bytes_of(bytes), bytes.size(), index);
  if (!where.found) return SetResult::kCorrupt;
  if (where.op.kind == OpKind::kVal && where.op.value >= count) return SetResult::kUnchanged;
  return SetResult::kChanged;
}

SetResult set_register(SmallString& hll, std::uint32_t index, std::uint8_t count,
                       std::size_t sparse_max_bytes) {
  ASSERT_LT(index, kRegisters);
  ASSERT(count >= 1 && count <= 63);
  if (encoding_of(hll.view()) == Encoding::kSparse) {
    return sparse_set(hll, index, count, sparse_max_bytes);
  }
  Byte* registers = mutable_bytes(hll) + kHeaderBytes;
  if (get_dense(registers, index) >= count) return SetResult::kUnchanged;
  set_dense(registers, index, count);
  return SetResult::kChanged;
}

bool to_dense(SmallString& hll) {
  const std::string_view sparse = hll.view();
  if (encoding_of(sparse) == Encoding::kDense) return true;
  SmallString dense;
  Byte* out = reinterpret_cast<Byte*>(dense.resize(kDenseBytes));  // zero-filled
  std::memcpy(out, sparse.data(), kHeaderBytes);  // magic, unused bytes and cache kept
  out[kEncodingByte] = static_cast<Byte>(Encoding::kDense);
  Byte* registers = out + kHeaderBytes;
  const bool valid =
      for_each_run(sparse, [&](std::size_t first, std::size_t run, std::uint8_t value) {
        if (value == 0) return;
        for (std::size_t i = first; i < first + run; ++i) set_dense(registers, i, value);
      });
  if (!valid) return false;
  // The owner's tag lives in the string's user byte: it stays.
  const std::uint8_t user_byte = hll.user_byte();
  hll = std::move(dense);
  hll.set_user_byte(user_byte);
  return true;
}

std::uint8_t dense_register(std::string_view bytes, std::size_t index) {
  ASSERT(encoding_of(bytes) == Encoding::kDense);
  ASSERT_LT(index, kRegisters);
  return get_dense(bytes_of(bytes) + kHeaderBytes, index);
}

void decode_sparse(std::string_view bytes, std::string& out) {
  const Byte* p = bytes_of(bytes);
  const std::size_t size = bytes.size();
  char item[32];
  for (std::size_t at = kHeaderBytes; at < size;) {
    const Op op = decode_op(p, size, at);
    int n;
    if (op.kind == OpKind::kZero) {
      n = std::snprintf(item, sizeof(item), "z:%u ", op.run);
    } else if (op.kind == OpKind::kXZero) {
      n = std::snprintf(item, sizeof(item), "Z:%u ", op.run);
    } else {
      n = std::snprintf(item, sizeof(item), "v:%u,%u ", unsigned{op.value}, op.run);
    }
    out.append(item, static_cast<std::size_t>(n));
    at += op.length;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
}

}  // namespace eddy::kv::hll

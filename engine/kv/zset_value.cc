#include "engine/kv/zset_value.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/base/assert.h"
#include "engine/base/fault.h"
#include "engine/rng.h"

namespace eddy::kv {

namespace {

// Scores in the listpack: an integral score of magnitude below 2^55 (ranks, counters,
// timestamps: most of them) as its shortest little-endian two's-complement form, 0 to 7 bytes
// (0 bytes is 0); any other score as its 8 raw bytes. The score's length tells the two apart,
// so a 10-member set of small integer scores costs 1-2 bytes per score instead of 9.
constexpr std::size_t kScoreBytes = sizeof(double);  // the most a score takes

struct EncodedScore {
  char bytes[kScoreBytes];
  std::size_t size;
  std::string_view view() const { return {bytes, size}; }
};

EncodedScore encode_score(double score) {
  EncodedScore out{};
  constexpr double kIntegralMax = 36028797018963968.0;  // 2^55
  if (score == std::floor(score) && std::fabs(score) < kIntegralMax && !std::signbit(score)) {
    auto value = static_cast<std::int64_t>(score);
    while (value != 0) {  // non-negative here: the top bit of the last byte must stay clear
      out.bytes[out.size++] = static_cast<char>(value & 0xFF);
      value >>= 8;
    }
    if (out.size > 0 && (static_cast<unsigned char>(out.bytes[out.size - 1]) & 0x80) != 0) {
      out.bytes[out.size++] = 0;
    }
    return out;
  }
  if (score == std::floor(score) && std::fabs(score) < kIntegralMax && score < 0) {
    auto value = static_cast<std::int64_t>(score);
    do {  // negative: stop once the rest is all ones and the sign bit is set
      out.bytes[out.size++] = static_cast<char>(value & 0xFF);
      value >>= 8;
    } while (!(value == -1 && (static_cast<unsigned char>(out.bytes[out.size - 1]) & 0x80) != 0));
    return out;
  }
  std::memcpy(out.bytes, &score, kScoreBytes);
  out.size = kScoreBytes;
  return out;
}

double score_from_bytes(std::string_view bytes) {
  ASSERT_LE(bytes.size(), kScoreBytes);
  if (bytes.size() == kScoreBytes) {
    double score;
    std::memcpy(&score, bytes.data(), kScoreBytes);
    return score;
  }
  std::uint64_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  if (!bytes.empty() && (static_cast<unsigned char>(bytes.back()) & 0x80) != 0) {
    value |= ~std::uint64_t{0} << (8 * bytes.size());  // sign-extend
  }
  return static_cast<double>(static_cast<std::int64_t>(value));
}

// In the listpack each member and its score are one entry: the member's bytes, the score's
// encoded bytes (0-8, above) and one byte with the score's length. One entry per pair, not two,
// saves an entry's two length bytes per member: a 10-member set of short members fits the
// allocator's 112-byte class instead of 128.
constexpr std::size_t kPairTailMax = kScoreBytes + 1;

struct PairTail {
  char bytes[kPairTailMax];
  std::size_t size;
  std::string_view view() const { return {bytes, size}; }
};

PairTail pair_tail(double score) {
  const EncodedScore encoded = encode_score(score);
  PairTail tail{};
  std::memcpy(tail.bytes, encoded.bytes, encoded.size);
  tail.bytes[encoded.size] = static_cast<char>(encoded.size);
  tail.size = encoded.size + 1;
  return tail;
}

std::size_t pair_score_bytes(std::string_view entry) {
  ASSERT(!entry.empty());
  const std::size_t score_bytes = static_cast<unsigned char>(entry.back());
  ASSERT_LE(score_bytes, kScoreBytes);
  ASSERT_LE(score_bytes + 1, entry.size());
  return score_bytes;
}

std::string_view pair_member(std::string_view entry) {
  return entry.substr(0, entry.size() - 1 - pair_score_bytes(entry));
}

double pair_score(std::string_view entry) {
  const std::size_t score_bytes = pair_score_bytes(entry);
  return score_from_bytes(entry.substr(entry.size() - 1 - score_bytes, score_bytes));
}

// The largest listpack a sorted set keeps (Redis's listpack safety limit is of the same order):
// beyond it the set converts whatever the configured thresholds say.
constexpr std::size_t kListpackBytesMax = Listpack::kMaxBytes / 2;

bool key_less(double a_score, std::string_view a_member, double b_score,
              std::string_view b_member) {
  if (a_score != b_score) return a_score < b_score;
  return a_member < b_member;
}

std::size_t limit_of(const std::atomic<std::int64_t>& limit) {
  const std::int64_t value = EncodingLimits::load(limit);
  return value < 0 ? 0 : static_cast<std::size_t>(value);
}

}  // namespace

std::string_view format_score(double score, char* buffer) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  if (std::isnan(score)) return "nan";
  // to_chars with a precision is specified as printf's %.17g in the C locale.
  const std::to_chars_result result =
      std::to_chars(buffer, buffer + kScoreTextBytes, score, std::chars_format::general, 17);
  ASSERT(result.ec == std::errc());
  return {buffer, static_cast<std::size_t>(result.ptr - buffer)};
}

std::string_view format_score_listpack(double score, char* buffer) {
  if (std::isfinite(score) && score != 0) {
    // Redis's double2ll: integral values within +-LLONG_MAX/2 print as integers.
    constexpr double kIntegralMax = static_cast<double>(std::numeric_limits<long long>::max() / 2);
    if (score >= -kIntegralMax && score <= kIntegralMax) {
      const auto integral = static_cast<long long>(score);
      if (static_cast<double>(integral) == score) {
        const std::to_chars_result result =
            std::to_chars(buffer, buffer + kScoreTextBytes, integral);
        ASSERT(result.ec == std::errc());
        return {buffer, static_cast<std::size_t>(result.ptr - buffer)};
      }
    }
  }
  if (score == 0) return std::signbit(score) ? "-0" : "0";
  return format_score(score, buffer);
}

bool LexRange::empty() const {
  using Kind = LexBound::Kind;
  // Redis's sdscmplex of the two bounds, then: min after max, or equal with an open end.
  int c;
  if (min.kind == max.kind && min.kind != Kind::kBytes) {
    c = 0;
  } else if (min.kind == Kind::kMinusInfinity || max.kind == Kind::kPlusInfinity) {
    c = -1;
  } else if (min.kind == Kind::kPlusInfinity || max.kind == Kind::kMinusInfinity) {
    c = 1;
  } else {
    c = min.bytes.compare(max.bytes);
  }
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

ZSetValue::~ZSetValue() = default;

std::unique_ptr<ZSetValue> ZSetValue::for_contents(std::size_t members, std::size_t longest_member,
                                                   std::size_t member_bytes,
                                                   const EncodingLimits& limits, Rng& rng) {
  auto zset = std::make_unique<ZSetValue>();
  // Each pair costs its member's bytes plus an entry's two headers (at most 10 bytes each) and
  // the score's tail.
  constexpr std::size_t kPairOverheadMax = 20 + kPairTailMax;
  const bool fits = members <= limit_of(limits.zset_max_listpack_entries) &&
                    longest_member <= limit_of(limits.zset_max_listpack_value) &&
                    member_bytes <= kListpackBytesMax &&
                    members <= (kListpackBytesMax - member_bytes) / kPairOverheadMax;
  if (!fits) zset->large_ = std::make_unique<ZSkiplist>(rng.next());
  return zset;
}

// ---------------------------------------------------------------------------------------------
// Collection.

std::size_t ZSetValue::size() const {
  return large_ != nullptr ? large_->size() : listpack_.size();
}

std::size_t ZSetValue::memory_bytes() const {
  std::size_t bytes = sizeof(ZSetValue) + listpack_.heap_bytes();
  if (large_ != nullptr) bytes += sizeof(ZSkiplist) + large_->heap_bytes();
  return bytes;
}

std::unique_ptr<Collection> ZSetValue::clone() const {
  auto copy = std::make_unique<ZSetValue>();
  // Same encoding, as Redis's zsetDup (COPY keeps OBJECT ENCODING).
  if (large_ != nullptr) {
    copy->large_ = large_->clone();
  } else {
    copy->listpack_ = listpack_.clone();
  }
  return copy;
}

std::uint64_t ZSetValue::digest() const {
  // The order is (score, member), a function of the contents, so an ordered fold is as
  // encoding-independent as the contents. -0 and 0 are one score (the listpack keeps 0).
  std::uint64_t digest = 0x5A5E7ULL;
  if (size() == 0) return digest;
  for (Cursor c = at(0); c.valid(); c.next()) {
    double score = c.score();
    if (score == 0) score = 0.0;
    std::uint64_t bits;
    std::memcpy(&bits, &score, sizeof(bits));
    digest = digest_bytes(c.member(), digest);
    digest = (digest ^ bits) * 0x9E3779B97F4A7C15ULL;
    digest ^= digest >> 29;
  }
  return digest;
}

void ZSetValue::rebuild(std::string_view key,
                        FunctionRef<void(std::span<const std::string_view>)> emit) const {
  std::string_view args[2 + 2 * kRebuildPairs];
  char scores[kRebuildPairs][kScoreTextBytes];
  args[0] = "ZADD";
  args[1] = key;
  std::size_t pairs = 0;
  auto flush = [&] {
    if (pairs == 0) return;
    emit(std::span<const std::string_view>(args, 2 + 2 * pairs));
    pairs = 0;
  };
  if (size() == 0) return;
  for (Cursor c = at(0); c.valid(); c.next()) {
    // %.17g round-trips every double, and "inf"/"-inf" parse back as ZADD scores.
    args[2 + 2 * pairs] = format_score(c.score(), scores[pairs]);
    args[3 + 2 * pairs] = c.member();
    if (++pairs == kRebuildPairs) flush();
  }
  flush();
}

// ---------------------------------------------------------------------------------------------
// Cursors.

std::string_view ZSetValue::Cursor::member() const {
  ASSERT(valid_);
  if (node_ != nullptr) return node_->member();
  return pair_member(set_->listpack_.get(pos_));
}

double ZSetValue::Cursor::score() const {
  ASSERT(valid_);
  if (node_ != nullptr) return node_->score();
  return set_->listpack_score(pos_);
}

void ZSetValue::Cursor::next() {
  ASSERT(valid_);
  if (node_ != nullptr) {
    node_ = ZSkiplist::next(node_);
    valid_ = node_ != nullptr;
    return;
  }
  const Listpack& lp = set_->listpack_;
  pos_ = lp.next(pos_);
  valid_ = pos_ < lp.end();
}

void ZSetValue::Cursor::prev() {
  ASSERT(valid_);
  if (node_ != nullptr) {
    node_ = ZSkiplist::prev(node_);
    valid_ = node_ != nullptr;
    return;
  }
  const Listpack& lp = set_->listpack_;
  if (pos_ == lp.begin()) {
    valid_ = false;
    return;
  }
  pos_ = lp.prev(pos_);
}

ZSetValue::Cursor ZSetValue::listpack_cursor(Listpack::Pos pos) const {
  Cursor c;
  c.set_ = this;
  c.pos_ = pos;
  c.valid_ = pos < listpack_.end();
  return c;
}

ZSetValue::Cursor ZSetValue::skiplist_cursor(const ZSkiplist::Node* node) const {
  Cursor c;
  c.set_ = this;
  c.node_ = node;
  c.valid_ = node != nullptr;
  return c;
}

ZSetValue::Cursor ZSetValue::at(std::size_t rank) const {
  ASSERT_LT(rank, size());
  if (large_ != nullptr) return skiplist_cursor(large_->at(rank));
  return listpack_cursor(listpack_.seek(rank));
}

// ---------------------------------------------------------------------------------------------
// Lookups and ranges.

double ZSetValue::listpack_score(Listpack::Pos pos) const {
  return pair_score(listpack_.get(pos));
}

std::string_view ZSetValue::listpack_member(Listpack::Pos pos) const {
  return pair_member(listpack_.get(pos));
}

ZSetValue::Location ZSetValue::locate(std::string_view member) const {
  Location location;
  if (large_ != nullptr) {
    location.node = large_->find(member);
    if (location.node != nullptr) {
      location.found = true;
      location.score = location.node->score();
    }
    return location;
  }
  for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
    if (listpack_member(pos) == member) {
      location.found = true;
      location.pos = pos;
      location.score = listpack_score(pos);
      break;
    }
  }
  return location;
}

bool ZSetValue::score(std::string_view member, double* out) const {
  const Location location = locate(member);
  if (!location.found) return false;
  *out = location.score;
  return true;
}

bool ZSetValue::rank(std::string_view member, std::size_t* out) const {
  if (large_ != nullptr) {
    const ZSkiplist::Node* node = large_->find(member);
    if (node == nullptr) return false;
    *out = large_->rank(node);
    return true;
  }
  std::size_t rank = 0;
  for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
    if (listpack_member(pos) == member) {
      *out = rank;
      return true;
    }
    ++rank;
  }
  return false;
}

ZSetValue::Found ZSetValue::first_in(const ScoreRange& range) const {
  Found found;
  if (range.empty() || size() == 0) return found;
  if (large_ != nullptr) {
    const ZSkiplist::Node* node = large_->first_where(
        [&](const ZSkiplist::Node& n) { return range.above_min(n.score()); }, &found.rank);
    if (node != nullptr && range.below_max(node->score())) found.cursor = skiplist_cursor(node);
    return found;
  }
  std::size_t rank = 0;
  for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end();
       pos = listpack_.next(pos), ++rank) {
    const double score = listpack_score(pos);
    if (!range.above_min(score)) continue;
    if (range.below_max(score)) {
      found.cursor = listpack_cursor(pos);
      found.rank = rank;
    }
    break;
  }
  return found;
}

ZSetValue::Found ZSetValue::last_in(const ScoreRange& range) const {
  Found found;
  if (range.empty() || size() == 0) return found;
  if (large_ != nullptr) {
    const ZSkiplist::Node* node = large_->last_where(
        [&](const ZSkiplist::Node& n) { return range.below_max(n.score()); }, &found.rank);
    if (node != nullptr && range.above_min(node->score())) found.cursor = skiplist_cursor(node);
    return found;
  }
  std::size_t rank = size() - 1;
  Listpack::Pos pos = listpack_.last();
  for (;;) {
    const double score = listpack_score(pos);
    if (range.below_max(score)) {
      if (range.above_min(score)) {
        found.cursor = listpack_cursor(pos);
        found.rank = rank;
      }
      break;
    }
    if (pos == listpack_.begin()) break;
    pos = listpack_.prev(pos);
    --rank;
  }
  return found;
}

ZSetValue::Found ZSetValue::first_in(const LexRange& range) const {
  Found found;
  const std::size_t n = size();
  if (range.empty() || n == 0) return found;
  // The first rank whose member is above the minimum.
  std::size_t lo = 0;
  std::size_t hi = n;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (range.above_min(member_at(mid))) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo == n) return found;
  const Cursor c = at(lo);
  if (range.below_max(c.member())) {
    found.cursor = c;
    found.rank = lo;
  }
  return found;
}

ZSetValue::Found ZSetValue::last_in(const LexRange& range) const {
  Found found;
  const std::size_t n = size();
  if (range.empty() || n == 0) return found;
  // The first rank whose member is beyond the maximum; the one before it is the candidate.
  std::size_t lo = 0;
  std::size_t hi = n;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (range.below_max(member_at(mid))) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return found;
  const Cursor c = at(lo - 1);
  if (range.above_min(c.member())) {
    found.cursor = c;
    found.rank = lo - 1;
  }
  return found;
}

std::size_t ZSetValue::count_in(const ScoreRange& range) const {
  const Found first = first_in(range);
  if (!first.cursor.valid()) return 0;
  const Found last = last_in(range);
  ASSERT(last.cursor.valid() && last.rank >= first.rank);
  return last.rank - first.rank + 1;
}

std::size_t ZSetValue::count_in(const LexRange& range) const {
  const Found first = first_in(range);
  if (!first.cursor.valid()) return 0;
  const Found last = last_in(range);
  // Only a set of mixed scores (an unspecified answer in Redis) can put them out of order.
  if (!last.cursor.valid() || last.rank < first.rank) return 0;
  return last.rank - first.rank + 1;
}

std::uint64_t ZSetValue::scan(std::uint64_t cursor, std::size_t count,
                              FunctionRef<void(std::string_view, double)> visit) const {
  if (large_ != nullptr) {
    return large_->scan(cursor, count,
                        [&](const ZSkiplist::Node& node) { visit(node.member(), node.score()); });
  }
  for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
    visit(listpack_member(pos), listpack_score(pos));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Changes.

ZSetValue::AddResult ZSetValue::decide(const Location& location, double* score, unsigned flags) {
  if (!location.found) return (flags & kAddXx) != 0 ? AddResult::kSkipped : AddResult::kAdded;
  if ((flags & kAddNx) != 0) return AddResult::kSkipped;
  const double current = location.score;
  if ((flags & kAddIncr) != 0) {
    *score += current;
    if (std::isnan(*score)) return AddResult::kNan;
  }
  if (((flags & kAddLt) != 0 && *score >= current) ||
      ((flags & kAddGt) != 0 &&
       (PLANTED(PlantedBug::kZaddGtInverted) ? *score >= current : *score <= current))) {
    return AddResult::kSkipped;
  }
  return *score != current ? AddResult::kUpdated : AddResult::kUnchanged;
}

ZSetValue::AddResult ZSetValue::plan_add(double score, std::string_view member, unsigned flags,
                                         double* result_score) const {
  ASSERT(!std::isnan(score));
  const AddResult result = decide(locate(member), &score, flags);
  *result_score = score;
  return result;
}

bool ZSetValue::fits_listpack_with(std::string_view member, const EncodingLimits& limits) const {
  return size() + 1 <= limit_of(limits.zset_max_listpack_entries) &&
         size() + 1 <= Listpack::kEntriesMax &&
         member.size() <= limit_of(limits.zset_max_listpack_value) &&
         listpack_.used_bytes() + Listpack::entry_bytes(member.size() + kPairTailMax) <=
             kListpackBytesMax;
}

ZSetValue::AddResult ZSetValue::add(double score, std::string_view member, unsigned flags,
                                    const EncodingLimits& limits, Rng& rng, double* result_score) {
  ASSERT(!std::isnan(score));
  const Location location = locate(member);
  const AddResult result = decide(location, &score, flags);
  switch (result) {
    case AddResult::kAdded:
      if (large_ == nullptr) {
        if (fits_listpack_with(member, limits)) {
          listpack_insert(score, member);
          break;
        }
        convert_to_skiplist(rng);
      }
      large_->insert(score, member, rng);
      break;
    case AddResult::kUpdated:
      if (large_ != nullptr) {
        large_->set_score(location.node, score);
      } else {
        listpack_.erase(location.pos);
        listpack_insert(score, member);
      }
      break;
    case AddResult::kUnchanged:
      break;
    case AddResult::kSkipped:
    case AddResult::kNan:
      return result;
  }
  *result_score = score;
  return result;
}

void ZSetValue::listpack_insert(double score, std::string_view member) {
  // Redis's listpack holds integral scores as integers, so -0 comes back as 0.
  if (score == 0) score = 0.0;
  const PairTail tail = pair_tail(score);
  // Sets are often built in order (ZUNIONSTORE, ZRANGESTORE, rebuilds): append when last.
  Listpack::Pos pos = listpack_.end();
  if (!listpack_.empty()) {
    const Listpack::Pos last = listpack_.last();
    if (!key_less(listpack_score(last), listpack_member(last), score, member)) {
      for (pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
        if (key_less(score, member, listpack_score(pos), listpack_member(pos))) break;
      }
    }
  }
  listpack_.insert(pos, member, tail.view());
}

void ZSetValue::convert_to_skiplist(Rng& rng) {
  ASSERT(large_ == nullptr);
  auto large = std::make_unique<ZSkiplist>(rng.next());
  for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
    large->insert(listpack_score(pos), listpack_member(pos), rng);
  }
  listpack_.clear();
  large_ = std::move(large);
}

bool ZSetValue::remove(std::string_view member) {
  const Location location = locate(member);
  if (!location.found) return false;
  if (large_ != nullptr) {
    large_->erase(location.node);
  } else {
    listpack_.erase(location.pos);
  }
  return true;
}

void ZSetValue::remove_ranks(std::size_t first, std::size_t count) {
  ASSERT_LE(first + count, size());
  if (count == 0) return;
  if (large_ != nullptr) {
    large_->erase_ranks(first, count);
  } else {
    listpack_.erase(listpack_.seek(first), count);
  }
}

void ZSetValue::check_invariants() const {
  if (large_ != nullptr) {
    ASSERT(listpack_.empty());
    large_->check_invariants();
  } else {
    for (Listpack::Pos pos = listpack_.begin(); pos < listpack_.end(); pos = listpack_.next(pos)) {
      (void)pair_score_bytes(listpack_.get(pos));  // asserts the tail is well formed
    }
  }
  if (size() == 0) return;
  std::size_t count = 1;
  Cursor previous = at(0);
  for (Cursor c = previous; (c.next(), c.valid()); previous = c) {
    ASSERT(key_less(previous.score(), previous.member(), c.score(), c.member()));
    ++count;
  }
  ASSERT_EQ(count, size());
}

}  // namespace eddy::kv

#include "engine/kv/set_value.h"

#include <array>

namespace eddy::kv {

namespace {

// Members per SADD when a set is described as commands (rebuild): bounded, so one effect stays
// small however large the set.
constexpr std::size_t kRebuildBatchMembers = 128;

}  // namespace

std::unique_ptr<SetValue> SetValue::for_first_member(std::string_view member) {
  std::unique_ptr<SetValue> set(new SetValue());
  std::int64_t number;
  if (!Value::parse_canonical_int(member, &number)) set->hashtable_ = true;
  return set;
}

std::unique_ptr<SetValue> SetValue::empty_intset() {
  return std::unique_ptr<SetValue>(new SetValue());
}

std::size_t SetValue::intset_entries_max(const EncodingLimits& limits) {
  const std::int64_t configured = EncodingLimits::load(limits.set_max_intset_entries);
  if (configured <= 0) return 0;
  if (static_cast<std::uint64_t>(configured) >= Intset::kMaxSize) return Intset::kMaxSize;
  return static_cast<std::size_t>(configured);
}

bool SetValue::add(std::string_view member, std::size_t intset_entries_max) {
  if (hashtable_) return table_.insert(member);
  std::int64_t number;
  if (!Value::parse_canonical_int(member, &number)) {
    convert_to_hashtable();
    const bool added = table_.insert(member);
    ASSERT(added);  // the set held integers only, so a non-integer is new
    return true;
  }
  if (ints_.contains(number)) return false;
  // Redis adds, then converts once the intset holds more than the limit; converting first
  // when a new member would exceed it ends the same and never grows the intset past the limit.
  if (ints_.size() >= intset_entries_max) {
    convert_to_hashtable();
    const bool added = table_.insert(member);
    ASSERT(added);
    return true;
  }
  const bool added = ints_.insert(number);
  ASSERT(added);
  return true;
}

bool SetValue::remove(std::string_view member) {
  if (hashtable_) return table_.erase(member);
  std::int64_t number;
  return Value::parse_canonical_int(member, &number) && ints_.erase(number);
}

bool SetValue::contains(std::string_view member) const {
  if (hashtable_) return table_.contains(member);
  std::int64_t number;
  return Value::parse_canonical_int(member, &number) && ints_.contains(number);
}

void SetValue::convert_to_hashtable() {
  ASSERT(!hashtable_);
  StringHashSet table;
  table.reserve(ints_.size() + 1);
  MemberScratch scratch;
  for (std::size_t i = 0; i < ints_.size(); ++i) {
    table.insert(Value::format_int(ints_.at(i), scratch));
  }
  table_ = std::move(table);
  ints_.clear();
  hashtable_ = true;
}

std::string_view SetValue::random_member(Rng& rng, MemberScratch& scratch) const {
  ASSERT(!empty());
  if (hashtable_) return table_.random_member(rng);
  return Value::format_int(ints_.at(static_cast<std::size_t>(rng.below(ints_.size()))), scratch);
}

std::uint64_t SetValue::scan(std::uint64_t cursor, std::size_t count,
                             FunctionRef<void(std::string_view)> visit) const {
  if (hashtable_) return table_.scan(cursor, count, visit);
  for_each([&](std::string_view member) { visit(member); });
  return 0;
}

std::unique_ptr<Collection> SetValue::clone() const {
  std::unique_ptr<SetValue> copy(new SetValue());
  copy->hashtable_ = hashtable_;
  copy->ints_ = ints_.clone();
  copy->table_ = table_.clone();
  return copy;
}

std::uint64_t SetValue::digest() const {
  // A sum of the members' digests: independent of order and of encoding (an intset member
  // digests as its decimal text, the same bytes a hash table would hold).
  std::uint64_t sum = 0;
  for_each([&](std::string_view member) { sum += digest_bytes(member); });
  return sum ^ (static_cast<std::uint64_t>(size()) * 0xC2B2AE3D27D4EB4FULL);
}

void SetValue::rebuild(std::string_view key,
                       FunctionRef<void(std::span<const std::string_view>)> emit) const {
  std::array<std::string_view, kRebuildBatchMembers + 2> args;
  // Intset members are formatted into `texts`, one scratch per member of the batch.
  std::array<MemberScratch, kRebuildBatchMembers> texts;
  args[0] = "SADD";
  args[1] = key;
  std::size_t count = 0;
  auto flush = [&] {
    emit(std::span<const std::string_view>(args.data(), count + 2));
    count = 0;
  };
  if (hashtable_) {
    table_.for_each([&](std::string_view member) {
      args[2 + count++] = member;
      if (count == kRebuildBatchMembers) flush();
    });
  } else {
    for (std::size_t i = 0; i < ints_.size(); ++i) {
      args[2 + count] = Value::format_int(ints_.at(i), texts[count]);
      if (++count == kRebuildBatchMembers) flush();
    }
  }
  if (count != 0) flush();
}

void SetValue::check_invariants() const {
  if (hashtable_) {
    ASSERT(ints_.empty());
    table_.check_invariants();
    return;
  }
  ASSERT(table_.empty());
  ints_.check_invariants();
}

}  // namespace eddy::kv

#include "engine/kv/hash_value.h"

#include <unordered_set>
#include <vector>

namespace eddy::kv {

HashValue::Limits HashValue::Limits::of(const EncodingLimits& limits) {
  // CONFIG keeps both non-negative.
  const std::int64_t entries = EncodingLimits::load(limits.hash_max_listpack_entries);
  const std::int64_t value = EncodingLimits::load(limits.hash_max_listpack_value);
  return Limits{static_cast<std::size_t>(entries < 0 ? 0 : entries),
                static_cast<std::size_t>(value < 0 ? 0 : value)};
}

std::unique_ptr<Collection> HashValue::clone() const {
  auto copy = std::make_unique<HashValue>();
  if (table_ == nullptr) {
    copy->pairs_ = pairs_.clone();
  } else {
    // The copy keeps the encoding, as Redis's COPY does.
    copy->table_ = std::make_unique<FieldTable>();
    copy->table_->reserve(table_->size());
    table_->for_each(
        [&](std::string_view field, std::string_view value) { copy->table_->set(field, value); });
  }
  return copy;
}

std::uint64_t HashValue::digest() const {
  std::uint64_t sum = 0;
  for_each([&](std::string_view field, std::string_view value) {
    // Seeding the value's digest with the field's ties the two together ({a: b} != {b: a}).
    const std::uint64_t pair = digest_bytes(value, digest_bytes(field, 0x68617368));
    sum += pair * 0x9E3779B97F4A7C15ULL + (pair >> 31);
  });
  return sum;
}

void HashValue::rebuild(std::string_view key,
                        FunctionRef<void(std::span<const std::string_view>)> emit) const {
  std::string_view args[2 + 2 * kRebuildPairs];
  args[0] = "HSET";
  args[1] = key;
  std::size_t used = 2;
  for_each([&](std::string_view field, std::string_view value) {
    args[used++] = field;
    args[used++] = value;
    if (used == std::size(args)) {
      emit(std::span<const std::string_view>(args, used));
      used = 2;
    }
  });
  if (used > 2) emit(std::span<const std::string_view>(args, used));
}

bool HashValue::find(std::string_view field, std::string_view* value) const {
  if (table_ != nullptr) return table_->find(field, value);
  const Listpack::Pos pos = pairs_.find(field, 0, 2);
  if (pos == pairs_.end()) return false;
  *value = pairs_.get(pairs_.next(pos));
  return true;
}

bool HashValue::set(std::string_view field, std::string_view value, const Limits& limits) {
  if (table_ == nullptr) {
    // Redis converts before inserting a long string, and before the buffer could pass the
    // listpack's safe size.
    const std::size_t grown = pairs_.used_bytes() + Listpack::entry_bytes(field.size()) +
                              Listpack::entry_bytes(value.size());
    if (field.size() > limits.max_value_bytes || value.size() > limits.max_value_bytes ||
        grown > Listpack::kMaxBytes || pairs_.size() + 2 > Listpack::kEntriesMax) {
      convert_to_table();
    }
  }
  if (table_ != nullptr) return table_->set(field, value);

  const Listpack::Pos pos = pairs_.find(field, 0, 2);
  if (pos != pairs_.end()) {
    pairs_.replace(pairs_.next(pos), value);
    return false;
  }
  pairs_.push_back(field);
  pairs_.push_back(value);
  if (size() > limits.max_entries) convert_to_table();
  return true;
}

bool HashValue::erase(std::string_view field) {
  if (table_ != nullptr) return table_->erase(field);
  const Listpack::Pos pos = pairs_.find(field, 0, 2);
  if (pos == pairs_.end()) return false;
  pairs_.erase(pos, 2);
  return true;
}

void HashValue::convert_to_table() {
  ASSERT(table_ == nullptr);
  auto table = std::make_unique<FieldTable>();
  table->reserve(size());
  for_each([&](std::string_view field, std::string_view value) {
    const bool inserted = table->set(field, value);
    ASSERT_MSG(inserted, "a listpack hash with a repeated field");
  });
  pairs_.clear();
  table_ = std::move(table);
}

std::pair<std::string_view, std::string_view> HashValue::random(Rng& rng) const {
  ASSERT(!empty());
  if (table_ != nullptr) return table_->random(rng);
  const Listpack::Pos pos = pairs_.seek(2 * rng.below(size()));
  return {pairs_.get(pos), pairs_.get(pairs_.next(pos))};
}

void HashValue::random_pairs(std::size_t count, Rng& rng,
                             FunctionRef<void(std::string_view, std::string_view)> emit) const {
  ASSERT(!empty());
  if (table_ != nullptr) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto [field, value] = table_->random(rng);
      emit(field, value);
    }
    return;
  }
  if (count == 1) {
    const auto [field, value] = random(rng);
    emit(field, value);
    return;
  }
  // A listpack is reached by walking: find every field once, then draw positions.
  std::vector<Listpack::Pos> fields;
  fields.reserve(size());
  for (Listpack::Pos pos = pairs_.begin(); pos != pairs_.end();
       pos = pairs_.next(pairs_.next(pos))) {
    fields.push_back(pos);
  }
  for (std::size_t i = 0; i < count; ++i) {
    const Listpack::Pos pos = fields[rng.below(fields.size())];
    emit(pairs_.get(pos), pairs_.get(pairs_.next(pos)));
  }
}

void HashValue::random_distinct_pairs(
    std::size_t count, Rng& rng, FunctionRef<void(std::string_view, std::string_view)> emit) const {
  const std::size_t total = size();
  ASSERT_LT(count, total);
  if (table_ == nullptr || count * 3 > total) {
    // Selection sampling (Knuth's algorithm S): one pass, taking each pair with probability
    // (still needed) / (still unseen); every subset of `count` pairs is equally likely.
    std::size_t needed = count;
    std::size_t unseen = total;
    for_each([&](std::string_view field, std::string_view value) {
      if (needed > 0 && rng.below(unseen) < needed) {
        emit(field, value);
        --needed;
      }
      --unseen;
    });
    ASSERT_EQ(needed, 0u);
    return;
  }
  // A few out of many: draw, skipping repeats (at most a third of the draws can repeat, so
  // this takes under 1.5 draws per pair on average). A node's field bytes identify it.
  std::unordered_set<const char*> seen;
  seen.reserve(count);
  while (seen.size() < count) {
    const auto [field, value] = table_->random(rng);
    if (seen.insert(field.data()).second) emit(field, value);
  }
}

}  // namespace eddy::kv

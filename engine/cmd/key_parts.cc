#include "engine/cmd/key_parts.h"

#include <utility>

#include "engine/base/assert.h"

namespace eddy::keyparts {

void mset(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms) {
  for (const std::uint32_t index : key_indexes) {
    ASSERT_LT(index + std::size_t{1}, args.size());
    kv::Entry* entry = db.find_or_insert(args[index], now_ms).first;
    entry->value.set_string(args[index + 1]);
    db.set_expire(entry, 0);
  }
}

std::size_t count_existing(Db& db, Args args, std::span<const std::uint32_t> key_indexes,
                           std::int64_t now_ms) {
  std::size_t count = 0;
  for (const std::uint32_t index : key_indexes) {
    ASSERT_LT(index, args.size());
    if (db.find(args[index], now_ms) != nullptr) ++count;
  }
  return count;
}

std::size_t del(Db& db, Args args, std::span<const std::uint32_t> key_indexes,
                std::int64_t now_ms) {
  std::size_t deleted = 0;
  for (const std::uint32_t index : key_indexes) {
    ASSERT_LT(index, args.size());
    // A repeated key is already gone by its second mention, so it counts once.
    if (db.erase(args[index], now_ms)) ++deleted;
  }
  return deleted;
}

void mget(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms,
          std::span<std::optional<std::string>> out) {
  ASSERT_EQ(out.size(), key_indexes.size());
  char scratch[kv::Value::kIntScratchBytes];
  for (std::size_t j = 0; j < key_indexes.size(); ++j) {
    ASSERT_LT(key_indexes[j], args.size());
    const kv::Entry* entry = db.find(args[key_indexes[j]], now_ms);
    // MGET answers nil for a key of another type rather than an error.
    if (entry == nullptr || entry->value.type() != kv::Value::Type::kString) {
      out[j].reset();
    } else {
      out[j].emplace(entry->value.view(scratch));
    }
  }
}

std::optional<MovedValue> take(Db& db, std::string_view key, std::int64_t now_ms) {
  kv::Entry* entry = db.find(key, now_ms);
  if (entry == nullptr) return std::nullopt;
  std::optional<MovedValue> moved(std::in_place,
                                  MovedValue{std::move(entry->value), entry->expire_at_ms});
  db.erase(entry);
  return moved;
}

void put(Db& db, std::string_view key, MovedValue&& moved, std::int64_t now_ms) {
  kv::Entry* entry = db.find_or_insert(key, now_ms).first;
  entry->value = std::move(moved.value);
  db.set_expire(entry, moved.expire_at_ms);
}

bool exists(Db& db, std::string_view key, std::int64_t now_ms) {
  return db.find(key, now_ms) != nullptr;
}

}  // namespace eddy::keyparts

#include "engine/cmd/key_parts.h"

#include <utility>

#include "engine/base/assert.h"

namespace eddy::keyparts {

void mset(Db& db, Args args, std::span<const std::uint32_t> key_indexes, std::int64_t now_ms) {
  for (const std::uint32_t index : key_indexes) {
    ASSERT_LT(index + std::size_t{1}, args.size());
    const kv::Entry* entry = db.find_or_insert(args[index], now_ms).first;
    db.update(entry, [&](kv::Value& value) { value.set_string(args[index + 1]); });
    entry = db.set_expire(entry, 0);
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
    if (entry == nullptr || !entry->value.is_string()) {
      out[j].reset();
    } else {
      out[j].emplace(entry->value.view(scratch));
    }
  }
}

std::optional<MovedValue> take(Db& db, std::string_view key, std::int64_t now_ms) {
  const kv::Entry* entry = db.find(key, now_ms);
  if (entry == nullptr) return std::nullopt;
  const std::int64_t expire_at_ms = entry->expire_at_ms();
  return MovedValue{db.take(entry), expire_at_ms};
}

void put(Db& db, std::string_view key, MovedValue&& moved, std::int64_t now_ms) {
  db.put(key, std::move(moved.value), moved.expire_at_ms, now_ms);
}

bool exists(Db& db, std::string_view key, std::int64_t now_ms) {
  return db.find(key, now_ms) != nullptr;
}

}  // namespace eddy::keyparts

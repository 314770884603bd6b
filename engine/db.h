#pragma once
// One logical database (SELECT n) within one shard: the kv table plus Redis's expiry
// semantics. Every read goes through find(), which deletes a key whose time has passed
// (lazy expiry), so no command ever observes an expired key.

#include <cstdint>
#include <string_view>
#include <utility>

#include "engine/base/assert.h"
#include "engine/kv/table.h"

namespace eddy {

class Db {
 public:
  // Redis's rule (keyIsExpired): a key lives through the millisecond of its deadline and is
  // gone only once the clock has passed it.
  static bool expired(const kv::Entry& entry, std::int64_t now_ms) {
    return entry.expire_at_ms != 0 && entry.expire_at_ms < now_ms;
  }

  // The live entry for key, or nullptr (absent or expired; an expired one is deleted here).
  kv::Entry* find(std::string_view key, std::int64_t now_ms) {
    kv::Entry* entry = table_.find(key);
    if (entry == nullptr) return nullptr;
    if (EDDY_UNLIKELY(expired(*entry, now_ms))) {
      erase(entry);
      ++expired_keys_;
      return nullptr;
    }
    return entry;
  }

  // The live entry for key, creating an empty one (no expiry) when absent or expired.
  std::pair<kv::Entry*, bool> find_or_insert(std::string_view key, std::int64_t now_ms) {
    auto [entry, inserted] = table_.find_or_insert(key);
    if (!inserted && EDDY_UNLIKELY(expired(*entry, now_ms))) {
      set_expire(entry, 0);
      entry->value.set_string("");
      ++expired_keys_;
      return {entry, true};
    }
    return {entry, inserted};
  }

  bool erase(std::string_view key, std::int64_t now_ms) {
    kv::Entry* entry = find(key, now_ms);
    if (entry == nullptr) return false;
    erase(entry);
    return true;
  }

  void erase(kv::Entry* entry) {
    if (entry->expire_at_ms != 0) {
      ASSERT_GT(volatile_count_, 0u);
      --volatile_count_;
    }
    table_.erase(entry);
  }

  // Sets (at_ms > 0) or clears (0) a key's deadline, keeping the volatile count true.
  void set_expire(kv::Entry* entry, std::int64_t at_ms) {
    ASSERT_GE(at_ms, 0);
    if (entry->expire_at_ms == 0 && at_ms != 0) ++volatile_count_;
    if (entry->expire_at_ms != 0 && at_ms == 0) {
      ASSERT_GT(volatile_count_, 0u);
      --volatile_count_;
    }
    entry->expire_at_ms = at_ms;
  }

  void clear() {
    table_.clear();
    volatile_count_ = 0;
    expire_cursor_ = 0;
  }

  void swap(Db& other) noexcept {
    table_.swap(other.table_);
    std::swap(volatile_count_, other.volatile_count_);
    std::swap(expire_cursor_, other.expire_cursor_);
  }

  std::size_t size() const { return table_.size(); }
  std::size_t volatile_count() const { return volatile_count_; }
  kv::Table& table() { return table_; }
  const kv::Table& table() const { return table_; }

  // One slice of active expiry: inspects at most `slots_max` slots from where the last slice
  // stopped, deleting keys whose deadline has passed. Returns keys deleted.
  std::size_t expire_slice(std::int64_t now_ms, std::size_t slots_max);

  // True when the last slice finished a full pass over the table.
  bool expire_pass_complete() const { return expire_cursor_ == 0; }
  std::uint64_t expired_keys() const { return expired_keys_; }

 private:
  kv::Table table_;
  std::size_t volatile_count_ = 0;
  std::uint64_t expire_cursor_ = 0;
  std::uint64_t expired_keys_ = 0;
};

}  // namespace eddy

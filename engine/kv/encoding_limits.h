#pragma once
// When a small collection leaves its flat encoding for its large form: Redis's thresholds,
// with Redis's configuration names and defaults. One instance per engine; CONFIG SET may change
// them from any core while commands read them on every core, hence relaxed atomics (a command
// that reads an old threshold makes a valid choice either way; conversions only go one way,
// from small to large, as in Redis).

#include <atomic>
#include <cstdint>

namespace eddy::kv {

struct EncodingLimits {
  std::atomic<std::int64_t> hash_max_listpack_entries{512};
  std::atomic<std::int64_t> hash_max_listpack_value{64};
  std::atomic<std::int64_t> set_max_intset_entries{512};
  std::atomic<std::int64_t> set_max_listpack_entries{128};  // Redis 7.2
  std::atomic<std::int64_t> set_max_listpack_value{64};     // Redis 7.2
  std::atomic<std::int64_t> zset_max_listpack_entries{128};
  std::atomic<std::int64_t> zset_max_listpack_value{64};
  // Per quicklist node: positive = entries, -1..-5 = 4/8/16/32/64 KiB (Redis's encoding).
  std::atomic<std::int64_t> list_max_listpack_size{-2};
  // A HyperLogLog string's sparse form, header included, at most this long (then dense).
  std::atomic<std::int64_t> hll_sparse_max_bytes{3000};

  static std::int64_t load(const std::atomic<std::int64_t>& limit) {
    return limit.load(std::memory_order_relaxed);
  }

  // Defaults, for shards that belong to no engine (unit tests).
  static const EncodingLimits& defaults();
};

inline const EncodingLimits& EncodingLimits::defaults() {
  static const EncodingLimits instance;
  return instance;
}

}  // namespace eddy::kv

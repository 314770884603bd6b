#include "engine/db.h"

namespace eddy {

std::size_t Db::expire_slice(std::int64_t now_ms, std::size_t slots_max) {
  if (volatile_count_ == 0) return 0;
  std::size_t deleted = 0;
  expire_cursor_ = table_.walk(expire_cursor_, slots_max, [&](kv::Entry& entry) {
    if (!expired(entry, now_ms)) return false;
    ASSERT_GT(volatile_count_, 0u);
    --volatile_count_;
    ++deleted;
    return true;
  });
  expired_keys_ += deleted;
  return deleted;
}

}  // namespace eddy

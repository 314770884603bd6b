#include "engine/db.h"

namespace eddy {

std::size_t Db::expire_slice(std::int64_t now_ms, std::size_t slots_max) {
  if (table_.volatile_size() == 0) return 0;
  std::size_t deleted = 0;
  expire_cursor_ = table_.walk(expire_cursor_, slots_max, [&](kv::Entry& entry) {
    if (!expired(entry, now_ms)) return false;
    // The walk erases the entry when told to; everything else remove() does happens here.
    writes_->key_expired(index_, entry.key.view(), now_ms);
    const std::size_t bytes = entry.key.heap_bytes() + entry.value.memory_bytes();
    ASSERT_GE(entry_bytes_, bytes);
    entry_bytes_ -= bytes;
    ++deleted;
    return true;
  });
  expired_keys_ += deleted;
  return deleted;
}

}  // namespace eddy

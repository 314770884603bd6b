#include "engine/db.h"

#include "engine/base/fault.h"

namespace eddy {

const kv::Entry* Db::recreate_expired(kv::Entry* entry, std::int64_t now_ms) {
  writes_->key_expired(index_, entry->key.view(), now_ms);
  ++expired_keys_;
  const kv::Entry* fresh = set_expire(entry, 0);
  update(fresh, [](kv::Value& value) { value = kv::Value(); });
  return fresh;
}

void Db::before_change_slow(std::string_view key) {
  SnapshotHook* hook = writes_->snapshot_hook();
  if (hook == nullptr) return;
  // Planted: the segment's old contents are not saved, so the walk later saves the new ones.
  if (PLANTED(PlantedBug::kSnapshotSkipsWriteHook)) return;
  const std::uint64_t hash = table_.hash_of(key);
  if (table_.snapshot_pending(hash)) hook->before_key_change(index_, hash);
}

std::size_t Db::expire_slice(std::int64_t now_ms, std::size_t slots_max) {
  if (table_.volatile_size() == 0) return 0;
  std::size_t deleted = 0;
  expire_cursor_ = table_.walk(expire_cursor_, slots_max, [&](kv::Entry& entry) {
    if (!expired(entry, now_ms)) return false;
    // Before the deletion: the snapshot may still need the key (reading only, so the walk's
    // segment stays as it is).
    before_change(entry.key.view());
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

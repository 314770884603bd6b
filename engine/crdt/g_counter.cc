#include "engine/crdt/g_counter.h"

#include <limits>

#include "engine/crdt/digest.h"

namespace eddy::crdt {

bool GCounter::increment(std::string_view replica, std::uint64_t delta) {
  const std::uint64_t current = count_of(replica);
  if (delta > std::numeric_limits<std::uint64_t>::max() - current) return false;
  merge_entry(replica, current + delta);
  return true;
}

bool GCounter::merge_entry(std::string_view replica, std::uint64_t count) {
  if (count == 0) return false;  // zero is "no entry": never stored
  const auto it = entries_.find(replica);
  if (it == entries_.end()) {
    entries_.emplace(std::string(replica), count);
    return true;
  }
  if (count <= it->second) return false;
  it->second = count;
  return true;
}

bool GCounter::merge(const GCounter& other) {
  bool changed = false;
  for (const auto& [replica, count] : other.entries_) changed |= merge_entry(replica, count);
  return changed;
}

std::uint64_t GCounter::value() const {
  std::uint64_t sum = 0;
  for (const auto& [replica, count] : entries_) {
    if (count > std::numeric_limits<std::uint64_t>::max() - sum) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    sum += count;
  }
  return sum;
}

std::uint64_t GCounter::count_of(std::string_view replica) const {
  const auto it = entries_.find(replica);
  return it == entries_.end() ? 0 : it->second;
}

std::uint64_t GCounter::digest() const {
  DigestBuilder builder(kDigestTagGCounter);
  builder.add_u64(entries_.size());
  for (const auto& [replica, count] : entries_) {
    builder.add_string(replica);
    builder.add_u64(count);
  }
  return builder.finish();
}

}  // namespace eddy::crdt

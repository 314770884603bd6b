#include "engine/crdt/pn_counter.h"

#include <limits>

#include "engine/crdt/digest.h"

namespace eddy::crdt {

bool PnCounter::add(std::string_view replica, std::int64_t delta) {
  if (delta >= 0) return increments_.increment(replica, static_cast<std::uint64_t>(delta));
  // -delta overflows for INT64_MIN; -(delta + 1) + 1 does not.
  const std::uint64_t magnitude = static_cast<std::uint64_t>(-(delta + 1)) + 1;
  return decrements_.increment(replica, magnitude);
}

bool PnCounter::merge_entry(std::string_view replica, const Entry& entry) {
  const bool p = increments_.merge_entry(replica, entry.increments);
  const bool n = decrements_.merge_entry(replica, entry.decrements);
  return p || n;
}

bool PnCounter::merge(const PnCounter& other) {
  const bool p = increments_.merge(other.increments_);
  const bool n = decrements_.merge(other.decrements_);
  return p || n;
}

std::int64_t PnCounter::value() const {
  // Summed in 128 bits: each half may exceed 64 bits on its own (many replicas near the
  // limit) while their difference is small, and a saturated half would get that wrong.
  __extension__ using I128 = __int128;
  I128 difference = 0;
  for (const auto& [replica, count] : increments_.entries()) difference += count;
  for (const auto& [replica, count] : decrements_.entries()) difference -= count;
  if (difference > std::numeric_limits<std::int64_t>::max()) {
    return std::numeric_limits<std::int64_t>::max();
  }
  if (difference < std::numeric_limits<std::int64_t>::min()) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(difference);
}

std::map<std::string, PnCounter::Entry, std::less<>> PnCounter::entries() const {
  std::map<std::string, Entry, std::less<>> out;
  for (const auto& [replica, count] : increments_.entries()) out[replica].increments = count;
  for (const auto& [replica, count] : decrements_.entries()) out[replica].decrements = count;
  return out;
}

std::uint64_t PnCounter::digest() const {
  const auto all = entries();
  DigestBuilder builder(kDigestTagPnCounter);
  builder.add_u64(all.size());
  for (const auto& [replica, entry] : all) {
    builder.add_string(replica);
    builder.add_u64(entry.increments);
    builder.add_u64(entry.decrements);
  }
  return builder.finish();
}

}  // namespace eddy::crdt

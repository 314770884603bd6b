#include "engine/crdt/grow_only_set.h"

#include "engine/base/assert.h"

namespace eddy::crdt {

void GrowOnlySet::append(std::string_view origin, std::string_view element) {
  auto it = logs_.find(origin);
  if (it == logs_.end()) it = logs_.emplace(std::string(origin), std::vector<std::string>{}).first;
  std::vector<std::string>& log = it->second;
  log.emplace_back(element);
  const bool advanced = version_.advance(origin, log.size());
  ASSERT(advanced);
  ++entry_count_;
  if (!elements_.contains(element)) elements_.emplace(element);
}

std::optional<Dot> GrowOnlySet::add_local(std::string_view replica, std::string_view element) {
  if (contains(element)) return std::nullopt;
  append(replica, element);
  return Dot{std::string(replica), version_.get(replica)};
}

std::size_t GrowOnlySet::merge(std::span<const Delta> deltas) {
  std::size_t taken = 0;
  for (const Delta& delta : deltas) {
    // Only the next seq: a duplicate (<= held) is already here, and one past a gap would
    // leave the log non-contiguous; the sender will offer it again.
    if (delta.seq != version_.get(delta.origin) + 1) continue;
    append(delta.origin, delta.element);
    ++taken;
  }
  return taken;
}

std::vector<GrowOnlySet::Delta> GrowOnlySet::missing_for(const VersionVector& peer,
                                                         std::size_t max_entries) const {
  // Per origin with something missing: its log and the next index to send.
  struct Cursor {
    const std::string* origin;
    const std::vector<std::string>* log;
    std::size_t next;
  };
  std::vector<Cursor> cursors;
  for (const auto& [origin, log] : logs_) {
    const std::uint64_t held = peer.get(origin);
    if (held < log.size()) cursors.push_back({&origin, &log, static_cast<std::size_t>(held)});
  }
  std::vector<Delta> out;
  while (out.size() < max_entries && !cursors.empty()) {
    // One round: the oldest missing entry of every origin still behind.
    std::size_t kept = 0;
    for (Cursor& cursor : cursors) {
      if (out.size() == max_entries) break;
      out.push_back({*cursor.origin, cursor.next + 1, (*cursor.log)[cursor.next]});
      ++cursor.next;
      if (cursor.next < cursor.log->size()) cursors[kept++] = cursor;
    }
    // Cursors the round did not reach (output full) are not needed any more.
    if (out.size() == max_entries) break;
    cursors.resize(kept);
  }
  return out;
}

}  // namespace eddy::crdt

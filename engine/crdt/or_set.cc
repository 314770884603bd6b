#include "engine/crdt/or_set.h"

#include <utility>

#include "engine/base/assert.h"
#include "engine/crdt/digest.h"

namespace eddy::crdt {

Dot OrSet::add(std::string_view replica, std::string_view element) {
  Dot dot{std::string(replica), context_.get(replica) + 1};
  context_.advance(replica, dot.seq);
  auto it = entries_.find(element);
  if (it == entries_.end()) it = entries_.emplace(std::string(element), std::set<Dot>{}).first;
  it->second.clear();
  it->second.insert(dot);
  return dot;
}

bool OrSet::remove(std::string_view element) {
  const auto it = entries_.find(element);
  if (it == entries_.end()) return false;
  // Its dots stay in the context: that is what marks them removed for peers.
  entries_.erase(it);
  return true;
}

void OrSet::merge(const OrSet& other) {
  // A dot survives if both sides hold it, or if one side holds it and the other has never seen
  // it. Elements absent on one side still go through the rule (with no dots on that side).
  std::map<std::string, std::set<Dot>, std::less<>> merged;
  const auto keep = [&](const std::string& element, const std::set<Dot>* mine,
                        const std::set<Dot>* theirs) {
    std::set<Dot> live;
    if (mine != nullptr) {
      for (const Dot& dot : *mine) {
        const bool theirs_too = theirs != nullptr && theirs->contains(dot);
        if (theirs_too || !other.context_.covers(dot)) live.insert(dot);
      }
    }
    if (theirs != nullptr) {
      for (const Dot& dot : *theirs) {
        const bool mine_too = mine != nullptr && mine->contains(dot);
        if (!mine_too && !context_.covers(dot)) live.insert(dot);
      }
    }
    if (!live.empty()) merged.emplace(element, std::move(live));
  };
  for (const auto& [element, dots] : entries_) {
    const auto it = other.entries_.find(element);
    keep(element, &dots, it == other.entries_.end() ? nullptr : &it->second);
  }
  for (const auto& [element, dots] : other.entries_) {
    if (!entries_.contains(element)) keep(element, nullptr, &dots);
  }
  entries_ = std::move(merged);
  context_.merge(other.context_);
}

std::vector<std::string> OrSet::elements() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [element, dots] : entries_) {
    DEBUG_ASSERT(!dots.empty());
    out.push_back(element);
  }
  return out;
}

std::uint64_t OrSet::digest() const {
  DigestBuilder builder(kDigestTagOrSet);
  builder.add_u64(entries_.size());
  for (const auto& [element, dots] : entries_) {
    builder.add_string(element);
    builder.add_u64(dots.size());
    for (const Dot& dot : dots) {
      builder.add_string(dot.origin);
      builder.add_u64(dot.seq);
    }
  }
  builder.add_u64(context_.digest());
  return builder.finish();
}

}  // namespace eddy::crdt

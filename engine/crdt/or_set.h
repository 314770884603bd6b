#pragma once
// An add-wins observed-remove set (Shapiro et al.'s OR-Set, in the optimized form of
// Bieniusa et al., "An Optimized Conflict-free Replicated Set", 2012). Each add tags the
// element with a fresh dot; a remove drops the dots it has observed. An element is present
// while any of its dots is live, so a remove only cancels the adds it saw, and an add
// concurrent with a remove survives it (add wins).
//
// Instead of tombstones the state keeps a version vector of every dot it has ever seen (its
// causal context). In merge, a dot that one side holds and the other does not was removed by
// the other side if the other side's context covers it, and is simply new to it otherwise.
// The context stays a plain version vector because each replica's dots are 1, 2, 3, ... and
// whole states are merged, so what a replica has seen of any origin is always a prefix.
//
// As with every dot-based type, a replica id must never be reused by a replica that forgot its
// own dots (see grow_only_set.h).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/crdt/dot.h"
#include "engine/crdt/version_vector.h"

namespace eddy::crdt {

class OrSet {
 public:
  // Adds `element` on behalf of `replica` with a fresh dot, which replaces the element's dots
  // seen so far (they stay covered by the context, so peers learn they are superseded).
  // Returns the new dot.
  Dot add(std::string_view replica, std::string_view element);
  // Removes the element as observed here (its live dots). Returns whether it was present.
  bool remove(std::string_view element);
  void merge(const OrSet& other);

  bool contains(std::string_view element) const { return entries_.contains(element); }
  // The present elements, sorted.
  std::vector<std::string> elements() const;
  std::size_t size() const { return entries_.size(); }
  // Every dot seen, live or removed.
  const VersionVector& context() const { return context_; }
  std::uint64_t digest() const;

  friend bool operator==(const OrSet&, const OrSet&) = default;

 private:
  // Present element -> its live dots (never empty).
  std::map<std::string, std::set<Dot>, std::less<>> entries_;
  VersionVector context_;
};

}  // namespace eddy::crdt

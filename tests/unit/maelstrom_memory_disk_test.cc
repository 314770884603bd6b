// The in-memory Disk that holds lin-kv's Raft state when a Maelstrom node does not persist:
// Raft's storage must work on it exactly as on a real disk, compaction's rewrite (a rename over
// the open log's name) included.

#include <catch2/catch.hpp>

#include "engine/raft/storage.h"
#include "maelstrom/memory_disk.h"

using namespace eddy;
using namespace eddy::raft;

namespace {

Entry entry(Term term, Index index) {
  return Entry{term, index, EntryKind::kNormal, "e" + std::to_string(index)};
}

}  // namespace

TEST_CASE("Raft storage on the memory disk keeps entries, hard state and snapshots",
          "[maelstrom]") {
  maelstrom::MemoryDisk disk;
  {
    Restored restored;
    std::string error;
    auto storage = Storage::open(disk, "lin-kv-raft.n0", &restored, &error);
    REQUIRE(storage != nullptr);
    Ready first;
    first.hard_state = HardState{2, 1, 8};
    for (Index i = 1; i <= 10; ++i) first.entries.push_back(entry(2, i));
    REQUIRE(storage->save(first));
    Ready compaction;
    compaction.compaction = Snapshot{6, 2, "state@6"};
    REQUIRE(storage->save(compaction));
    Ready more;
    more.entries = {entry(2, 11)};
    more.hard_state = HardState{2, 1, 11};
    REQUIRE(storage->save(more));
  }
  Restored restored;
  std::string error;
  auto storage = Storage::open(disk, "lin-kv-raft.n0", &restored, &error);
  REQUIRE(storage != nullptr);
  CHECK(restored.snapshot == Snapshot{6, 2, "state@6"});
  REQUIRE(restored.entries.size() == 5);
  CHECK(restored.entries.front() == entry(2, 7));
  CHECK(restored.entries.back() == entry(2, 11));
  CHECK(restored.hard_state == HardState{2, 1, 11});
  // Files of another directory are not listed; a removed file is gone.
  CHECK(disk.list("lin-kv-raft.n1").empty());
  CHECK_FALSE(disk.list("lin-kv-raft.n0").empty());
  std::string missing;
  CHECK(disk.open("lin-kv-raft.n0/none", false, &missing) == -1);
  CHECK_FALSE(missing.empty());
}

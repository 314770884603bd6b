#pragma once
// A simulated disk, after FoundationDB's AsyncFileNonDurable and TigerBeetle's simulated
// storage: files live in memory, and each keeps two images. `durable` is what would survive a
// power loss; `volatile` (here `current`) is what reads see now. A write changes the volatile
// image at once and is queued as pending; sync() makes the file's pending writes durable.
// crash() throws away what was never synced, keeping a random prefix of each file's pending
// writes (the last survivor possibly torn), so storage code is tested against every state a
// real disk could leave behind, and a seed replays the same one.
//
// Modelling choices, each matching what eddy's PosixDisk guarantees:
// - Directory operations are durable at once. PosixDisk syncs the directory after rename();
//   creating (open with `create`) and remove() are treated the same way, so a crash never
//   resurrects a removed name or loses a created one. File *contents* still need sync().
// - Open ids name the file, not the path (as POSIX descriptors do): an id stays usable across
//   rename() and remove() of its path until close(). After crash() every id is invalid, as after
//   a process restart; ids are never reused, so a stale one cannot reach a new file.
// - Writes past the end leave a hole of zero bytes, as pwrite() and ftruncate() do.
//
// Every random choice is drawn from the Rng given at construction (faults, latency) or to
// crash(); with all probabilities zero and no sleep callback the disk is perfect and draws
// nothing.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rng.h"
#include "engine/runtime.h"

namespace eddy::sim {

struct SimDiskFaults {
  // At crash(): the first pending write that does not survive is instead torn (a random
  // non-empty strict prefix of its bytes reaches the platter, nothing after it; a one-byte
  // write cannot tear).
  double torn_write_probability = 0.0;
  // read_at() returns fewer bytes than were available (at least one).
  double short_read_probability = 0.0;
  // append/write_at/truncate fail: they return false and change nothing.
  double write_error_probability = 0.0;
  // sync() fails: it returns false and nothing pending becomes durable.
  double sync_error_probability = 0.0;
  // read_at() fails: it returns -1.
  double read_error_probability = 0.0;
  // Per operation, when a sleep callback is set: uniform in [min, max].
  Nanos latency_min_ns = 10'000;
  Nanos latency_max_ns = 200'000;
};

class SimDisk final : public Disk {
 public:
  // `rng` draws faults and latencies and must outlive the disk. `sleep`, when set, is called
  // with each operation's latency before the operation takes effect (in the simulator:
  // SimNode::sleep_for, so the calling fiber waits in virtual time).
  explicit SimDisk(Rng& rng, SimDiskFaults faults = {}, std::function<void(Nanos)> sleep = nullptr);
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  const SimDiskFaults& faults() const { return faults_; }
  void set_faults(const SimDiskFaults& faults) { faults_ = faults; }

  // Disk.
  FileId open(const std::string& path, bool create, std::string* error) override;
  bool append(FileId file, std::string_view bytes) override;
  bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) override;
  bool sync(FileId file) override;
  std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) override;
  std::int64_t size(FileId file) override;
  bool truncate(FileId file, std::uint64_t size) override;
  void close(FileId file) override;
  bool rename(const std::string& from, const std::string& to) override;
  bool remove(const std::string& path) override;
  // Sorted names of the files directly in `directory` ("" or "." for the top level).
  // Directories are implicit in paths and are not listed themselves.
  std::vector<std::string> list(const std::string& directory) override;

  // Power loss: every file becomes its durable image plus a random prefix of its pending
  // writes, in order (see SimDiskFaults::torn_write_probability); the result is durable.
  // Unlinked files vanish and every open id becomes invalid.
  void crash(Rng& rng);

  // For tests and checkers; none of these costs latency or draws randomness. A missing path
  // reads as empty with nothing pending.
  bool exists(const std::string& path) const;
  std::string durable_contents(const std::string& path) const;
  std::string contents(const std::string& path) const;
  std::size_t pending_writes(const std::string& path) const;
  std::size_t open_files() const { return handles_.size(); }

  // Larger files or offsets are refused (as EFBIG would), so a wild offset cannot exhaust
  // the simulator's memory.
  static constexpr std::uint64_t kMaxFileBytes = std::uint64_t{1} << 30;

 private:
  using InodeId = std::uint64_t;
  // One change to a file's contents, kept until sync() or crash().
  struct Change {
    enum class Kind : std::uint8_t { kWrite, kTruncate };
    Kind kind = Kind::kWrite;
    std::uint64_t offset = 0;  // kWrite: where the bytes go; kTruncate: the new size
    std::string bytes;
  };
  struct Inode {
    std::string durable;
    std::string current;
    std::vector<Change> pending;
    bool linked = true;  // still has a path
    std::size_t opens = 0;
  };

  // Applies the first `limit` bytes of `change` (all of a truncate) to `image`.
  static void apply(std::string& image, const Change& change, std::size_t limit);
  void pause();
  bool roll(double probability);
  Inode* inode_of(FileId file);
  // Applies a write or truncate to the volatile image and queues it; `at_end` places a write
  // at the end of the file (append).
  bool record(FileId file, Change change, bool at_end);
  // Drops an inode nothing refers to any more.
  void release_if_unused(InodeId id);
  const Inode* find(const std::string& path) const;

  Rng* rng_;
  SimDiskFaults faults_;
  std::function<void(Nanos)> sleep_;
  std::map<std::string, InodeId> names_;
  std::map<InodeId, Inode> inodes_;
  std::map<FileId, InodeId> handles_;
  InodeId next_inode_ = 1;
  FileId next_file_ = 1;
};

}  // namespace eddy::sim

#include "sim/sim_disk.h"

#include <algorithm>
#include <utility>

#include "engine/base/assert.h"

namespace eddy::sim {

SimDisk::SimDisk(Rng& rng, SimDiskFaults faults, std::function<void(Nanos)> sleep)
    : rng_(&rng), faults_(faults), sleep_(std::move(sleep)) {
  ASSERT_LE(faults_.latency_min_ns, faults_.latency_max_ns);
}

SimDisk::~SimDisk() = default;

void SimDisk::apply(std::string& image, const Change& change, std::size_t limit) {
  if (change.kind == Change::Kind::kTruncate) {
    image.resize(change.offset, '\0');
    return;
  }
  const std::size_t count = std::min(limit, change.bytes.size());
  if (count == 0) return;
  const std::size_t end = change.offset + count;
  if (image.size() < end) image.resize(end, '\0');
  image.replace(change.offset, count, change.bytes, 0, count);
}

void SimDisk::pause() {
  if (!sleep_) return;
  const Nanos latency = rng_->between(faults_.latency_min_ns, faults_.latency_max_ns);
  if (latency > 0) sleep_(latency);
}

// A zero probability draws nothing, so a perfect disk leaves the stream untouched.
bool SimDisk::roll(double probability) {
  return probability > 0 && rng_->chance(probability);
}

SimDisk::Inode* SimDisk::inode_of(FileId file) {
  const auto handle = handles_.find(file);
  if (handle == handles_.end()) return nullptr;
  const auto inode = inodes_.find(handle->second);
  ASSERT(inode != inodes_.end());
  return &inode->second;
}

const SimDisk::Inode* SimDisk::find(const std::string& path) const {
  const auto name = names_.find(path);
  if (name == names_.end()) return nullptr;
  const auto inode = inodes_.find(name->second);
  ASSERT(inode != inodes_.end());
  return &inode->second;
}

void SimDisk::release_if_unused(InodeId id) {
  const auto inode = inodes_.find(id);
  ASSERT(inode != inodes_.end());
  if (!inode->second.linked && inode->second.opens == 0) inodes_.erase(inode);
}

Disk::FileId SimDisk::open(const std::string& path, bool create, std::string* error) {
  pause();
  auto name = names_.find(path);
  if (name == names_.end()) {
    if (!create || path.empty() || path.back() == '/') {
      if (error != nullptr) *error = path + ": no such file";
      return -1;
    }
    // Creation is a directory operation: durable at once (see the header).
    name = names_.emplace(path, next_inode_++).first;
    inodes_.emplace(name->second, Inode{});
  }
  const FileId file = next_file_++;
  handles_.emplace(file, name->second);
  ++inodes_.at(name->second).opens;
  return file;
}

bool SimDisk::record(FileId file, Change change, bool at_end) {
  pause();
  Inode* inode = inode_of(file);
  if (inode == nullptr) return false;
  // An append's offset is fixed only after the latency: another fiber may append meanwhile.
  if (at_end) change.offset = inode->current.size();
  const std::uint64_t end =
      change.kind == Change::Kind::kWrite ? change.offset + change.bytes.size() : change.offset;
  if (change.offset > kMaxFileBytes || end > kMaxFileBytes) return false;
  if (roll(faults_.write_error_probability)) return false;
  // An empty write changes nothing, not even the size (as pwrite of 0 bytes).
  if (change.kind == Change::Kind::kWrite && change.bytes.empty()) return true;
  apply(inode->current, change, change.bytes.size());
  inode->pending.push_back(std::move(change));
  return true;
}

bool SimDisk::append(FileId file, std::string_view bytes) {
  return record(file, Change{Change::Kind::kWrite, 0, std::string(bytes)}, true);
}

bool SimDisk::write_at(FileId file, std::uint64_t offset, std::string_view bytes) {
  return record(file, Change{Change::Kind::kWrite, offset, std::string(bytes)}, false);
}

bool SimDisk::truncate(FileId file, std::uint64_t size) {
  return record(file, Change{Change::Kind::kTruncate, size, {}}, false);
}

bool SimDisk::sync(FileId file) {
  pause();
  Inode* inode = inode_of(file);
  if (inode == nullptr) return false;
  if (roll(faults_.sync_error_probability)) return false;
  inode->durable = inode->current;
  inode->pending.clear();
  return true;
}

std::int64_t SimDisk::read_at(FileId file, std::uint64_t offset, std::span<char> buffer) {
  pause();
  Inode* inode = inode_of(file);
  if (inode == nullptr) return -1;
  if (roll(faults_.read_error_probability)) return -1;
  const std::string& image = inode->current;
  if (offset >= image.size() || buffer.empty()) return 0;
  std::size_t count = std::min<std::size_t>(buffer.size(), image.size() - offset);
  if (count > 1 && roll(faults_.short_read_probability)) {
    count = static_cast<std::size_t>(rng_->between(1, static_cast<std::int64_t>(count) - 1));
  }
  std::copy_n(image.data() + offset, count, buffer.data());
  return static_cast<std::int64_t>(count);
}

// size() and close() cost no latency: they touch only cached metadata, and close() may run
// from a destructor outside any fiber, where sleeping is impossible.
std::int64_t SimDisk::size(FileId file) {
  Inode* inode = inode_of(file);
  if (inode == nullptr) return -1;
  return static_cast<std::int64_t>(inode->current.size());
}

void SimDisk::close(FileId file) {
  const auto handle = handles_.find(file);
  if (handle == handles_.end()) return;
  const InodeId id = handle->second;
  handles_.erase(handle);
  --inodes_.at(id).opens;
  release_if_unused(id);
}

bool SimDisk::rename(const std::string& from, const std::string& to) {
  pause();
  const auto source = names_.find(from);
  if (source == names_.end() || to.empty() || to.back() == '/') return false;
  if (from == to) return true;
  const InodeId id = source->second;
  names_.erase(source);
  // Replacing an existing name unlinks its file, which lives on while it is open.
  const auto [target, inserted] = names_.try_emplace(to, id);
  if (!inserted) {
    const InodeId replaced = target->second;
    target->second = id;
    inodes_.at(replaced).linked = false;
    release_if_unused(replaced);
  }
  return true;
}

bool SimDisk::remove(const std::string& path) {
  pause();
  const auto name = names_.find(path);
  if (name == names_.end()) return false;
  const InodeId id = name->second;
  names_.erase(name);
  inodes_.at(id).linked = false;
  release_if_unused(id);
  return true;
}

std::vector<std::string> SimDisk::list(const std::string& directory) {
  pause();
  std::string prefix = directory;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix == ".") prefix.clear();
  if (!prefix.empty()) prefix += '/';
  std::vector<std::string> names;
  // names_ is ordered, so the entries under one prefix are contiguous and already sorted.
  for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = path.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) names.push_back(std::move(rest));
  }
  return names;
}

void SimDisk::crash(Rng& rng) {
  handles_.clear();
  // Inode ids ascend in creation order, so the draws below happen in a fixed order.
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    Inode& inode = it->second;
    if (!inode.linked) {
      it = inodes_.erase(it);
      continue;
    }
    std::string image = std::move(inode.durable);
    const std::size_t pending = inode.pending.size();
    if (pending > 0) {
      const auto survivors = static_cast<std::size_t>(rng.below(pending + 1));
      for (std::size_t i = 0; i < survivors; ++i) {
        apply(image, inode.pending[i], inode.pending[i].bytes.size());
      }
      if (survivors < pending) {
        const Change& torn = inode.pending[survivors];
        if (torn.kind == Change::Kind::kWrite && torn.bytes.size() > 1 &&
            faults_.torn_write_probability > 0 && rng.chance(faults_.torn_write_probability)) {
          const auto kept = static_cast<std::size_t>(
              rng.between(1, static_cast<std::int64_t>(torn.bytes.size()) - 1));
          apply(image, torn, kept);
        }
      }
    }
    inode.current = image;
    inode.durable = std::move(image);
    inode.pending.clear();
    inode.opens = 0;
    ++it;
  }
}

bool SimDisk::exists(const std::string& path) const {
  return names_.contains(path);
}

std::string SimDisk::durable_contents(const std::string& path) const {
  const Inode* inode = find(path);
  return inode == nullptr ? std::string() : inode->durable;
}

std::string SimDisk::contents(const std::string& path) const {
  const Inode* inode = find(path);
  return inode == nullptr ? std::string() : inode->current;
}

std::size_t SimDisk::pending_writes(const std::string& path) const {
  const Inode* inode = find(path);
  return inode == nullptr ? 0 : inode->pending.size();
}

}  // namespace eddy::sim

#pragma once
// A Disk in memory: files are strings, a sync is free, nothing survives the process. lin-kv's
// Raft log lives here when the node is not asked to persist (Maelstrom never restarts a node,
// and a run must leave no files behind: the runner kills its nodes).

#include <map>
#include <string>

#include "engine/runtime.h"

namespace eddy::maelstrom {

class MemoryDisk final : public Disk {
 public:
  FileId open(const std::string& path, bool create, std::string* error) override;
  bool append(FileId file, std::string_view bytes) override;
  bool write_at(FileId file, std::uint64_t offset, std::string_view bytes) override;
  bool sync(FileId file) override { return handles_.contains(file); }
  std::int64_t read_at(FileId file, std::uint64_t offset, std::span<char> buffer) override;
  std::int64_t size(FileId file) override;
  bool truncate(FileId file, std::uint64_t size) override;
  void close(FileId file) override { handles_.erase(file); }
  bool rename(const std::string& from, const std::string& to) override;
  bool remove(const std::string& path) override;
  std::vector<std::string> list(const std::string& directory) override;

 private:
  // The bytes behind a handle; nullptr for a closed handle or a removed or replaced file.
  std::string* file_of(FileId file);

  std::map<std::string, std::string> files_;
  std::map<FileId, std::string> handles_;
  FileId next_handle_ = 1;
};

}  // namespace eddy::maelstrom

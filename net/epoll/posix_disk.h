#pragma once
// The real Disk: POSIX files under a data directory. Calls block the calling core for the
// duration of the syscall; the storage layer keeps them off the per-command path (group
// commit), so a blocking fsync costs once per batch.

#include <string>

#include "engine/runtime.h"

namespace eddy {

class PosixDisk final : public Disk {
 public:
  explicit PosixDisk(std::string directory) : directory_(std::move(directory)) {}
  ~PosixDisk() override;

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
  std::vector<std::string> list(const std::string& directory) override;
  ReadStatus read_file(const std::string& path, std::size_t limit, std::string* text,
                       std::string* reason) override;
  bool replace_file(const std::string& path, std::string_view bytes, std::string* reason) override;

 private:
  std::string full(const std::string& path) const;
  std::string directory_;
};

}  // namespace eddy

#pragma once
// The real Disk: POSIX files under a data directory. Calls block the calling thread for the
// duration of the syscall; eddy-server wraps it in OffloadDisk (net/epoll/epoll_runtime.cc),
// which runs the slow calls of a core's fibers on that core's I/O thread instead.

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
  bool make_directory(const std::string& directory) override;
  // errno of this thread's last failed call (what last_error() names).
  static int thread_errno();
  // OffloadDisk: hands the error of a call performed on an I/O thread to the calling thread.
  static void set_thread_errno(int error);
  std::string last_error() const override;

 private:
  std::string full(const std::string& path) const;
  // Keeps errno of a failed call for last_error(), per thread: an error is read by the thread
  // that made the call, and another thread's failure must not change the text it reports.
  bool failed();
  // fsync of the directory holding `absolute_path`, so that a name just created in it
  // survives a power loss (a file's own fsync does not make its directory entry durable).
  static bool sync_parent(const std::string& absolute_path);
  std::string directory_;
};

}  // namespace eddy

#include "net/epoll/posix_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace eddy {

PosixDisk::~PosixDisk() = default;

std::string PosixDisk::full(const std::string& path) const {
  if (!path.empty() && path.front() == '/') return path;
  return directory_ + "/" + path;
}

namespace {
thread_local int t_last_errno = 0;
}  // namespace

int PosixDisk::thread_errno() {
  return t_last_errno;
}
void PosixDisk::set_thread_errno(int error) {
  t_last_errno = error;
}

bool PosixDisk::failed() {
  t_last_errno = errno;
  return false;
}

std::string PosixDisk::last_error() const {
  return std::strerror(t_last_errno == 0 ? EIO : t_last_errno);
}

bool PosixDisk::sync_parent(const std::string& absolute_path) {
  std::string parent = absolute_path;
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  const std::size_t slash = parent.rfind('/');
  parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : parent.substr(0, slash));
  const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  const bool ok = ::fsync(dir) == 0;
  const int saved = errno;
  ::close(dir);
  errno = saved;
  return ok;
}

bool PosixDisk::make_directory(const std::string& directory) {
  const std::string path = full(directory);
  if (::mkdir(path.c_str(), 0755) == 0) return sync_parent(path) || failed();
  if (errno == EEXIST) return true;
  return failed();
}

Disk::FileId PosixDisk::open(const std::string& path, bool create, std::string* error) {
  const std::string name = full(path);
  int fd = -1;
  if (create) {
    // Created here: its directory entry is made durable before anything is written to it.
    fd = ::open(name.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0644);
    if (fd >= 0 && !sync_parent(name)) {
      if (error != nullptr) *error = name + ": fsync of its directory: " + std::strerror(errno);
      ::close(fd);
      return -1;
    }
    if (fd < 0 && errno != EEXIST) {
      if (error != nullptr) *error = name + ": " + std::strerror(errno);
      return -1;
    }
  }
  if (fd < 0) fd = ::open(name.c_str(), O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0 && error != nullptr) *error = name + ": " + std::strerror(errno);
  return fd;
}

bool PosixDisk::append(FileId file, std::string_view bytes) {
  const off_t end = ::lseek(static_cast<int>(file), 0, SEEK_END);
  if (end < 0) return failed();
  return write_at(file, static_cast<std::uint64_t>(end), bytes);
}

bool PosixDisk::write_at(FileId file, std::uint64_t offset, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(static_cast<int>(file), bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed();
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool PosixDisk::sync(FileId file) {
  return ::fdatasync(static_cast<int>(file)) == 0 || failed();
}

std::int64_t PosixDisk::read_at(FileId file, std::uint64_t offset, std::span<char> buffer) {
  for (;;) {
    const ssize_t n =
        ::pread(static_cast<int>(file), buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

std::int64_t PosixDisk::size(FileId file) {
  struct stat st {};
  if (::fstat(static_cast<int>(file), &st) != 0) return -1;
  return st.st_size;
}

bool PosixDisk::truncate(FileId file, std::uint64_t size) {
  return ::ftruncate(static_cast<int>(file), static_cast<off_t>(size)) == 0 || failed();
}

void PosixDisk::close(FileId file) {
  ::close(static_cast<int>(file));
}

bool PosixDisk::rename(const std::string& from, const std::string& to) {
  if (::rename(full(from).c_str(), full(to).c_str()) != 0) return false;
  // Make the rename itself durable: sync the directory that holds both names.
  const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

bool PosixDisk::remove(const std::string& path) {
  return ::unlink(full(path).c_str()) == 0;
}

std::vector<std::string> PosixDisk::list(const std::string& directory) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(full(directory).c_str());
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  // Sorted, so callers never depend on the file system's order.
  std::sort(names.begin(), names.end());
  return names;
}

Disk::ReadStatus PosixDisk::read_file(const std::string& path, std::size_t limit, std::string* text,
                                      std::string* reason) {
  const int fd = ::open(full(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return ReadStatus::kMissing;
    *reason = std::strerror(errno);
    return ReadStatus::kFailed;
  }
  text->clear();
  char chunk[16384];
  ReadStatus status = ReadStatus::kRead;
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *reason = std::strerror(errno);
      status = ReadStatus::kFailed;
      break;
    }
    if (n == 0) break;
    if (text->size() + static_cast<std::size_t>(n) > limit) {
      *reason = std::strerror(EFBIG);
      status = ReadStatus::kFailed;
      break;
    }
    text->append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return status;
}

// As Redis replaces its config file: a unique temporary name beside the file (so the rename
// stays in one file system), written whole, synced, given the old file's mode (0644 for a new
// one), renamed over the file, and the directory synced so the rename survives a crash.
bool PosixDisk::replace_file(const std::string& path, std::string_view bytes, std::string* reason) {
  const std::string target = full(path);
  std::string temporary = target + ".XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) {
    *reason = std::strerror(errno);
    return false;
  }
  auto fail = [&] {
    *reason = std::strerror(errno);
    ::close(fd);
    ::unlink(temporary.c_str());
    return false;
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail();
    done += static_cast<std::size_t>(n);
  }
  struct stat old {};
  const mode_t mode = ::stat(target.c_str(), &old) == 0 ? (old.st_mode & 07777) : 0644;
  if (::fsync(fd) != 0 || ::fchmod(fd, mode) != 0) return fail();
  if (::rename(temporary.c_str(), target.c_str()) != 0) return fail();
  ::close(fd);
  const std::size_t slash = target.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : target.substr(0, slash + 1);
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || ::fsync(dir) != 0) {
    *reason = std::strerror(errno);
    if (dir >= 0) ::close(dir);
    return false;
  }
  ::close(dir);
  return true;
}

}  // namespace eddy

// Disk's whole-file operations composed of its primitives, for the disks that do not do them
// with syscalls of their own (the simulator's, the tests').

#include <cerrno>
#include <cstring>

#include "engine/runtime.h"

namespace eddy {

Disk::ReadStatus Disk::read_file(const std::string& path, std::size_t limit, std::string* text,
                                 std::string* reason) {
  const FileId file = open(path, false, nullptr);
  if (file < 0) return ReadStatus::kMissing;
  const std::int64_t bytes = size(file);
  ReadStatus status = ReadStatus::kRead;
  if (bytes < 0) {
    *reason = std::strerror(EIO);
    status = ReadStatus::kFailed;
  } else if (static_cast<std::uint64_t>(bytes) > limit) {
    *reason = std::strerror(EFBIG);
    status = ReadStatus::kFailed;
  } else {
    text->assign(static_cast<std::size_t>(bytes), '\0');
    std::size_t done = 0;
    while (done < text->size()) {
      const std::int64_t n =
          read_at(file, done, std::span<char>(text->data() + done, text->size() - done));
      if (n <= 0) {
        *reason = std::strerror(EIO);
        status = ReadStatus::kFailed;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
  }
  close(file);
  return status;
}

bool Disk::replace_file(const std::string& path, std::string_view bytes, std::string* reason) {
  const std::string temporary = path + ".tmp-replace";
  remove(temporary);
  const FileId file = open(temporary, true, nullptr);
  if (file < 0) {
    *reason = std::strerror(EIO);
    return false;
  }
  bool ok = write_at(file, 0, bytes) && sync(file);
  close(file);
  ok = ok && rename(temporary, path);
  if (!ok) {
    remove(temporary);
    *reason = std::strerror(EIO);
  }
  return ok;
}

}  // namespace eddy

#include "maelstrom/memory_disk.h"

#include <algorithm>
#include <cstring>

namespace eddy::maelstrom {

Disk::FileId MemoryDisk::open(const std::string& path, bool create, std::string* error) {
  if (!files_.contains(path)) {
    if (!create) {
      if (error != nullptr) *error = path + ": no such file";
      return -1;
    }
    files_.emplace(path, std::string());
  }
  const FileId handle = next_handle_++;
  handles_.emplace(handle, path);
  return handle;
}

std::string* MemoryDisk::file_of(FileId file) {
  const auto handle = handles_.find(file);
  if (handle == handles_.end()) return nullptr;
  const auto it = files_.find(handle->second);
  return it == files_.end() ? nullptr : &it->second;
}

bool MemoryDisk::append(FileId file, std::string_view bytes) {
  std::string* data = file_of(file);
  if (data == nullptr) return false;
  data->append(bytes);
  return true;
}

bool MemoryDisk::write_at(FileId file, std::uint64_t offset, std::string_view bytes) {
  std::string* data = file_of(file);
  if (data == nullptr) return false;
  if (data->size() < offset + bytes.size()) data->resize(offset + bytes.size(), '\0');
  data->replace(offset, bytes.size(), bytes);
  return true;
}

std::int64_t MemoryDisk::read_at(FileId file, std::uint64_t offset, std::span<char> buffer) {
  const std::string* data = file_of(file);
  if (data == nullptr) return -1;
  if (offset >= data->size()) return 0;
  const std::size_t n = std::min<std::size_t>(buffer.size(), data->size() - offset);
  std::memcpy(buffer.data(), data->data() + offset, n);
  return static_cast<std::int64_t>(n);
}

std::int64_t MemoryDisk::size(FileId file) {
  const std::string* data = file_of(file);
  return data == nullptr ? -1 : static_cast<std::int64_t>(data->size());
}

bool MemoryDisk::truncate(FileId file, std::uint64_t size) {
  std::string* data = file_of(file);
  if (data == nullptr) return false;
  data->resize(size, '\0');
  return true;
}

bool MemoryDisk::rename(const std::string& from, const std::string& to) {
  const auto it = files_.find(from);
  if (it == files_.end()) return false;
  std::string bytes = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(bytes);
  // Handles on the file replaced are dead (as if unlinked); handles on `from` follow it.
  std::erase_if(handles_, [&](const auto& handle) { return handle.second == to; });
  for (auto& [handle, path] : handles_) {
    if (path == from) path = to;
  }
  return true;
}

bool MemoryDisk::remove(const std::string& path) {
  return files_.erase(path) == 1;
}

std::vector<std::string> MemoryDisk::list(const std::string& directory) {
  std::string prefix = directory;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) prefix += '/';
  std::vector<std::string> names;
  for (auto it = files_.lower_bound(prefix); it != files_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string rest = it->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) names.push_back(rest);
  }
  return names;
}

}  // namespace eddy::maelstrom

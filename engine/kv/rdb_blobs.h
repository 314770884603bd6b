#pragma once
// The compact blobs that RDB (and so DUMP/RESTORE) carries inside strings, in Redis's own byte
// formats (written from the format descriptions, not from Redis's code):
//
//   listpack   [total bytes: u32 LE][count: u16 LE, 65535 = unknown] entries... [0xFF]
//              entry = encoding (+ data), then its "backlen": the entry's encoded size as a
//              base-128 number written so it reads right to left (1..5 bytes). Encodings:
//              0xxxxxxx 7-bit uint | 10xxxxxx 6-bit-length string | 110xxxxx + 1 byte 13-bit
//              int | 1110xxxx + 1 byte 12-bit-length string | 0xF0 + u32 LE length string |
//              0xF1/F2/F3/F4 + 2/3/4/8 bytes LE int.
//   ziplist    [total bytes: u32 LE][tail offset: u32 LE][count: u16 LE] entries... [0xFF]
//              entry = previous entry's size (1 byte < 254, or 0xFE + u32 LE), encoding, data.
//              Strings: 00xxxxxx | 01xxxxxx + 1 byte (14-bit BE) | 10______ + u32 BE. Integers:
//              0xC0 i16, 0xD0 i32, 0xE0 i64, 0xF0 i24, 0xFE i8 (LE), 0xF1..0xFD immediate 0..12.
//              Redis 7.0 no longer writes ziplists but still loads them (older RDB types).
//   intset     [width: u32 LE, 2/4/8][count: u32 LE] members, LE signed, strictly ascending.
//   zipmap     [count: u8, 254 = unknown] (len field len free value [free bytes])... [0xFF]
//              len = 1 byte < 254, or 254 + u32 LE; free = 1 byte of unused bytes after the
//              value. Redis 2.4's small hashes; 7.0 still loads them.
//
// Readers check everything a hostile blob could get wrong, as Redis's deep sanitization does
// (sizes in the header against the blob, every entry within bounds and its back length
// consistent, the count, the terminator, the ziplist tail offset and previous-entry sizes,
// the intset's order) and never read outside the blob. They visit elements as bytes
// (integers as their decimal text) and stop at the first invalid byte or the first `false`
// from the visitor; elements before that point have already been visited.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/function_ref.h"

namespace eddy::kv::rdb {

// Appends one Redis listpack to a string: begin, append each element, finish.
class ListpackWriter {
 public:
  explicit ListpackWriter(std::string* out);
  // Canonical int64 text is stored in an integer encoding, as Redis's lpAppend does.
  void append(std::string_view element);
  void append_int(std::int64_t number);
  // Writes the terminator and the header; no append after.
  void finish();

 private:
  void append_backlen(std::size_t entry_bytes);

  std::string* out_;
  std::size_t start_;
  std::size_t count_ = 0;
};

// The encoded size of a listpack entry's back length (Redis's boundaries, including its
// 16383 quirk), shared by writer and reader so the two always agree.
std::size_t listpack_backlen_bytes(std::size_t entry_bytes);

bool for_each_listpack_entry(std::string_view blob, FunctionRef<bool(std::string_view)> visit);
bool for_each_ziplist_entry(std::string_view blob, FunctionRef<bool(std::string_view)> visit);
bool for_each_zipmap_pair(std::string_view blob,
                          FunctionRef<bool(std::string_view, std::string_view)> visit);
bool for_each_intset_member(std::string_view blob, FunctionRef<bool(std::int64_t)> visit);

// Appends the intset blob of `count` ascending members of `width` (2, 4 or 8) bytes each,
// `member(i)` giving the i-th.
void write_intset(std::string* out, unsigned width, std::size_t count,
                  FunctionRef<std::int64_t(std::size_t)> member);

}  // namespace eddy::kv::rdb

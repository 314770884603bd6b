#include "engine/kv/rdb_blobs.h"

#include <cstring>

#include "engine/base/assert.h"
#include "engine/kv/value.h"

namespace eddy::kv::rdb {

namespace {

constexpr std::size_t kListpackHeaderBytes = 6;
constexpr std::uint32_t kListpackCountUnknown = 65535;
constexpr unsigned char kListpackEnd = 0xFF;
constexpr std::size_t kZiplistHeaderBytes = 10;
constexpr unsigned char kZiplistEnd = 0xFF;
constexpr unsigned char kZiplistBigPrevlen = 0xFE;
constexpr std::size_t kIntsetHeaderBytes = 8;

std::uint64_t load_le(const unsigned char* p, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value |= std::uint64_t{p[i]} << (8 * i);
  return value;
}

void store_le(std::string* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// The low `bits` bits of `raw` as a two's-complement number.
std::int64_t sign_extend(std::uint64_t raw, unsigned bits) {
  if (bits == 64) return static_cast<std::int64_t>(raw);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  raw &= (sign << 1) - 1;
  return (raw & sign) != 0 ? static_cast<std::int64_t>(raw) - static_cast<std::int64_t>(sign << 1)
                           : static_cast<std::int64_t>(raw);
}

// Writes the back length of an entry of `entry_bytes` into `buf` (5 bytes room) and returns
// its size: the most significant group first, every byte but the first flagged with 0x80, so
// a reader starting from the entry's last byte walks left until a byte without the flag.
std::size_t encode_backlen(unsigned char* buf, std::size_t entry_bytes) {
  const std::size_t size = listpack_backlen_bytes(entry_bytes);
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t shift = 7 * (size - 1 - i);
    buf[i] = static_cast<unsigned char>(((entry_bytes >> shift) & 127) | (i == 0 ? 0 : 128));
  }
  return size;
}

}  // namespace

std::size_t listpack_backlen_bytes(std::size_t entry_bytes) {
  if (entry_bytes <= 127) return 1;
  if (entry_bytes < 16383) return 2;
  if (entry_bytes < 2097151) return 3;
  if (entry_bytes < 268435455) return 4;
  return 5;
}

// ---------------------------------------------------------------------------------------------
// Listpack writer.

ListpackWriter::ListpackWriter(std::string* out) : out_(out), start_(out->size()) {
  out_->append(kListpackHeaderBytes, '\0');
}

void ListpackWriter::append_backlen(std::size_t entry_bytes) {
  unsigned char buf[5];
  const std::size_t size = encode_backlen(buf, entry_bytes);
  out_->append(reinterpret_cast<const char*>(buf), size);
  ++count_;
}

void ListpackWriter::append_int(std::int64_t number) {
  std::size_t entry_bytes;
  if (number >= 0 && number <= 127) {
    out_->push_back(static_cast<char>(number));
    entry_bytes = 1;
  } else if (number >= -4096 && number <= 4095) {
    const auto raw = static_cast<std::uint64_t>(number) & 0x1fff;
    out_->push_back(static_cast<char>(0xC0 | (raw >> 8)));
    out_->push_back(static_cast<char>(raw & 0xff));
    entry_bytes = 2;
  } else {
    unsigned char tag;
    std::size_t bytes;
    if (number >= -32768 && number <= 32767) {
      tag = 0xF1;
      bytes = 2;
    } else if (number >= -8388608 && number <= 8388607) {
      tag = 0xF2;
      bytes = 3;
    } else if (number >= -2147483648LL && number <= 2147483647LL) {
      tag = 0xF3;
      bytes = 4;
    } else {
      tag = 0xF4;
      bytes = 8;
    }
    out_->push_back(static_cast<char>(tag));
    store_le(out_, static_cast<std::uint64_t>(number), bytes);
    entry_bytes = 1 + bytes;
  }
  append_backlen(entry_bytes);
}

void ListpackWriter::append(std::string_view element) {
  std::int64_t number;
  if (Value::parse_canonical_int(element, &number)) {
    append_int(number);
    return;
  }
  const std::size_t length = element.size();
  ASSERT_LE(length, std::size_t{0xFFFFFFFF});
  std::size_t header;
  if (length < 64) {
    out_->push_back(static_cast<char>(0x80 | length));
    header = 1;
  } else if (length < 4096) {
    out_->push_back(static_cast<char>(0xE0 | (length >> 8)));
    out_->push_back(static_cast<char>(length & 0xff));
    header = 2;
  } else {
    out_->push_back(static_cast<char>(0xF0));
    store_le(out_, length, 4);
    header = 5;
  }
  out_->append(element);
  append_backlen(header + length);
}

void ListpackWriter::finish() {
  out_->push_back(static_cast<char>(kListpackEnd));
  const std::size_t total = out_->size() - start_;
  ASSERT_LE(total, std::size_t{0xFFFFFFFF});
  const std::uint32_t count =
      count_ < kListpackCountUnknown ? static_cast<std::uint32_t>(count_) : kListpackCountUnknown;
  char* header = out_->data() + start_;
  for (int i = 0; i < 4; ++i) header[i] = static_cast<char>((total >> (8 * i)) & 0xff);
  header[4] = static_cast<char>(count & 0xff);
  header[5] = static_cast<char>(count >> 8);
}

// ---------------------------------------------------------------------------------------------
// Listpack reader.

bool for_each_listpack_entry(std::string_view blob, FunctionRef<bool(std::string_view)> visit) {
  const auto* lp = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t size = blob.size();
  if (size < kListpackHeaderBytes + 1) return false;
  if (load_le(lp, 4) != size) return false;
  if (lp[size - 1] != kListpackEnd) return false;
  const std::uint32_t header_count = static_cast<std::uint32_t>(load_le(lp + 4, 2));
  // Every entry must end before the terminator (the blob's last byte).
  const std::size_t end = size - 1;
  std::size_t p = kListpackHeaderBytes;
  std::size_t count = 0;
  char scratch[Value::kIntScratchBytes];
  while (lp[p] != kListpackEnd) {
    const unsigned char tag = lp[p];
    // What the first byte says: the bytes of encoding that hold the length, and for integers
    // the value's width.
    std::size_t header = 1;
    std::size_t length = 0;  // string bytes, or integer bytes after the tag
    bool is_string = false;
    unsigned int_bits = 0;
    if (tag < 0x80) {
      int_bits = 7;
    } else if ((tag & 0xC0) == 0x80) {
      is_string = true;
      length = tag & 0x3F;
    } else if ((tag & 0xE0) == 0xC0) {
      int_bits = 13;
      length = 1;
    } else if ((tag & 0xF0) == 0xE0) {
      is_string = true;
      header = 2;
    } else if (tag == 0xF0) {
      is_string = true;
      header = 5;
    } else if (tag >= 0xF1 && tag <= 0xF4) {
      static constexpr unsigned kBits[] = {16, 24, 32, 64};
      int_bits = kBits[tag - 0xF1];
      length = int_bits / 8;
    } else {
      return false;  // 0xF5..0xFE encode nothing
    }
    if (end - p < header) return false;
    if (header == 2) length = (std::size_t{tag} & 0x0F) << 8 | lp[p + 1];
    if (header == 5) length = load_le(lp + p + 1, 4);
    const std::size_t entry_bytes = header + length;
    const std::size_t backlen = listpack_backlen_bytes(entry_bytes);
    if (end - p < entry_bytes + backlen) return false;
    unsigned char expected[5];
    encode_backlen(expected, entry_bytes);
    if (std::memcmp(expected, lp + p + entry_bytes, backlen) != 0) return false;

    std::string_view element;
    if (is_string) {
      element = std::string_view(reinterpret_cast<const char*>(lp + p + header), length);
    } else {
      std::uint64_t raw;
      if (int_bits == 7) {
        raw = tag;
      } else if (int_bits == 13) {
        raw = (std::uint64_t{tag} & 0x1F) << 8 | lp[p + 1];
      } else {
        raw = load_le(lp + p + 1, length);
      }
      element = Value::format_int(sign_extend(raw, int_bits == 7 ? 8 : int_bits), scratch);
    }
    p += entry_bytes + backlen;
    ++count;
    if (!visit(element)) return false;
  }
  if (p != end) return false;  // a 0xFF where an entry should start
  if (header_count != kListpackCountUnknown && header_count != count) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Ziplist reader.

bool for_each_ziplist_entry(std::string_view blob, FunctionRef<bool(std::string_view)> visit) {
  const auto* zl = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t size = blob.size();
  if (size < kZiplistHeaderBytes + 1) return false;
  if (load_le(zl, 4) != size) return false;
  if (zl[size - 1] != kZiplistEnd) return false;
  const std::size_t tail = load_le(zl + 4, 4);
  if (tail > size - 1) return false;
  const std::uint32_t header_count = static_cast<std::uint32_t>(load_le(zl + 8, 2));
  const std::size_t end = size - 1;
  std::size_t p = kZiplistHeaderBytes;
  std::size_t previous_bytes = 0;
  std::size_t last_entry = 0;
  std::size_t count = 0;
  char scratch[Value::kIntScratchBytes];
  while (zl[p] != kZiplistEnd) {
    const std::size_t prevlen_bytes = zl[p] == kZiplistBigPrevlen ? 5 : 1;
    if (end - p <= prevlen_bytes) return false;
    const std::size_t prevlen = prevlen_bytes == 1 ? zl[p] : load_le(zl + p + 1, 4);
    if (prevlen != previous_bytes) return false;
    const std::size_t at = p + prevlen_bytes;  // the encoding byte
    unsigned char tag = zl[at];
    std::size_t header = 1;
    std::size_t length = 0;
    bool is_string = false;
    if (tag < 0xC0) {
      is_string = true;
      tag &= 0xC0;
      header = tag == 0x00 ? 1 : (tag == 0x40 ? 2 : 5);
    } else if (tag == 0xC0) {
      length = 2;
    } else if (tag == 0xD0) {
      length = 4;
    } else if (tag == 0xE0) {
      length = 8;
    } else if (tag == 0xF0) {
      length = 3;
    } else if (tag == 0xFE) {
      length = 1;
    } else if (tag >= 0xF1 && tag <= 0xFD) {
      length = 0;
    } else {
      return false;
    }
    if (end - at < header) return false;
    if (is_string) {
      if (header == 1) {
        length = zl[at] & 0x3F;
      } else if (header == 2) {
        length = (std::size_t{zl[at]} & 0x3F) << 8 | zl[at + 1];
      } else {
        length = std::size_t{zl[at + 1]} << 24 | std::size_t{zl[at + 2]} << 16 |
                 std::size_t{zl[at + 3]} << 8 | zl[at + 4];
      }
    }
    if (end - at - header < length) return false;
    std::string_view element;
    if (is_string) {
      element = std::string_view(reinterpret_cast<const char*>(zl + at + header), length);
    } else if (tag >= 0xF1 && tag <= 0xFD) {
      element = Value::format_int((tag & 0x0F) - 1, scratch);
    } else {
      element = Value::format_int(
          sign_extend(load_le(zl + at + 1, length), static_cast<unsigned>(length * 8)), scratch);
    }
    last_entry = p;
    previous_bytes = prevlen_bytes + header + length;
    p += previous_bytes;
    ++count;
    if (!visit(element)) return false;
  }
  if (p != end) return false;
  if (count > 0 && last_entry != tail) return false;
  if (header_count != 65535 && header_count != count) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Zipmap reader.

bool for_each_zipmap_pair(std::string_view blob,
                          FunctionRef<bool(std::string_view, std::string_view)> visit) {
  constexpr unsigned char kBigLength = 254;
  constexpr unsigned char kEnd = 255;
  const auto* zm = reinterpret_cast<const unsigned char*>(blob.data());
  const std::size_t size = blob.size();
  if (size < 2 || zm[size - 1] != kEnd) return false;
  const std::size_t end = size - 1;
  // Reads a length at `p` (which must be < end) into *length and moves p past it.
  auto read_length = [&](std::size_t* p, std::size_t* length) {
    const std::size_t bytes = zm[*p] < kBigLength ? 1 : 5;
    if (end - *p < bytes) return false;
    *length = bytes == 1 ? zm[*p] : load_le(zm + *p + 1, 4);
    *p += bytes;
    return true;
  };
  std::size_t p = 1;
  std::size_t count = 0;
  while (zm[p] != kEnd) {
    std::size_t field_length;
    if (!read_length(&p, &field_length)) return false;
    if (end - p < field_length) return false;
    const std::string_view field(reinterpret_cast<const char*>(zm + p), field_length);
    p += field_length;
    if (p == end) return false;  // a field without its value
    std::size_t value_length;
    if (!read_length(&p, &value_length)) return false;
    if (p == end) return false;  // no room for the free-space byte
    const std::size_t free_bytes = zm[p++];
    if (end - p < value_length || end - p - value_length < free_bytes) return false;
    const std::string_view value(reinterpret_cast<const char*>(zm + p), value_length);
    p += value_length + free_bytes;
    ++count;
    if (!visit(field, value)) return false;
  }
  if (count == 0) return false;
  if (zm[0] != kBigLength && zm[0] != count) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Intset.

bool for_each_intset_member(std::string_view blob, FunctionRef<bool(std::int64_t)> visit) {
  const auto* is = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < kIntsetHeaderBytes) return false;
  const std::uint64_t width = load_le(is, 4);
  if (width != 2 && width != 4 && width != 8) return false;
  const std::uint64_t count = load_le(is + 4, 4);
  if (count == 0 || kIntsetHeaderBytes + count * width != blob.size()) return false;
  std::int64_t previous = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::int64_t member = sign_extend(load_le(is + kIntsetHeaderBytes + i * width, width),
                                            static_cast<unsigned>(width * 8));
    if (i > 0 && member <= previous) return false;
    previous = member;
    if (!visit(member)) return false;
  }
  return true;
}

void write_intset(std::string* out, unsigned width, std::size_t count,
                  FunctionRef<std::int64_t(std::size_t)> member) {
  ASSERT(width == 2 || width == 4 || width == 8);
  ASSERT_LE(count, std::size_t{0xFFFFFFFF});
  store_le(out, width, 4);
  store_le(out, count, 4);
  for (std::size_t i = 0; i < count; ++i)
    store_le(out, static_cast<std::uint64_t>(member(i)), width);
}

}  // namespace eddy::kv::rdb

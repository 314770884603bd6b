#include "engine/kv/rdb_serializer.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/crc64.h"
#include "engine/kv/hash_value.h"
#include "engine/kv/list_value.h"
#include "engine/kv/lzf.h"
#include "engine/kv/rdb_blobs.h"
#include "engine/kv/set_value.h"
#include "engine/kv/zset_value.h"
#include "engine/limits.h"
#include "engine/rng.h"

namespace eddy::kv::rdb {

namespace {

// RDB object types (rdb.h's RDB_TYPE_*): fixed by the file format.
enum ObjectType : std::uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
};

// Quicklist node containers (QUICKLIST_NODE_CONTAINER_*).
constexpr std::uint64_t kContainerPlain = 1;
constexpr std::uint64_t kContainerPacked = 2;

// Length prefixes: the top two bits of the first byte.
constexpr unsigned kLength6Bit = 0;
constexpr unsigned kLength14Bit = 1;
constexpr unsigned char kLength32Bit = 0x80;
constexpr unsigned char kLength64Bit = 0x81;
constexpr unsigned kLengthSpecial = 3;  // a special string encoding follows in the low 6 bits
constexpr unsigned kStringInt8 = 0;
constexpr unsigned kStringInt16 = 1;
constexpr unsigned kStringInt32 = 2;
constexpr unsigned kStringLzf = 3;

// ---------------------------------------------------------------------------------------------
// Writing.

void put_byte(std::string* out, unsigned value) {
  out->push_back(static_cast<char>(value & 0xff));
}

void put_length(std::string* out, std::uint64_t length) {
  if (length < (1u << 6)) {
    put_byte(out, static_cast<unsigned>(length) | (kLength6Bit << 6));
  } else if (length < (1u << 14)) {
    put_byte(out, static_cast<unsigned>(length >> 8) | (kLength14Bit << 6));
    put_byte(out, static_cast<unsigned>(length & 0xff));
  } else if (length <= 0xFFFFFFFFu) {
    put_byte(out, kLength32Bit);
    for (int shift = 24; shift >= 0; shift -= 8)
      put_byte(out, static_cast<unsigned>(length >> shift));
  } else {
    put_byte(out, kLength64Bit);
    for (int shift = 56; shift >= 0; shift -= 8)
      put_byte(out, static_cast<unsigned>(length >> shift));
  }
}

// An integer in RDB's 8/16/32-bit string encodings; false when it needs more bits.
bool put_encoded_int(std::string* out, std::int64_t number) {
  std::size_t bytes;
  unsigned encoding;
  if (number >= -128 && number <= 127) {
    encoding = kStringInt8;
    bytes = 1;
  } else if (number >= -32768 && number <= 32767) {
    encoding = kStringInt16;
    bytes = 2;
  } else if (number >= std::numeric_limits<std::int32_t>::min() &&
             number <= std::numeric_limits<std::int32_t>::max()) {
    encoding = kStringInt32;
    bytes = 4;
  } else {
    return false;
  }
  put_byte(out, (kLengthSpecial << 6) | encoding);
  const auto raw = static_cast<std::uint64_t>(number);
  for (std::size_t i = 0; i < bytes; ++i) put_byte(out, static_cast<unsigned>(raw >> (8 * i)));
  return true;
}

// Bytes as length and bytes, or LZF-compressed when longer than 20 bytes and compression saves
// at least 4 (Redis's rule with rdbcompression on).
void put_bytes(std::string* out, std::string_view bytes) {
  constexpr std::size_t kCompressAbove = 20;
  constexpr std::size_t kMinSaving = 4;
  if (bytes.size() > kCompressAbove) {
    // Compressed straight into `out`; the header, whose size depends on the compressed length,
    // goes in front afterwards (one move of the compressed bytes, no second buffer).
    const std::size_t at = out->size();
    if (lzf_compress(bytes, bytes.size() - kMinSaving, out)) {
      std::string header;
      put_byte(&header, (kLengthSpecial << 6) | kStringLzf);
      put_length(&header, out->size() - at);
      put_length(&header, bytes.size());
      out->insert(at, header);
      return;
    }
  }
  put_length(out, bytes.size());
  out->append(bytes);
}

// Redis's rdbSaveRawString: short canonical integers in an integer encoding, anything else as
// put_bytes.
void put_string(std::string* out, std::string_view bytes) {
  std::int64_t number;
  if (bytes.size() <= 11 && Value::parse_canonical_int(bytes, &number) &&
      put_encoded_int(out, number)) {
    return;
  }
  put_bytes(out, bytes);
}

// A blob (listpack, intset) never reads as a decimal number (each starts with a little-endian
// size or width), so it skips the integer attempt.
void put_blob(std::string* out, std::string_view blob) {
  put_bytes(out, blob);
}

void put_binary_double(std::string* out, double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) put_byte(out, static_cast<unsigned>(bits >> (8 * i)));
}

void dump_string(const Value& value, std::string* out) {
  put_byte(out, kTypeString);
  if (value.is_int()) {
    // Redis's rdbSaveLongLongAsStringObject: an integer encoding, else the decimal text.
    if (put_encoded_int(out, value.as_int())) return;
    char scratch[Value::kIntScratchBytes];
    const std::string_view text = Value::format_int(value.as_int(), scratch);
    put_length(out, text.size());
    out->append(text);
    return;
  }
  char scratch[Value::kIntScratchBytes];
  put_string(out, value.view(scratch));
}

void dump_list(const ListValue& list, std::string* out) {
  put_byte(out, kTypeListQuicklist2);
  put_length(out, list.node_count());
  std::string node;
  ListValue::Cursor at = list.first();
  bool more = true;
  while (more) {
    const std::uint32_t index = at.node;
    node.clear();
    ListpackWriter writer(&node);
    do {
      writer.append(list.get(at));
      more = list.next(at);
    } while (more && at.node == index);
    writer.finish();
    put_length(out, kContainerPacked);
    put_blob(out, node);
  }
}

void dump_set(const SetValue& set, std::string* out) {
  if (!set.is_intset()) {
    put_byte(out, kTypeSet);
    put_length(out, set.size());
    set.for_each([&](std::string_view member) { put_string(out, member); });
    return;
  }
  // The members in ascending order, and the narrowest width that holds them all (what a fresh
  // Redis intset of these members would have).
  std::vector<std::int64_t> members;
  members.reserve(set.size());
  unsigned width = 2;
  set.for_each([&](std::string_view text) {
    std::int64_t number = 0;
    const bool parsed = Value::parse_canonical_int(text, &number);
    ASSERT(parsed);
    if (number < std::numeric_limits<std::int32_t>::min() ||
        number > std::numeric_limits<std::int32_t>::max()) {
      width = 8;
    } else if (width < 4 && (number < -32768 || number > 32767)) {
      width = 4;
    }
    members.push_back(number);
  });
  std::string blob;
  write_intset(&blob, width, members.size(), [&](std::size_t i) { return members[i]; });
  put_byte(out, kTypeSetIntset);
  put_blob(out, blob);
}

void dump_zset(const ZSetValue& zset, std::string* out) {
  if (zset.encoding() == Encoding::kListpack) {
    std::string blob;
    ListpackWriter writer(&blob);
    char score_text[kScoreTextBytes];
    for (ZSetValue::Cursor c = zset.at(0); c.valid(); c.next()) {
      writer.append(c.member());
      writer.append(format_score_listpack(c.score(), score_text));
    }
    writer.finish();
    put_byte(out, kTypeZSetListpack);
    put_blob(out, blob);
    return;
  }
  // Greatest first, as Redis writes a skiplist (loading then inserts at the head each time).
  put_byte(out, kTypeZSet2);
  put_length(out, zset.size());
  for (ZSetValue::Cursor c = zset.at(zset.size() - 1); c.valid(); c.prev()) {
    put_string(out, c.member());
    put_binary_double(out, c.score());
  }
}

void dump_hash(const HashValue& hash, std::string* out) {
  if (hash.is_listpack()) {
    std::string blob;
    ListpackWriter writer(&blob);
    hash.for_each([&](std::string_view field, std::string_view value) {
      writer.append(field);
      writer.append(value);
    });
    writer.finish();
    put_byte(out, kTypeHashListpack);
    put_blob(out, blob);
    return;
  }
  put_byte(out, kTypeHash);
  put_length(out, hash.size());
  hash.for_each([&](std::string_view field, std::string_view value) {
    put_string(out, field);
    put_string(out, value);
  });
}

// ---------------------------------------------------------------------------------------------
// Reading.

// A string read from the payload: a view into the payload when stored raw, else into `bytes`
// (decompressed) or `digits` (an integer encoding's decimal text). One per string that must
// stay alive at once.
struct StringScratch {
  std::string bytes;
  char digits[Value::kIntScratchBytes];
};

class Reader {
 public:
  explicit Reader(std::string_view body) : body_(body) {}

  bool byte(unsigned* out) {
    if (pos_ >= body_.size()) return false;
    *out = static_cast<unsigned char>(body_[pos_++]);
    return true;
  }
  bool take(std::size_t count, std::string_view* out) {
    if (body_.size() - pos_ < count) return false;
    *out = body_.substr(pos_, count);
    pos_ += count;
    return true;
  }

  // rdbLoadLenByRef: a length, or (*special set) a string encoding number in 0..63.
  bool length(std::uint64_t* out, bool* special) {
    unsigned first;
    if (!byte(&first)) return false;
    *special = false;
    const unsigned kind = (first & 0xC0) >> 6;
    if (kind == kLengthSpecial) {
      *special = true;
      *out = first & 0x3F;
    } else if (kind == kLength6Bit) {
      *out = first & 0x3F;
    } else if (kind == kLength14Bit) {
      unsigned second;
      if (!byte(&second)) return false;
      *out = (std::uint64_t{first} & 0x3F) << 8 | second;
    } else if (first == kLength32Bit || first == kLength64Bit) {
      std::string_view raw;
      if (!take(first == kLength32Bit ? 4 : 8, &raw)) return false;
      std::uint64_t value = 0;
      for (char c : raw) value = value << 8 | static_cast<unsigned char>(c);  // big-endian
      *out = value;
    } else {
      return false;  // 0x82..0xBF: no such length
    }
    return true;
  }
  // A count of elements (Redis reads these ignoring the special flag, so 0xC5 counts 5).
  bool count(std::uint64_t* out) {
    bool special;
    return length(out, &special);
  }

  // rdbGenericLoadStringObject.
  bool string(StringScratch& scratch, std::string_view* out) {
    std::uint64_t length_or_encoding;
    bool special;
    if (!length(&length_or_encoding, &special)) return false;
    if (!special) return take(length_or_encoding, out);
    switch (length_or_encoding) {
      case kStringInt8:
      case kStringInt16:
      case kStringInt32: {
        const std::size_t bytes = std::size_t{1} << length_or_encoding;
        std::string_view raw;
        if (!take(bytes, &raw)) return false;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
          value |= std::uint64_t{static_cast<unsigned char>(raw[i])} << (8 * i);
        }
        const unsigned bits = static_cast<unsigned>(bytes * 8);
        const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
        const std::int64_t number = (value & sign) != 0 ? static_cast<std::int64_t>(value) -
                                                              static_cast<std::int64_t>(sign << 1)
                                                        : static_cast<std::int64_t>(value);
        *out = Value::format_int(number, scratch.digits);
        return true;
      }
      case kStringLzf: {
        std::uint64_t compressed_bytes;
        std::uint64_t original_bytes;
        if (!count(&compressed_bytes) || !count(&original_bytes)) return false;
        std::string_view compressed;
        if (!take(compressed_bytes, &compressed)) return false;
        // Bounded before allocating: no more than LZF can make of these bytes, no more than a
        // string may hold.
        if (original_bytes > lzf_max_expansion(compressed.size()) ||
            original_bytes > static_cast<std::uint64_t>(limits::bulk_bytes_max)) {
          return false;
        }
        scratch.bytes.resize(original_bytes);
        if (!lzf_decompress(compressed, scratch.bytes.data(), scratch.bytes.size())) return false;
        *out = scratch.bytes;
        return true;
      }
      default:
        return false;
    }
  }

  bool binary_double(double* out) {
    std::string_view raw;
    if (!take(8, &raw)) return false;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      bits |= std::uint64_t{static_cast<unsigned char>(raw[i])} << (8 * i);
    }
    *out = std::bit_cast<double>(bits);
    return true;
  }

  // rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte, then that many characters of a number;
  // 253, 254 and 255 stand for NaN, +inf and -inf.
  bool text_double(double* out) {
    unsigned length;
    if (!byte(&length)) return false;
    if (length == 255) {
      *out = -std::numeric_limits<double>::infinity();
      return true;
    }
    if (length == 254) {
      *out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (length == 253) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    std::string_view text;
    if (!take(length, &text)) return false;
    char buf[256];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    char* end = nullptr;
    *out = std::strtod(buf, &end);
    return end != buf;  // as sscanf("%lg"): some number at the start
  }

 private:
  std::string_view body_;
  std::size_t pos_ = 0;
};

// A score stored as listpack or ziplist text (or an integer's decimal text): the whole entry
// must be a number. Redis writes these with d2string or as integers, so any of its payloads
// passes; garbage, which Redis would read as 0, is refused.
bool parse_score(std::string_view text, double* out) {
  if (text.empty() || text.size() > 127) return false;
  char buf[128];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  char* end = nullptr;
  const double value = std::strtod(buf, &end);
  if (end != buf + text.size()) return false;
  *out = value;
  return true;
}

// Builds each type through its family's mutators, so thresholds and memory counts are the
// family's own. Each add* returns false for a duplicate (bad data).
class Builder {
 public:
  Builder(const EncodingLimits& limits, Rng& rng)
      : limits_(limits),
        rng_(rng),
        hash_limits_(HashValue::Limits::of(limits)),
        intset_max_(SetValue::intset_entries_max(limits)),
        fill_(EncodingLimits::load(limits.list_max_listpack_size)) {}

  void push(std::string_view element) {
    if (list_ == nullptr) list_ = std::make_unique<ListValue>();
    list_->push(ListValue::End::kTail, element, fill_);
  }
  bool add_member(std::string_view member) {
    if (set_ == nullptr) set_ = SetValue::for_first_member(member);
    return set_->add(member, intset_max_);
  }
  bool add_scored(std::string_view member, double score) {
    if (std::isnan(score)) return false;
    if (zset_ == nullptr) zset_ = std::make_unique<ZSetValue>();
    double unused;
    return zset_->add(score, member, 0, limits_, rng_, &unused) == ZSetValue::AddResult::kAdded;
  }
  bool add_pair(std::string_view field, std::string_view value) {
    if (hash_ == nullptr) hash_ = std::make_unique<HashValue>();
    return hash_->set(field, value, hash_limits_);
  }

  // The value built, or false when nothing was added (Redis refuses empty keys).
  bool finish(Value* out) {
    std::unique_ptr<Collection> built;
    if (list_ != nullptr && !list_->empty()) built = std::move(list_);
    if (set_ != nullptr && !set_->empty()) built = std::move(set_);
    if (zset_ != nullptr && zset_->size() > 0) built = std::move(zset_);
    if (hash_ != nullptr && !hash_->empty()) built = std::move(hash_);
    if (built == nullptr) return false;
    *out = Value::of(std::move(built));
    return true;
  }

 private:
  const EncodingLimits& limits_;
  Rng& rng_;
  HashValue::Limits hash_limits_;
  std::size_t intset_max_;
  std::int64_t fill_;
  std::unique_ptr<ListValue> list_;
  std::unique_ptr<SetValue> set_;
  std::unique_ptr<ZSetValue> zset_;
  std::unique_ptr<HashValue> hash_;
};

// Pairs from a listpack or ziplist blob: even entries are fields (members), odd ones values
// (scores). The field is copied because an integer entry's text lives in a scratch buffer the
// next entry reuses.
template <typename ForEach, typename AddPair>
bool load_pairs(std::string_view blob, ForEach for_each, AddPair add_pair) {
  std::string field;
  bool have_field = false;
  const bool ok = for_each(blob, [&](std::string_view entry) {
    if (!have_field) {
      field.assign(entry);
      have_field = true;
      return true;
    }
    have_field = false;
    return add_pair(std::string_view(field), entry);
  });
  return ok && !have_field;
}

bool load_object(unsigned type, Reader& in, Builder& builder, Value* out) {
  StringScratch first;
  StringScratch second;
  std::string_view a;
  std::string_view b;
  std::uint64_t count;
  switch (type) {
    case kTypeString:
      if (!in.string(first, &a)) return false;
      out->set_string(a);
      return true;
    case kTypeList:
      if (!in.count(&count)) return false;
      for (std::uint64_t i = 0; i < count; ++i) {
        if (!in.string(first, &a)) return false;
        builder.push(a);
      }
      break;
    case kTypeSet:
      if (!in.count(&count)) return false;
      for (std::uint64_t i = 0; i < count; ++i) {
        if (!in.string(first, &a) || !builder.add_member(a)) return false;
      }
      break;
    case kTypeZSet:
    case kTypeZSet2:
      if (!in.count(&count)) return false;
      for (std::uint64_t i = 0; i < count; ++i) {
        double score;
        if (!in.string(first, &a)) return false;
        if (!(type == kTypeZSet2 ? in.binary_double(&score) : in.text_double(&score))) return false;
        if (!builder.add_scored(a, score)) return false;
      }
      break;
    case kTypeHash:
      if (!in.count(&count)) return false;
      for (std::uint64_t i = 0; i < count; ++i) {
        if (!in.string(first, &a) || !in.string(second, &b)) return false;
        if (!builder.add_pair(a, b)) return false;
      }
      break;
    case kTypeListQuicklist:
    case kTypeListQuicklist2: {
      if (!in.count(&count)) return false;
      for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t container = kContainerPacked;
        if (type == kTypeListQuicklist2) {
          if (!in.count(&container)) return false;
          if (container != kContainerPacked && container != kContainerPlain) return false;
        }
        if (!in.string(first, &a) || a.empty()) return false;
        if (container == kContainerPlain) {
          builder.push(a);
          continue;
        }
        const auto push = [&](std::string_view element) {
          builder.push(element);
          return true;
        };
        // Empty nodes are skipped (an all-empty list is refused at the end), as in Redis.
        if (!(type == kTypeListQuicklist2 ? for_each_listpack_entry(a, push)
                                          : for_each_ziplist_entry(a, push))) {
          return false;
        }
      }
      break;
    }
    case kTypeListZiplist:
      if (!in.string(first, &a)) return false;
      if (!for_each_ziplist_entry(a, [&](std::string_view element) {
            builder.push(element);
            return true;
          })) {
        return false;
      }
      break;
    case kTypeSetIntset: {
      if (!in.string(first, &a)) return false;
      char digits[Value::kIntScratchBytes];
      if (!for_each_intset_member(a, [&](std::int64_t member) {
            return builder.add_member(Value::format_int(member, digits));
          })) {
        return false;
      }
      break;
    }
    case kTypeZSetZiplist:
    case kTypeZSetListpack: {
      if (!in.string(first, &a)) return false;
      const auto add = [&](std::string_view member, std::string_view score_text) {
        double score;
        return parse_score(score_text, &score) && builder.add_scored(member, score);
      };
      const bool ok = type == kTypeZSetListpack ? load_pairs(a, for_each_listpack_entry, add)
                                                : load_pairs(a, for_each_ziplist_entry, add);
      if (!ok) return false;
      break;
    }
    case kTypeHashZiplist:
    case kTypeHashListpack: {
      if (!in.string(first, &a)) return false;
      const auto add = [&](std::string_view field, std::string_view value) {
        return builder.add_pair(field, value);
      };
      const bool ok = type == kTypeHashListpack ? load_pairs(a, for_each_listpack_entry, add)
                                                : load_pairs(a, for_each_ziplist_entry, add);
      if (!ok) return false;
      break;
    }
    case kTypeHashZipmap:
      if (!in.string(first, &a)) return false;
      if (!for_each_zipmap_pair(a, [&](std::string_view field, std::string_view value) {
            return builder.add_pair(field, value);
          })) {
        return false;
      }
      break;
    default:
      // Streams (15, 19), modules (6, 7) and numbers that name no object type.
      return false;
  }
  return builder.finish(out);
}

}  // namespace

void dump_payload(const Value& value, std::string* out) {
  const std::size_t start = out->size();
  switch (value.type()) {
    case Type::kString:
      dump_string(value, out);
      break;
    case Type::kList:
      dump_list(value.as<ListValue>(), out);
      break;
    case Type::kSet:
      dump_set(value.as<SetValue>(), out);
      break;
    case Type::kZSet:
      dump_zset(value.as<ZSetValue>(), out);
      break;
    case Type::kHash:
      dump_hash(value.as<HashValue>(), out);
      break;
  }
  put_byte(out, kRdbVersion & 0xff);
  put_byte(out, kRdbVersion >> 8);
  const std::uint64_t crc = crc64_jones(0, std::string_view(*out).substr(start));
  for (int i = 0; i < 8; ++i) put_byte(out, static_cast<unsigned>(crc >> (8 * i)));
}

bool payload_footer_valid(std::string_view payload) {
  if (payload.size() < kFooterBytes) return false;
  const std::size_t footer = payload.size() - kFooterBytes;
  const unsigned version = static_cast<unsigned char>(payload[footer]) |
                           static_cast<unsigned>(static_cast<unsigned char>(payload[footer + 1]))
                               << 8;
  if (version > kRdbVersion) return false;
  const std::uint64_t crc = crc64_jones(0, payload.substr(0, payload.size() - 8));
  for (int i = 0; i < 8; ++i) {
    if (static_cast<unsigned char>(payload[footer + 2 + i]) != ((crc >> (8 * i)) & 0xff)) {
      return false;
    }
  }
  return true;
}

bool load_payload(std::string_view payload, const EncodingLimits& limits, Rng& rng, Value* out) {
  ASSERT_GE(payload.size(), kFooterBytes);
  // The object may not reach into the footer.
  Reader in(payload.substr(0, payload.size() - kFooterBytes));
  unsigned type;
  if (!in.byte(&type)) return false;
  Builder builder(limits, rng);
  Value value;
  if (!load_object(type, in, builder, &value)) return false;
  *out = std::move(value);
  return true;
}

}  // namespace eddy::kv::rdb

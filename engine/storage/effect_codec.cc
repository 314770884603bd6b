#include "engine/storage/effect_codec.h"

#include "engine/base/assert.h"
#include "engine/limits.h"

namespace eddy::storage {

namespace {

constexpr std::string_view kHeaderMagic = "eddy-aof";

void put_varint(std::string* out, std::uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// Reads from a payload that is not trusted: every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool varint(std::uint64_t* out) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) return false;
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      // The tenth byte may carry only the top bit.
      if (shift == 63 && byte > 1) return false;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }
  bool bytes(std::uint64_t length, std::string_view* out) {
    if (length > remaining()) return false;
    *out = bytes_.substr(at_, static_cast<std::size_t>(length));
    at_ += static_cast<std::size_t>(length);
    return true;
  }
  std::uint64_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace

void encode_batch(const EffectBatch& batch, std::string* out) {
  ASSERT_GE(batch.tx_parts, 1u);
  out->push_back('B');
  put_varint(out, batch.shard);
  put_varint(out, batch.tx_id);
  put_varint(out, batch.tx_parts);
  put_varint(out, zigzag(batch.now_ms));
  put_varint(out, batch.effects.size());
  for (const Effect& effect : batch.effects) {
    ASSERT(!effect.args.empty());
    put_varint(out, effect.db);
    put_varint(out, effect.args.size());
    for (std::string_view arg : effect.args) {
      put_varint(out, arg.size());
      out->append(arg);
    }
  }
}

bool decode_batch(std::string_view payload, DecodedBatch* out, std::string* error) {
  out->effects.clear();
  out->args.clear();
  if (record_kind(payload) != 'B') {
    *error = "not an effect batch record";
    return false;
  }
  Reader in(payload.substr(1));
  std::uint64_t shard = 0;
  std::uint64_t tx_id = 0;
  std::uint64_t tx_parts = 0;
  std::uint64_t now = 0;
  std::uint64_t count = 0;
  if (!in.varint(&shard) || !in.varint(&tx_id) || !in.varint(&tx_parts) || !in.varint(&now) ||
      !in.varint(&count)) {
    *error = "truncated batch header";
    return false;
  }
  if (shard >= limits::shards_max) {
    *error = "shard " + std::to_string(shard) + " out of range";
    return false;
  }
  if (tx_parts < 1 || tx_parts > limits::shards_max || (tx_id == 0 && tx_parts != 1)) {
    *error = "bad transaction parts " + std::to_string(tx_parts);
    return false;
  }
  // Each effect takes at least three bytes (db, count, one length): a count beyond that is a lie
  // that must not size a reservation. Only a transaction's part may be empty (a shard it
  // touched but did not change).
  if ((count == 0 && tx_id == 0) || count > in.remaining() / 3) {
    *error = "bad effect count " + std::to_string(count);
    return false;
  }
  out->shard = static_cast<std::uint32_t>(shard);
  out->tx_id = tx_id;
  out->tx_parts = static_cast<std::uint32_t>(tx_parts);
  out->now_ms = unzigzag(now);
  // First the arguments (their vector must not move once effects point into it).
  std::vector<std::pair<std::uint16_t, std::pair<std::size_t, std::size_t>>> spans;
  spans.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t e = 0; e < count; ++e) {
    std::uint64_t db = 0;
    std::uint64_t argc = 0;
    if (!in.varint(&db) || !in.varint(&argc)) {
      *error = "truncated effect " + std::to_string(e);
      return false;
    }
    if (db >= limits::databases) {
      *error = "database " + std::to_string(db) + " out of range";
      return false;
    }
    if (argc == 0 || argc > kEffectArgsMax || argc > in.remaining()) {
      *error = "bad argument count " + std::to_string(argc);
      return false;
    }
    const std::size_t first = out->args.size();
    for (std::uint64_t a = 0; a < argc; ++a) {
      std::uint64_t length = 0;
      std::string_view arg;
      if (!in.varint(&length) || !in.bytes(length, &arg)) {
        *error = "truncated argument " + std::to_string(a) + " of effect " + std::to_string(e);
        return false;
      }
      out->args.push_back(arg);
    }
    spans.push_back({static_cast<std::uint16_t>(db), {first, static_cast<std::size_t>(argc)}});
  }
  if (in.remaining() != 0) {
    *error = std::to_string(in.remaining()) + " bytes after the last effect";
    return false;
  }
  out->effects.reserve(spans.size());
  for (const auto& [db, span] : spans) {
    out->effects.push_back(
        Effect{db, std::span<const std::string_view>(out->args).subspan(span.first, span.second)});
  }
  return true;
}

void encode_header(const LogHeader& header, std::string* out) {
  out->push_back('H');
  out->append(kHeaderMagic);
  out->push_back(static_cast<char>(kLogFormatVersion));
  put_varint(out, header.shard);
  put_varint(out, header.shard_count);
}

bool decode_header(std::string_view payload, LogHeader* out, std::string* error) {
  if (record_kind(payload) != 'H' || payload.substr(1, kHeaderMagic.size()) != kHeaderMagic) {
    *error = "not an eddy append-only log (no header record)";
    return false;
  }
  Reader in(payload.substr(1 + kHeaderMagic.size()));
  std::string_view version;
  std::uint64_t shard = 0;
  std::uint64_t count = 0;
  if (!in.bytes(1, &version) || !in.varint(&shard) || !in.varint(&count) || in.remaining() != 0) {
    *error = "malformed log header";
    return false;
  }
  if (static_cast<std::uint8_t>(version[0]) != kLogFormatVersion) {
    *error = "log format version " + std::to_string(static_cast<std::uint8_t>(version[0])) +
             " (this eddy reads version " + std::to_string(kLogFormatVersion) + ")";
    return false;
  }
  if (count < 1 || count > limits::shards_max || shard >= count) {
    *error = "bad shard " + std::to_string(shard) + " of " + std::to_string(count);
    return false;
  }
  out->shard = static_cast<std::uint32_t>(shard);
  out->shard_count = static_cast<std::uint32_t>(count);
  return true;
}

}  // namespace eddy::storage

#include "engine/storage/snapshot_format.h"

#include <lz4.h>
#include <xxhash.h>

#include <charconv>
#include <cstring>

#include "engine/base/assert.h"
#include "engine/limits.h"

namespace eddy::storage {

namespace {

constexpr std::string_view kHeaderMagic = "eddy-snap";
constexpr std::uint8_t kCodecRaw = 0;
constexpr std::uint8_t kCodecLz4 = 1;
// A manifest names at most this many files (shards), and its lines are short.
constexpr std::size_t kManifestFilesMax = 4096;

void put_u32(std::uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}
void put_u64(std::uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}
std::uint32_t get_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}
std::uint64_t get_u64(const char* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

std::uint64_t block_checksum(const char* header, std::string_view stored) {
  // The seed covers the lengths, kind and codec (header bytes 0..11).
  const std::uint64_t seed = get_u64(header) ^ (std::uint64_t{get_u32(header + 8)} << 17);
  return XXH3_64bits_withSeed(stored.data(), stored.size(), seed);
}

std::string hex64(std::uint64_t value) {
  char text[17];
  for (int i = 15; i >= 0; --i) {
    text[i] = "0123456789abcdef"[value & 0xF];
    value >>= 4;
  }
  return std::string(text, 16);
}

bool parse_u64(std::string_view text, std::uint64_t* out, int base = 10) {
  if (text.empty() || text.size() > 20) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

void append_varint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool read_varint(std::string_view bytes, std::size_t* pos, std::uint64_t* value) {
  std::uint64_t result = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (*pos >= bytes.size()) return false;
    const auto byte = static_cast<unsigned char>(bytes[(*pos)++]);
    if (shift == 63 && (byte & 0x7E) != 0) return false;  // more than 64 bits
    result |= std::uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

void append_block(BlockKind kind, std::string_view raw, std::string* out) {
  ASSERT_LE(raw.size(), std::size_t{kSnapshotBlockRawMaxBytes});
  const std::size_t header_at = out->size();
  out->resize(header_at + kSnapshotBlockHeaderBytes);
  std::uint8_t codec = kCodecRaw;
  std::size_t stored = raw.size();
  if (raw.size() >= 64) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out->resize(header_at + kSnapshotBlockHeaderBytes + static_cast<std::size_t>(bound));
    const int compressed =
        LZ4_compress_default(raw.data(), out->data() + header_at + kSnapshotBlockHeaderBytes,
                             static_cast<int>(raw.size()), bound);
    if (compressed > 0 && static_cast<std::size_t>(compressed) < raw.size()) {
      codec = kCodecLz4;
      stored = static_cast<std::size_t>(compressed);
    }
  }
  if (codec == kCodecRaw) {
    out->resize(header_at + kSnapshotBlockHeaderBytes);
    out->append(raw);
  } else {
    out->resize(header_at + kSnapshotBlockHeaderBytes + stored);
  }
  char* header = out->data() + header_at;
  put_u32(static_cast<std::uint32_t>(stored), header);
  put_u32(static_cast<std::uint32_t>(raw.size()), header + 4);
  header[8] = static_cast<char>(kind);
  header[9] = static_cast<char>(codec);
  header[10] = 0;
  header[11] = 0;
  const std::string_view stored_bytes(header + kSnapshotBlockHeaderBytes, stored);
  put_u64(block_checksum(header, stored_bytes), header + 12);
}

bool parse_block_header(std::string_view header, BlockHeader* out, std::string* error) {
  if (header.size() != kSnapshotBlockHeaderBytes) {
    *error = "incomplete block header";
    return false;
  }
  out->stored_bytes = get_u32(header.data());
  out->raw_bytes = get_u32(header.data() + 4);
  const auto kind = static_cast<unsigned char>(header[8]);
  out->codec = static_cast<std::uint8_t>(header[9]);
  out->checksum = get_u64(header.data() + 12);
  if (kind != 'H' && kind != 'K' && kind != 'E') {
    *error = "unknown block kind";
    return false;
  }
  out->kind = static_cast<BlockKind>(kind);
  if (header[10] != 0 || header[11] != 0 || out->codec > kCodecLz4) {
    *error = "bad block codec";
    return false;
  }
  if (out->raw_bytes > kSnapshotBlockRawMaxBytes) {
    *error = "block length out of range";
    return false;
  }
  const std::uint64_t stored_max =
      out->codec == kCodecRaw
          ? out->raw_bytes
          : static_cast<std::uint64_t>(LZ4_compressBound(static_cast<int>(out->raw_bytes)));
  if (out->stored_bytes > stored_max ||
      (out->codec == kCodecRaw && out->stored_bytes != out->raw_bytes)) {
    *error = "block length out of range";
    return false;
  }
  return true;
}

bool open_block(std::string_view header_bytes, const BlockHeader& header, std::string_view stored,
                std::string* raw, std::string* error) {
  ASSERT_EQ(header_bytes.size(), kSnapshotBlockHeaderBytes);
  ASSERT_EQ(stored.size(), std::size_t{header.stored_bytes});
  if (block_checksum(header_bytes.data(), stored) != header.checksum) {
    *error = "checksum mismatch";
    return false;
  }
  if (header.codec == kCodecRaw) {
    raw->assign(stored);
    return true;
  }
  // LZ4 expands at most ~255 times: a larger claim is damage (or hostile), refused before the
  // allocation it would cost.
  if (std::uint64_t{header.raw_bytes} > std::uint64_t{header.stored_bytes} * 255 + 16) {
    *error = "LZ4 block claims more bytes than its data can hold";
    return false;
  }
  raw->resize(header.raw_bytes);
  const int decoded =
      LZ4_decompress_safe(stored.data(), raw->data(), static_cast<int>(stored.size()),
                          static_cast<int>(header.raw_bytes));
  if (decoded < 0 || static_cast<std::uint32_t>(decoded) != header.raw_bytes) {
    *error = "LZ4 data does not decode to the block's length";
    return false;
  }
  return true;
}

void encode_header(const SnapshotHeader& header, std::string* raw) {
  raw->append(kHeaderMagic);
  raw->push_back(static_cast<char>(kSnapshotFormatVersion));
  append_varint(header.shard, raw);
  append_varint(header.shard_count, raw);
  append_varint(header.generation, raw);
  append_varint(static_cast<std::uint64_t>(header.saved_unix_ms), raw);
}

bool decode_header(std::string_view raw, SnapshotHeader* out, std::string* error) {
  if (raw.substr(0, kHeaderMagic.size()) != kHeaderMagic || raw.size() < kHeaderMagic.size() + 1) {
    *error = "not an eddy snapshot file";
    return false;
  }
  if (static_cast<std::uint8_t>(raw[kHeaderMagic.size()]) != kSnapshotFormatVersion) {
    *error = "unknown snapshot format version";
    return false;
  }
  std::size_t pos = kHeaderMagic.size() + 1;
  std::uint64_t shard = 0, shard_count = 0, generation = 0, saved = 0;
  if (!read_varint(raw, &pos, &shard) || !read_varint(raw, &pos, &shard_count) ||
      !read_varint(raw, &pos, &generation) || !read_varint(raw, &pos, &saved) ||
      pos != raw.size() || shard_count == 0 || shard_count > kManifestFilesMax ||
      shard >= shard_count || saved > (std::uint64_t{1} << 62)) {
    *error = "bad snapshot header";
    return false;
  }
  out->shard = static_cast<std::uint32_t>(shard);
  out->shard_count = static_cast<std::uint32_t>(shard_count);
  out->generation = generation;
  out->saved_unix_ms = static_cast<std::int64_t>(saved);
  return true;
}

void append_entry(int db, std::string_view key, std::int64_t deadline_ms, std::string_view payload,
                  std::string* raw) {
  ASSERT_GE(deadline_ms, 0);
  append_varint(static_cast<std::uint64_t>(db), raw);
  append_varint(key.size(), raw);
  raw->append(key);
  append_varint(static_cast<std::uint64_t>(deadline_ms), raw);
  append_varint(payload.size(), raw);
  raw->append(payload);
}

bool decode_entry(std::string_view raw, std::size_t* pos, DecodedEntry* out, std::string* error) {
  std::uint64_t db = 0, key_bytes = 0, deadline = 0, payload_bytes = 0;
  if (!read_varint(raw, pos, &db) || db >= limits::databases) {
    *error = "bad database index in entry";
    return false;
  }
  if (!read_varint(raw, pos, &key_bytes) || key_bytes > raw.size() - *pos) {
    *error = "bad key length in entry";
    return false;
  }
  out->key = raw.substr(*pos, key_bytes);
  *pos += key_bytes;
  if (!read_varint(raw, pos, &deadline) || deadline > (std::uint64_t{1} << 62)) {
    *error = "bad deadline in entry";
    return false;
  }
  if (!read_varint(raw, pos, &payload_bytes) || payload_bytes > raw.size() - *pos) {
    *error = "bad value length in entry";
    return false;
  }
  out->payload = raw.substr(*pos, payload_bytes);
  *pos += payload_bytes;
  out->db = static_cast<std::uint32_t>(db);
  out->deadline_ms = static_cast<std::int64_t>(deadline);
  return true;
}

void encode_end(std::uint64_t entries, std::uint64_t blocks, std::string* raw) {
  append_varint(entries, raw);
  append_varint(blocks, raw);
}

bool decode_end(std::string_view raw, std::uint64_t* entries, std::uint64_t* blocks,
                std::string* error) {
  std::size_t pos = 0;
  if (!read_varint(raw, &pos, entries) || !read_varint(raw, &pos, blocks) || pos != raw.size()) {
    *error = "bad end block";
    return false;
  }
  return true;
}

std::string encode_manifest(const Manifest& manifest) {
  std::string text = "eddy-snapshot 1\n";
  text += "generation " + std::to_string(manifest.generation) + "\n";
  text += "saved_unix_ms " + std::to_string(manifest.saved_unix_ms) + "\n";
  text += "shards " + std::to_string(manifest.files.size()) + "\n";
  for (const ManifestFile& file : manifest.files) {
    text += "file " + file.name + " " + std::to_string(file.bytes) + " " + hex64(file.hash) + "\n";
  }
  text += "end " + hex64(XXH3_64bits(text.data(), text.size())) + "\n";
  return text;
}

bool decode_manifest(std::string_view text, Manifest* out, std::string* error) {
  // Lines, each split at single spaces.
  std::vector<std::vector<std::string_view>> lines;
  std::size_t at = 0;
  std::size_t end_line_at = std::string_view::npos;
  while (at < text.size()) {
    const std::size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos) {
      *error = "the manifest's last line is incomplete";
      return false;
    }
    const std::string_view line = text.substr(at, newline - at);
    std::vector<std::string_view> words;
    std::size_t w = 0;
    while (w <= line.size()) {
      const std::size_t space = std::min(line.find(' ', w), line.size());
      words.push_back(line.substr(w, space - w));
      w = space + 1;
    }
    if (words[0] == "end") end_line_at = at;
    lines.push_back(std::move(words));
    at = newline + 1;
    if (lines.size() > kManifestFilesMax + 8) {
      *error = "the manifest has too many lines";
      return false;
    }
  }
  auto fail = [&](const char* what) {
    *error = std::string("bad manifest: ") + what;
    return false;
  };
  if (lines.size() < 5 || end_line_at == std::string_view::npos) return fail("too short");
  const auto& last = lines.back();
  std::uint64_t hash = 0;
  if (last.size() != 2 || last[0] != "end" || last[1].size() != 16 ||
      !parse_u64(last[1], &hash, 16)) {
    return fail("no end line");
  }
  if (XXH3_64bits(text.data(), end_line_at) != hash) return fail("checksum mismatch");
  if (lines[0].size() != 2 || lines[0][0] != "eddy-snapshot" || lines[0][1] != "1") {
    return fail("unknown format");
  }
  std::uint64_t generation = 0, saved = 0, shards = 0;
  if (lines[1].size() != 2 || lines[1][0] != "generation" || !parse_u64(lines[1][1], &generation) ||
      lines[2].size() != 2 || lines[2][0] != "saved_unix_ms" || !parse_u64(lines[2][1], &saved) ||
      lines[3].size() != 2 || lines[3][0] != "shards" || !parse_u64(lines[3][1], &shards) ||
      shards == 0 || shards > kManifestFilesMax || lines.size() != 5 + shards) {
    return fail("bad fields");
  }
  out->generation = generation;
  out->saved_unix_ms = static_cast<std::int64_t>(saved);
  out->files.clear();
  for (std::size_t i = 0; i < shards; ++i) {
    const auto& words = lines[4 + i];
    ManifestFile file;
    if (words.size() != 4 || words[0] != "file" || words[1].empty() ||
        words[1].find('/') != std::string_view::npos || words[1].size() > 255 ||
        !parse_u64(words[2], &file.bytes) || words[3].size() != 16 ||
        !parse_u64(words[3], &file.hash, 16)) {
      return fail("bad file line");
    }
    file.name = std::string(words[1]);
    out->files.push_back(std::move(file));
  }
  return true;
}

}  // namespace eddy::storage

#pragma once
// The on-disk format of eddy's snapshots (docs/persistence.md, "Snapshots"): one file per
// shard, made of checksummed, LZ4-compressed blocks, and a small manifest that names the shard
// files of one snapshot. Pure functions over bytes: no I/O, every input hostile.
//
// Block (little-endian):
//   u32 stored length | u32 raw length | u8 kind | u8 codec | u16 zero | u64 checksum | stored
// checksum = XXH3-64 of the stored bytes, seeded with the first 12 header bytes (so a damaged
// length, kind or codec fails it too). codec 0 = stored raw, 1 = one LZ4 block (kept only when
// it is smaller). Kinds:
//   'H' header:  "eddy-snap" u8 version varint shard varint shard_count varint generation
//                varint saved_unix_ms
//   'K' entries: (varint db | varint key length | key | varint deadline_ms (0: none)
//                 | varint payload length | DUMP payload)*
//   'E' end:     varint entries varint blocks (the 'K' blocks before it)
// A shard file is one 'H' block, any number of 'K' blocks and one 'E' block ending exactly at
// the end of the file; anything else (a torn tail included) is damage.
//
// Manifest (text, one line each, '\n'):
//   eddy-snapshot 1
//   generation G
//   saved_unix_ms T
//   shards N
//   file NAME BYTES XXH3-HEX      (N lines, shard 0 first)
//   end XXH3-HEX                  (of every byte before this line)
// The per-file hash is XXH3-64 of the whole file: a file that is torn, truncated or replaced
// by another of the same name is refused before a byte of it is loaded.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::storage {

inline constexpr std::size_t kSnapshotBlockHeaderBytes = 20;
// What a writer gathers before it seals a 'K' block (one entry larger than this is a block of
// its own).
inline constexpr std::size_t kSnapshotBlockTargetBytes = 256u << 10;
// The largest raw block a reader accepts: one entry with a value of proto-max-bulk-len
// (512 MB) and its framing, with room to spare; larger lengths are damage.
inline constexpr std::uint32_t kSnapshotBlockRawMaxBytes = 1u << 30;
inline constexpr std::uint8_t kSnapshotFormatVersion = 1;

enum class BlockKind : std::uint8_t { kHeader = 'H', kEntries = 'K', kEnd = 'E' };

// Appends one sealed block holding `raw` to *out (compressed when that saves bytes).
void append_block(BlockKind kind, std::string_view raw, std::string* out);

struct BlockHeader {
  std::uint32_t stored_bytes = 0;
  std::uint32_t raw_bytes = 0;
  BlockKind kind = BlockKind::kEntries;
  std::uint8_t codec = 0;
  std::uint64_t checksum = 0;
};
// Parses and bounds-checks the 20 header bytes; false with *error when they cannot be a block.
bool parse_block_header(std::string_view header, BlockHeader* out, std::string* error);
// Checks the checksum of `stored` (the header's stored_bytes bytes) and decodes it into *raw.
bool open_block(std::string_view header_bytes, const BlockHeader& header, std::string_view stored,
                std::string* raw, std::string* error);

struct SnapshotHeader {
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 0;
  std::uint64_t generation = 0;
  std::int64_t saved_unix_ms = 0;
};
void encode_header(const SnapshotHeader& header, std::string* raw);
bool decode_header(std::string_view raw, SnapshotHeader* out, std::string* error);

void append_varint(std::uint64_t value, std::string* out);
// Reads a varint at *pos of `bytes`; false when it is missing or longer than 10 bytes.
bool read_varint(std::string_view bytes, std::size_t* pos, std::uint64_t* value);

// One entry of a 'K' block.
void append_entry(int db, std::string_view key, std::int64_t deadline_ms, std::string_view payload,
                  std::string* raw);
struct DecodedEntry {
  std::uint32_t db = 0;
  std::string_view key;
  std::int64_t deadline_ms = 0;
  std::string_view payload;
};
// The entry at *pos of a 'K' block's raw bytes; advances *pos.
bool decode_entry(std::string_view raw, std::size_t* pos, DecodedEntry* out, std::string* error);

void encode_end(std::uint64_t entries, std::uint64_t blocks, std::string* raw);
bool decode_end(std::string_view raw, std::uint64_t* entries, std::uint64_t* blocks,
                std::string* error);

struct ManifestFile {
  std::string name;
  std::uint64_t bytes = 0;
  std::uint64_t hash = 0;
};
struct Manifest {
  std::uint64_t generation = 0;
  std::int64_t saved_unix_ms = 0;
  std::vector<ManifestFile> files;  // one per shard, shard 0 first
};
std::string encode_manifest(const Manifest& manifest);
bool decode_manifest(std::string_view text, Manifest* out, std::string* error);

}  // namespace eddy::storage

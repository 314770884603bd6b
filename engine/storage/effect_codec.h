#pragma once
// The payload of one write-ahead-log record: one EffectBatch (engine/write_path.h), encoded
// compactly, and the header record that opens every log file.
//
// Batch payload (varint = LEB128, unsigned; zigzag for the signed clock):
//   u8 'B' | varint shard | varint tx_id | varint tx_parts | zigzag-varint now_ms
//   | varint effect_count | effect*
//   effect = varint db | varint arg_count | (varint length | bytes)*arg_count
// Header payload:
//   u8 'H' | "eddy-aof" | u8 format version | varint shard | varint shard_count
//
// Decoding treats the bytes as hostile (a record passed its checksum, but the checksum is no
// proof that eddy wrote it): every count and length is checked against the bytes that remain
// and against named bounds before anything is reserved, trailing bytes are refused, and a
// refusal says what was wrong. Decoded views point into the payload.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/write_path.h"

namespace eddy::storage {

inline constexpr std::uint8_t kLogFormatVersion = 1;
// An effect's arguments, at most (Redis's multibulk bound).
inline constexpr std::uint64_t kEffectArgsMax = 1024 * 1024;

// Appends the payload of `batch` to *out (no allocation once *out has the capacity).
void encode_batch(const EffectBatch& batch, std::string* out);

struct DecodedBatch {
  std::uint32_t shard = 0;
  std::uint64_t tx_id = 0;
  std::uint32_t tx_parts = 1;
  std::int64_t now_ms = 0;
  std::vector<Effect> effects;
  std::vector<std::string_view> args;  // every effect's arguments, back to back
  // The batch as the write path hands it out; valid while this object and the payload live.
  EffectBatch view() const { return EffectBatch{shard, tx_id, tx_parts, now_ms, effects}; }
};

// False with the reason in *error when `payload` is not one well-formed batch.
bool decode_batch(std::string_view payload, DecodedBatch* out, std::string* error);

struct LogHeader {
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 1;
};
void encode_header(const LogHeader& header, std::string* out);
bool decode_header(std::string_view payload, LogHeader* out, std::string* error);

// What kind of record a payload is ('B', 'H'; 0 for an empty payload).
inline char record_kind(std::string_view payload) {
  return payload.empty() ? '\0' : payload[0];
}

}  // namespace eddy::storage

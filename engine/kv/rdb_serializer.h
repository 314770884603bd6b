#pragma once
// DUMP payloads in Redis 7.0's format (RDB version 10), both ways.
//
// A payload is one RDB object: its type byte, the serialized value, then a footer of the RDB
// version (2 bytes, little-endian) and the CRC-64 (Jones) of everything before the checksum
// (8 bytes, little-endian). Inside, lengths are RDB's 6/14/32/64-bit length prefixes and
// strings are raw bytes, small integers (8/16/32-bit) or LZF-compressed bytes.
//
// Writing emits the object types Redis 7.0 itself writes for each encoding: a string as an
// integer or raw bytes; a list as QUICKLIST_2 (one listpack node per eddy node); a set as
// SET_INTSET or SET; a sorted set as ZSET_LISTPACK or ZSET_2 (binary doubles); a hash as
// HASH_LISTPACK or HASH. Listpacks and intsets are written in Redis's byte formats
// (engine/kv/rdb_blobs.h), so redis-server can load every payload eddy writes. Strings and
// blobs over 20 bytes are LZF-compressed when that saves 4 bytes, as Redis does (with its own
// matcher, so a compressed payload need not be byte-identical to Redis's; uncompressed ones
// are, for the same contents and encoding).
//
// Reading accepts every object type Redis 7.0 can load except streams and modules: strings,
// LIST, LIST_ZIPLIST, LIST_QUICKLIST (ziplist nodes), LIST_QUICKLIST_2 (listpack and plain
// nodes), SET, SET_INTSET, ZSET, ZSET_2, ZSET_ZIPLIST, ZSET_LISTPACK, HASH, HASH_ZIPMAP,
// HASH_ZIPLIST, HASH_LISTPACK. Every payload is hostile: every length and offset is checked
// against the payload before use, blobs are sanitized deeply (as Redis's
// sanitize-dump-payload yes), duplicate fields or members, NaN scores and empty collections are
// refused, and memory is bounded by the payload (a compressed string may promise no more than
// LZF can produce from its bytes, and no more than the 512 MB a string can hold). The value is
// built through each family's own mutators, so it takes the encoding eddy's thresholds call
// for and its memory count is exact.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/kv/encoding_limits.h"
#include "engine/kv/value.h"

namespace eddy {
class Rng;
}

namespace eddy::kv::rdb {

inline constexpr std::uint16_t kRdbVersion = 10;
// The footer: RDB version (2 bytes) and CRC-64 (8 bytes).
inline constexpr std::size_t kFooterBytes = 10;

// Appends the DUMP payload of `value` to `out`.
void dump_payload(const Value& value, std::string* out);

// Redis's verifyDumpPayload: a footer is present, its RDB version is at most ours, and the
// checksum matches.
bool payload_footer_valid(std::string_view payload);

// Builds the value a payload (with a valid footer) describes into *out; false when the payload
// is not a well-formed object of a supported type (RESTORE answers "Bad data format"). Bytes
// after the object, before the footer, are ignored, as Redis ignores them. Two deliberate
// departures, both on payloads Redis never writes: the object must end before the footer
// (Redis reads on into the version and checksum bytes), and an LZF string must decode to exactly
// its promised length (Redis takes any stream that promises 0 bytes).
bool load_payload(std::string_view payload, const EncodingLimits& limits, Rng& rng, Value* out);

}  // namespace eddy::kv::rdb

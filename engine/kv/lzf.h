#pragma once
// LZF, as the RDB format uses it for compressed strings (written from the format, not from
// liblzf's code). A stream is a sequence of
//   literal runs: a control byte 0..31 followed by that many plus one raw bytes;
//   back references: a control byte whose top 3 bits are the length minus 2 (7: one more
//     length byte follows, to add), whose low 5 bits and the next byte are the offset minus 1
//     back from the end of what is already output.
// Every input is hostile: nothing is read or written out of bounds, and a stream that does not
// decode to exactly the promised length is refused.

#include <cstddef>
#include <string>
#include <string_view>

namespace eddy::kv {

// The most output any valid stream of `compressed_bytes` bytes can produce (a 3-byte back
// reference yields at most 264 bytes): a promised length above this cannot be met, so callers
// refuse it before allocating.
constexpr std::size_t lzf_max_expansion(std::size_t compressed_bytes) {
  return compressed_bytes / 3 * 264 + 264;
}

// Decodes `in` into out[0, out_size); true when the stream is well formed, consumed whole, and
// fills exactly out_size bytes.
bool lzf_decompress(std::string_view in, char* out, std::size_t out_size);

// Appends an LZF stream of `in` to `out` when it is at most `max_bytes` long and returns true;
// otherwise leaves `out` as it was and returns false. Greedy matching over a hash of the next
// three bytes: fast and simple, not liblzf's exact output (any valid stream decodes the same).
bool lzf_compress(std::string_view in, std::size_t max_bytes, std::string* out);

}  // namespace eddy::kv

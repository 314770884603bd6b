#pragma once
// HyperLogLog in Redis's own representation, byte for byte, so that a HyperLogLog written by
// Redis (copied over as a plain string) counts the same here and one written here counts the
// same in Redis. An HLL is a string value; nothing here is a new type.
//
// Layout (Redis's hyperloglog.c):
//   header, 16 bytes: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, cached
//                     cardinality (8 bytes little-endian; its top bit set = stale)
//   dense:  16384 registers of 6 bits, packed from the least significant bit of each byte
//           up (register 0 is the low 6 bits of byte 0), 12288 bytes
//   sparse: run-length opcodes over the registers, in order:
//           00nnnnnn            ZERO:  nnnnnn+1 registers (1..64) are 0
//           01nnnnnn mmmmmmmm   XZERO: nnnnnnmmmmmmmm+1 registers (1..16384) are 0
//           1vvvvvcc            VAL:   cc+1 registers (1..4) hold vvvvv+1 (1..32)
//           (letters name bit fields, most significant first)
// Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the
// position of the lowest set bit among the other 50 (plus one) is the value it may raise to.
//
// Every function here takes hostile bytes: a string that passes looks_valid() may still hold
// any opcode sequence. Readers accept a sparse form only when its runs add up to exactly 16384
// registers (stopping at the first run that goes past, so no hostile string costs more than
// 16385 opcodes); they answer "corrupt" otherwise, as Redis (with its CVE-2025-32023 fix) does.
// Writers edit sparse forms the way Redis's hllSparseSet does, quirks included, so the bytes
// after a PFADD are the bytes Redis would hold. One deliberate difference: a sparse form longer
// than any valid one can be (kSparseBytesMax: every register its own 2-byte opcode) is refused
// as corrupt before any edit. Redis would edit such a string in place, moving its whole tail on
// every change (up to 512 MiB per element added); no valid HLL is refused by this. And a
// register covered by a final XZERO that lacks its second byte is refused for writing (see
// hyperloglog.cc: Redis's result there depends on memory past the string's end).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/kv/small_string.h"

namespace eddy::kv::hll {

inline constexpr std::size_t kHeaderBytes = 16;
inline constexpr int kPrecision = 14;
inline constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;  // 16384
inline constexpr int kRegisterBits = 6;
inline constexpr std::size_t kDenseBytes = kHeaderBytes + kRegisters * kRegisterBits / 8;  // 12304
inline constexpr std::uint8_t kSparseValueMax = 32;
inline constexpr std::size_t kSparseBytesMax = kHeaderBytes + 2 * kRegisters;
inline constexpr std::uint64_t kHashSeed = 0xadc83b19ULL;
// Redis's hll-sparse-max-bytes default.
inline constexpr std::int64_t kSparseMaxBytesDefault = 3000;

enum class Encoding : std::uint8_t { kDense = 0, kSparse = 1 };

// Register values, one byte each (merges and multi-key counts).
using Registers = std::array<std::uint8_t, kRegisters>;

// Redis's MurmurHash64A (its endian-neutral variant, identical on little-endian machines).
std::uint64_t murmur_hash64a(std::string_view bytes, std::uint64_t seed);

// Which register an element maps to and the value it would raise it to (1..51).
struct Pattern {
  std::uint32_t index;
  std::uint8_t count;
};
Pattern pattern_of(std::string_view element);

// A new key's value: sparse, every register 0 (one XZERO), cache stale (Redis's createHLLObject
// leaves the cache 0 and valid; PFADD then marks it stale, so a fresh key always reads stale).
std::string_view empty_sparse();

// Redis's isHLLObjectOrReply: at least a header, the magic, a known encoding, and a dense form
// of exactly kDenseBytes. (Redis also refuses int-encoded strings; no decimal can start "HYLL".)
bool looks_valid(std::string_view bytes);
// Requires looks_valid().
Encoding encoding_of(std::string_view bytes);

// The cached cardinality, when the header says it is current.
std::optional<std::uint64_t> cached_cardinality(std::string_view bytes);
void invalidate_cache(char* bytes);
// Stores a current cached cardinality (PFCOUNT does, as in Redis).
void store_cache(char* bytes, std::uint64_t cardinality);

// The estimate from the registers (ignores the cache); nullopt when a sparse form is corrupt.
std::optional<std::uint64_t> count(std::string_view bytes);
std::uint64_t count(const Registers& registers);

// max[i] = max(max[i], register i); false (max partly updated) when a sparse form is corrupt.
bool merge_into(std::string_view bytes, Registers& max);

// What raising register `index` to `count` does (or would do).
enum class SetResult { kUnchanged, kChanged, kCorrupt };

// Would set_register change anything? kChanged is a prediction that set_register may still
// turn into kCorrupt (a sparse form that must become dense and is corrupt past the register).
SetResult probe_register(std::string_view bytes, std::uint32_t index, std::uint8_t count);

// Raises register `index` to `count` if it is lower. A sparse form that would outgrow
// `sparse_max_bytes` (or needs a value above 32) becomes dense. The cache is marked stale when
// a sparse form changes (as Redis's hllSparseSet does); a dense change leaves that to the
// caller (PFADD marks it once at the end).
SetResult set_register(SmallString& hll, std::uint32_t index, std::uint8_t count,
                       std::size_t sparse_max_bytes);

// Converts a sparse form to dense (cache bytes kept). False when corrupt (then unchanged).
// A dense form is left as it is.
bool to_dense(SmallString& hll);

// Register `index` of a dense form.
std::uint8_t dense_register(std::string_view bytes, std::size_t index);

// PFDEBUG DECODE: "Z:12711 v:2,1 Z:3672" for a sparse form (every opcode, as Redis prints it).
void decode_sparse(std::string_view bytes, std::string& out);

}  // namespace eddy::kv::hll

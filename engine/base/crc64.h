#pragma once
// CRC-64 with the Jones polynomial (0xad93d23594c935a9), bit-reflected, initial value 0, no
// final xor: the checksum Redis puts at the end of RDB files and DUMP payloads. The check value
// of "123456789" is 0xe9c6d914c4b8d9ca.

#include <cstdint>
#include <string_view>

namespace eddy {

// Continues `crc` over `bytes` (start with 0).
std::uint64_t crc64_jones(std::uint64_t crc, std::string_view bytes);

}  // namespace eddy

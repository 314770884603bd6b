#pragma once
// Key to slot, exactly as Redis Cluster maps it: CRC16 (XMODEM) of the key, or of the part
// between the first '{' and the next '}' when that part is non-empty (a hashtag), mod 16384.
// Keys sharing a hashtag therefore share a slot and so a shard.

#include <cstdint>
#include <string_view>

namespace eddy {

std::uint16_t crc16_xmodem(std::string_view bytes);
std::string_view hashtag(std::string_view key);
inline std::uint16_t key_slot(std::string_view key) {
  return static_cast<std::uint16_t>(crc16_xmodem(hashtag(key)) & 16383);
}

}  // namespace eddy

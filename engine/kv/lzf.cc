#include "engine/kv/lzf.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace eddy::kv {

bool lzf_decompress(std::string_view in, char* out, std::size_t out_size) {
  const auto* ip = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned char* const in_end = ip + in.size();
  std::size_t produced = 0;
  while (ip < in_end) {
    const unsigned int control = *ip++;
    if (control < 32) {
      const std::size_t run = control + 1;
      if (static_cast<std::size_t>(in_end - ip) < run || out_size - produced < run) return false;
      std::memcpy(out + produced, ip, run);
      ip += run;
      produced += run;
      continue;
    }
    std::size_t length = control >> 5;
    if (ip >= in_end) return false;
    if (length == 7) {
      length += *ip++;
      if (ip >= in_end) return false;
    }
    length += 2;
    const std::size_t distance = ((std::size_t{control} & 0x1f) << 8) + *ip++ + 1;
    if (distance > produced || out_size - produced < length) return false;
    // The source may overlap what is being written (a run repeating its last bytes): copy
    // forwards byte by byte, which is what the format means.
    const std::size_t from = produced - distance;
    for (std::size_t i = 0; i < length; ++i) out[produced + i] = out[from + i];
    produced += length;
  }
  return produced == out_size;
}

namespace {

constexpr std::size_t kLiteralRunMax = 32;
constexpr std::size_t kMatchMin = 3;
constexpr std::size_t kMatchMax = 264;      // 2 + 7 + 255
constexpr std::size_t kDistanceMax = 8192;  // 13 bits of offset, plus one

void append_literals(std::string_view in, std::size_t from, std::size_t to, std::string* out) {
  while (from < to) {
    const std::size_t run = to - from < kLiteralRunMax ? to - from : kLiteralRunMax;
    out->push_back(static_cast<char>(run - 1));
    out->append(in.substr(from, run));
    from += run;
  }
}

void append_match(std::size_t length, std::size_t distance, std::string* out) {
  const std::size_t offset = distance - 1;
  const std::size_t coded = length - 2;
  const auto high = static_cast<unsigned>(offset >> 8);
  if (coded < 7) {
    out->push_back(static_cast<char>((coded << 5) | high));
  } else {
    out->push_back(static_cast<char>((7u << 5) | high));
    out->push_back(static_cast<char>(coded - 7));
  }
  out->push_back(static_cast<char>(offset & 0xff));
}

}  // namespace

bool lzf_compress(std::string_view in, std::size_t max_bytes, std::string* out) {
  const std::size_t start = out->size();
  const std::size_t n = in.size();
  // Last position (+1; 0 = none) of each hashed 3-byte sequence; sized to the input.
  std::size_t slots = 256;
  while (slots < n && slots < (std::size_t{1} << 14)) slots <<= 1;
  std::vector<std::uint32_t> last(slots, 0);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t literal_from = 0;
  std::size_t i = 0;
  while (i + kMatchMin <= n) {
    const std::uint32_t triple =
        std::uint32_t{p[i]} << 16 | std::uint32_t{p[i + 1]} << 8 | p[i + 2];
    const std::size_t slot = (triple * 2654435761u >> 8) & (slots - 1);
    const std::size_t candidate = last[slot];
    last[slot] = static_cast<std::uint32_t>(i + 1);
    if (candidate != 0) {
      const std::size_t from = candidate - 1;
      const std::size_t distance = i - from;
      if (distance <= kDistanceMax && std::memcmp(p + from, p + i, kMatchMin) == 0) {
        std::size_t length = kMatchMin;
        const std::size_t limit = n - i < kMatchMax ? n - i : kMatchMax;
        while (length < limit && p[from + length] == p[i + length]) ++length;
        append_literals(in, literal_from, i, out);
        append_match(length, distance, out);
        i += length;
        literal_from = i;
        if (out->size() - start > max_bytes) break;
        continue;
      }
    }
    ++i;
  }
  append_literals(in, literal_from, n, out);
  if (out->size() - start > max_bytes) {
    out->resize(start);
    return false;
  }
  return true;
}

}  // namespace eddy::kv

#include "engine/kv/lzf.h"

#include <cstring>

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

}  // namespace eddy::kv

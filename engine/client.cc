#include "engine/client.h"

#include "engine/runtime.h"

namespace eddy {

std::size_t ClientState::pending_output_bytes() const {
  if (output_bytes == 0 || stream == nullptr) return output_bytes;
  const std::uint64_t taken = stream->bytes_written() - output_written_base;
  return taken >= output_bytes ? 0 : output_bytes - static_cast<std::size_t>(taken);
}

bool output_limit_reached(ClientState& client, std::size_t pending, const OutputBufferLimit& limit,
                          std::int64_t now_ms) {
  const bool hard = limit.hard_bytes != 0 && pending >= limit.hard_bytes;
  bool soft = limit.soft_bytes != 0 && pending >= limit.soft_bytes;
  if (!soft) {
    client.output_soft_limit_since_ms = 0;
  } else if (client.output_soft_limit_since_ms == 0) {
    // The first time the soft limit is seen: the clock starts, nothing is reached yet.
    client.output_soft_limit_since_ms = now_ms > 0 ? now_ms : 1;
    soft = false;
  } else {
    // In seconds, as Redis counts them: no product of the seconds that could overflow.
    const std::int64_t elapsed_ms = now_ms - client.output_soft_limit_since_ms;
    soft = elapsed_ms > 0 && (elapsed_ms - 1) / 1000 >= limit.soft_seconds;
  }
  return hard || soft;
}

}  // namespace eddy

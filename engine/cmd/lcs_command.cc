// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence
// of two strings, as Redis 7.0 computes it (the classic dynamic-programming table, then one
// walk back from its corner), so that the subsequence and the match ranges are Redis's own
// whenever several answers would be equally long.
//
// Memory: the table has (len1 + 1) * (len2 + 1) cells of 4 bytes. Like Redis, LCS refuses when
// that would exceed proto-max-bulk-len (512 MiB) and when the allocation fails, before any
// work. With LEN alone only the length is needed, so two rows suffice; the refusal still
// follows the full table's size so that the same call gets the same answer as from Redis.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/limits.h"
#include "engine/shard.h"

namespace eddy {

namespace {

// One contiguous match: a[a_start..a_end] == b[b_start..b_end].
struct MatchRange {
  std::uint32_t a_start;
  std::uint32_t a_end;
  std::uint32_t b_start;
  std::uint32_t b_end;
};

std::uint32_t lcs_length_two_rows(std::string_view a, std::string_view b) {
  std::vector<std::uint32_t> previous(b.size() + 1, 0);
  std::vector<std::uint32_t> current(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      current[j] =
          a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

void lcs_command(CommandContext& ctx) {
  // Both lookups first (either may expire its key, which can move entries), then the entries.
  keyparts::find_for_read(ctx.db, ctx.shard.stats(), ctx.args[1], ctx.now_ms);
  keyparts::find_for_read(ctx.db, ctx.shard.stats(), ctx.args[2], ctx.now_ms);
  const kv::Entry* entry_a = ctx.db.peek(ctx.args[1]);
  const kv::Entry* entry_b = ctx.db.peek(ctx.args[2]);
  if ((entry_a != nullptr && !entry_a->value.is_string()) ||
      (entry_b != nullptr && !entry_b->value.is_string())) {
    ctx.reply.error("ERR The specified keys must contain string values");
    return;
  }

  bool want_len = false;
  bool want_idx = false;
  bool with_match_len = false;
  std::int64_t min_match_len = 0;
  for (std::size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view option = ctx.args[j];
    const bool more = j + 1 < ctx.args.size();
    if (equals_ignore_case(option, "idx")) {
      want_idx = true;
    } else if (equals_ignore_case(option, "len")) {
      want_len = true;
    } else if (equals_ignore_case(option, "withmatchlen")) {
      with_match_len = true;
    } else if (equals_ignore_case(option, "minmatchlen") && more) {
      if (!parse_int64_arg(ctx.args[j + 1], &min_match_len, ctx.reply)) return;
      min_match_len = std::max<std::int64_t>(min_match_len, 0);
      ++j;
    } else {
      ctx.reply.error(errors::kSyntax);
      return;
    }
  }
  if (want_len && want_idx) {
    ctx.reply.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }

  char scratch_a[kv::Value::kIntScratchBytes];
  char scratch_b[kv::Value::kIntScratchBytes];
  const std::string_view a =
      entry_a != nullptr ? entry_a->value.view(scratch_a) : std::string_view();
  const std::string_view b =
      entry_b != nullptr ? entry_b->value.view(scratch_b) : std::string_view();
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.reply.error("ERR String too long for LCS");
    return;
  }
  const auto alen = static_cast<std::uint32_t>(a.size());
  const auto blen = static_cast<std::uint32_t>(b.size());
  const std::uint64_t cells = (std::uint64_t{alen} + 1) * (std::uint64_t{blen} + 1);
  if (cells * sizeof(std::uint32_t) > static_cast<std::uint64_t>(limits::bulk_bytes_max)) {
    ctx.reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  if (want_len) {
    ctx.reply.integer(lcs_length_two_rows(a, b));
    return;
  }

  std::unique_ptr<std::uint32_t[]> table(new (std::nothrow) std::uint32_t[cells]);
  if (table == nullptr) {
    ctx.reply.error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  const std::uint64_t stride = std::uint64_t{blen} + 1;
  auto at = [&](std::uint32_t i, std::uint32_t j) -> std::uint32_t& {
    return table[j + i * stride];
  };
  for (std::uint32_t j = 0; j <= blen; ++j) at(0, j) = 0;
  for (std::uint32_t i = 1; i <= alen; ++i) {
    at(i, 0) = 0;
    for (std::uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }

  // Walk back from the corner, building the subsequence from its end and, for IDX, the ranges
  // of contiguous matches (latest first), as Redis does.
  const std::uint32_t length = at(alen, blen);
  std::string result(length, '\0');
  std::vector<MatchRange> ranges;
  std::uint32_t remaining = length;
  const std::uint32_t no_range = alen;  // a start no range can have
  MatchRange range{no_range, 0, 0, 0};
  std::uint32_t i = alen;
  std::uint32_t j = blen;
  while (i > 0 && j > 0) {
    bool close_range = false;
    if (a[i - 1] == b[j - 1]) {
      result[remaining - 1] = a[i - 1];
      if (range.a_start == no_range) {
        range = MatchRange{i - 1, i - 1, j - 1, j - 1};
      } else if (range.a_start == i && range.b_start == j) {
        --range.a_start;  // the match extends the current range backwards
        --range.b_start;
      } else {
        close_range = true;
      }
      // A range that reached the start of either string cannot grow further.
      if (range.a_start == 0 || range.b_start == 0) close_range = true;
      --remaining;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (range.a_start != no_range) close_range = true;
    }
    if (close_range) {
      const std::uint32_t match_len = range.a_end - range.a_start + 1;
      if (want_idx && (min_match_len == 0 || match_len >= min_match_len)) ranges.push_back(range);
      range.a_start = no_range;
    }
  }

  if (!want_idx) {
    ctx.reply.bulk(result);
    return;
  }
  ctx.reply.map(2);
  ctx.reply.bulk("matches");
  ctx.reply.array(ranges.size());
  for (const MatchRange& match : ranges) {
    ctx.reply.array(with_match_len ? 3 : 2);
    ctx.reply.array(2);
    ctx.reply.integer(match.a_start);
    ctx.reply.integer(match.a_end);
    ctx.reply.array(2);
    ctx.reply.integer(match.b_start);
    ctx.reply.integer(match.b_end);
    if (with_match_len) ctx.reply.integer(match.a_end - match.a_start + 1);
  }
  ctx.reply.bulk("len");
  ctx.reply.integer(length);
}

}  // namespace

void register_lcs_command(CommandTable& table) {
  CommandSpec spec = keyed_spec("string", "lcs", -3, kCmdReadonly, 1, 2, 1, lcs_command,
                                "Find longest common substring", "7.0.0", "@read @string @slow");
  spec.syntax = "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]";
  table.add(spec);
}

}  // namespace eddy

// LCS, checked against a real redis-server 7.0.15: every expected reply below is what Redis
// answered to the same commands in the same order.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/support/command_runner.h"
#include "tests/unit/support/opaque_list.h"

namespace {

using eddy::testing::CommandRunner;
using eddy::testing::Reply;

const Reply kOk = Reply::ok();
Reply bulk(std::string_view text) {
  return Reply::bulk(text);
}
Reply integer(std::int64_t n) {
  return Reply::integer(n);
}
Reply err(std::string_view text) {
  return Reply::error(text);
}
Reply pair(std::int64_t a, std::int64_t b) {
  return Reply::array({integer(a), integer(b)});
}
// One IDX match: [[a_start, a_end], [b_start, b_end]] (+ its length with WITHMATCHLEN).
Reply match(std::int64_t a0, std::int64_t a1, std::int64_t b0, std::int64_t b1,
            std::int64_t len = -1) {
  std::vector<Reply> parts{pair(a0, a1), pair(b0, b1)};
  if (len >= 0) parts.push_back(integer(len));
  return Reply::array(std::move(parts));
}
// The IDX reply in RESP2: a flat map.
Reply idx(std::vector<Reply> matches, std::int64_t len) {
  return Reply::array(
      {bulk("matches"), Reply::array(std::move(matches)), bulk("len"), integer(len)});
}

}  // namespace

TEST_CASE("LCS", "[bitmap][lcs]") {
  CommandRunner r;
  CHECK(r.run({"MSET", "key1", "ohmytext", "key2", "mynewtext"}) == kOk);
  CHECK(r.run({"LCS", "key1", "key2"}) == bulk("mytext"));
  CHECK(r.run({"LCS", "key1", "key2", "len"}) == integer(6));
  CHECK(r.run({"LCS", "key1", "key2", "idx"}) == idx({match(4, 7, 5, 8), match(2, 3, 0, 1)}, 6));
  CHECK(r.run({"LCS", "key1", "key2", "idx", "minmatchlen", "4"}) == idx({match(4, 7, 5, 8)}, 6));
  CHECK(r.run({"LCS", "key1", "key2", "idx", "minmatchlen", "4", "withmatchlen"}) ==
        idx({match(4, 7, 5, 8, 4)}, 6));
  CHECK(r.run({"LCS", "key1", "key2", "idx", "withmatchlen"}) ==
        idx({match(4, 7, 5, 8, 4), match(2, 3, 0, 1, 2)}, 6));
  CHECK(r.run({"LCS", "key1", "key2", "len", "idx"}) ==
        err("ERR If you want both the length and indexes, please just use IDX."));
  CHECK(r.run({"LCS", "key1", "key2", "foo"}) == err("ERR syntax error"));
  CHECK(r.run({"LCS", "key1", "key2", "minmatchlen"}) == err("ERR syntax error"));
  CHECK(r.run({"LCS", "key1", "key2", "minmatchlen", "x"}) ==
        err("ERR value is not an integer or out of range"));
  CHECK(r.run({"LCS", "key1", "key2", "minmatchlen", "-5", "idx"}) ==
        idx({match(4, 7, 5, 8), match(2, 3, 0, 1)}, 6));
  CHECK(r.run({"LCS", "key1", "nokey"}) == bulk(""));
  CHECK(r.run({"LCS", "nokey", "nokey2", "idx"}) == idx({}, 0));
  CHECK(r.run({"LCS", "key1", "nokey", "len"}) == integer(0));
  eddy::testing::put_opaque_list(r, "l");
  // The type check comes before the options.
  CHECK(r.run({"LCS", "key1", "l"}) == err("ERR The specified keys must contain string values"));
  CHECK(r.run({"LCS", "l", "key1", "foo"}) ==
        err("ERR The specified keys must contain string values"));
  CHECK(r.run({"LCS", "key1"}) == err("ERR wrong number of arguments for 'lcs' command"));
  // Int-encoded strings compare as their text.
  CHECK(r.run({"SET", "n1", "12345"}) == kOk);
  CHECK(r.run({"SET", "n2", "2345"}) == kOk);
  CHECK(r.run({"LCS", "n1", "n2", "idx", "withmatchlen"}) == idx({match(1, 4, 0, 3, 4)}, 4));
  CHECK(r.run({"SET", "a", "abcdefg"}) == kOk);
  CHECK(r.run({"SET", "b", "xbcxefxxg"}) == kOk);
  CHECK(r.run({"LCS", "a", "b", "idx", "withmatchlen"}) ==
        idx({match(6, 6, 8, 8, 1), match(4, 5, 4, 5, 2), match(1, 2, 1, 2, 2)}, 5));
  CHECK(r.run({"LCS", "a", "b", "withmatchlen"}) == bulk("bcefg"));
}

TEST_CASE("LCS refuses a table larger than proto-max-bulk-len", "[bitmap][lcs]") {
  CommandRunner r;
  // 20001 * 7001 cells of 4 bytes = 560 MB: refused before any work.
  CHECK(r.run({"SET", "big1", std::string(20000, 'a')}) == kOk);
  CHECK(r.run({"SET", "big2", std::string(7000, 'b')}) == kOk);
  CHECK(r.run({"LCS", "big1", "big2", "len"}) ==
        err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  CHECK(r.run({"LCS", "big1", "big2"}) ==
        err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  // 20001 * 6710 * 4 = 536,826,840 bytes: just under the limit, so answered (LEN needs only
  // two rows of the table).
  CHECK(r.run({"SET", "big2", std::string(6709, 'b')}) == kOk);
  CHECK(r.run({"LCS", "big1", "big2", "len"}) == integer(0));
}

TEST_CASE("LCS length agrees between the two-row and full-table forms", "[bitmap][lcs]") {
  CommandRunner r;
  const std::vector<std::string> words = {
      "",          "a",       "ab",      "ba",          "banana",           "ananas",
      "xbcxefxxg", "abcdefg", "aaaaaaa", "thisisatest", "testing123testing"};
  for (std::size_t i = 0; i < words.size(); ++i) {
    for (std::size_t j = 0; j < words.size(); ++j) {
      CHECK(r.run({"SET", "x", words[i]}) == kOk);
      CHECK(r.run({"SET", "y", words[j]}) == kOk);
      const Reply text = r.run({"LCS", "x", "y"});
      CAPTURE(words[i], words[j]);
      CHECK(r.run({"LCS", "x", "y", "len"}) ==
            integer(static_cast<std::int64_t>(text.text.size())));
    }
  }
}

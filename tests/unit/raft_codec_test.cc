// engine/raft/types.h: the message and entry encodings against hostile bytes. A peer may send
// anything; decoding refuses what is not a well-formed message, and never crashes.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <string>

#include "engine/raft/types.h"

using namespace eddy::raft;

namespace {

Message sample_append() {
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 2;
  m.term = 7;
  m.index = 41;
  m.log_term = 5;
  m.commit = 40;
  m.entries.push_back(Entry{6, 42, EntryKind::kNoop, {}});
  m.entries.push_back(Entry{7, 43, EntryKind::kNormal, "set x 1"});
  return m;
}

rc::Gen<Message> arbitrary_message() {
  return rc::gen::exec([] {
    Message m;
    m.type = static_cast<MessageType>(*rc::gen::inRange<int>(1, kMessageTypeLast + 1));
    m.from = *rc::gen::inRange<NodeId>(1, 6);
    m.to =
        *rc::gen::suchThat(rc::gen::inRange<NodeId>(1, 6), [&](NodeId to) { return to != m.from; });
    m.term = *rc::gen::inRange<Term>(0, 1u << 20);
    m.commit = *rc::gen::arbitrary<Index>();
    m.reject = *rc::gen::arbitrary<bool>();
    m.hint_index = *rc::gen::arbitrary<Index>();
    m.hint_term = *rc::gen::arbitrary<Term>();
    m.context =
        *rc::gen::container<std::string>(*rc::gen::inRange(0, 20), rc::gen::arbitrary<char>());
    if (m.type != MessageType::kAppendResponse) {
      m.log_term = *rc::gen::inRange<Term>(0, m.term + 1);
    } else {
      m.log_term = *rc::gen::arbitrary<Term>();
    }
    m.index = *rc::gen::inRange<Index>(0, 1u << 30);
    if (m.type == MessageType::kAppend) {
      const int count = *rc::gen::inRange(0, 6);
      Term term = m.log_term;
      for (int i = 0; i < count && term > 0; ++i) {
        term = *rc::gen::inRange<Term>(std::max<Term>(term, 1), m.term + 1);
        Entry e;
        e.term = term;
        e.index = m.index + 1 + static_cast<Index>(i);
        e.kind = *rc::gen::arbitrary<bool>() ? EntryKind::kNoop : EntryKind::kNormal;
        if (e.kind == EntryKind::kNormal) e.payload = *rc::gen::arbitrary<std::string>();
        m.entries.push_back(std::move(e));
      }
    }
    if (m.type == MessageType::kInstallSnapshot && m.term > 0) {
      m.snapshot.index = *rc::gen::inRange<Index>(1, 1u << 30);
      m.snapshot.term = *rc::gen::inRange<Term>(1, m.term + 1);
      m.snapshot.data = *rc::gen::arbitrary<std::string>();
    }
    return m;
  });
}

}  // namespace

TEST_CASE("an append message round-trips through its encoding", "[raft]") {
  const Message m = sample_append();
  REQUIRE(well_formed(m));
  const std::string bytes = encode_message(m);
  Message back;
  REQUIRE(decode_message(bytes, &back));
  CHECK(back == m);
  // Indexes are implied by the prev index, so a two-entry append is small.
  CHECK(bytes.size() < 40);
}

TEST_CASE("decoding refuses truncated, padded and malformed messages", "[raft]") {
  const std::string bytes = encode_message(sample_append());
  Message out;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("prefix " << n);
    CHECK_FALSE(decode_message(bytes.substr(0, n), &out));
  }
  CHECK_FALSE(decode_message(bytes + '\0', &out));
  std::string bad_version = bytes;
  bad_version[0] = 2;
  CHECK_FALSE(decode_message(bad_version, &out));
  std::string bad_type = bytes;
  bad_type[1] = 12;
  CHECK_FALSE(decode_message(bad_type, &out));
  // An entry term above the message's term, and one below its predecessor, are refused.
  Message future = sample_append();
  future.entries[1].term = 8;
  CHECK_FALSE(well_formed(future));
  Message backwards = sample_append();
  backwards.entries[0].term = 4;
  CHECK_FALSE(well_formed(backwards));
  Message self = sample_append();
  self.to = self.from;
  CHECK_FALSE(well_formed(self));
  // A count of entries the input cannot hold is refused before anything is allocated.
  std::string huge_count;
  huge_count.push_back(1);
  huge_count.push_back(static_cast<char>(MessageType::kAppend));
  for (int i = 0; i < 9; ++i) huge_count.push_back(1);  // from..hint_term (reject = 1)
  huge_count.push_back(0);                              // empty context
  huge_count.append("\xff\xff\x03");                    // 65535 entries
  CHECK_FALSE(decode_message(huge_count, &out));
}

TEST_CASE("properties of the message encoding", "[raft]") {
  rc::prop("a well-formed message round-trips", [] {
    const Message m = *arbitrary_message();
    RC_PRE(well_formed(m));
    Message back;
    RC_ASSERT(decode_message(encode_message(m), &back));
    RC_ASSERT(back == m);
  });
  rc::prop("random bytes decode to a well-formed message or are refused, never a crash", [] {
    const std::string bytes = *rc::gen::arbitrary<std::string>();
    Message m;
    if (decode_message(bytes, &m)) {
      RC_ASSERT(well_formed(m));
      // The encoding is canonical: what decodes re-encodes to the same bytes.
      RC_ASSERT(encode_message(m) == bytes);
    }
  });
  rc::prop("a damaged encoding is refused or decodes canonically", [] {
    const Message m = *arbitrary_message();
    RC_PRE(well_formed(m));
    std::string bytes = encode_message(m);
    const auto position = *rc::gen::inRange<std::size_t>(0, bytes.size());
    bytes[position] = *rc::gen::arbitrary<char>();
    if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size()));
    Message out;
    if (decode_message(bytes, &out)) {
      RC_ASSERT(well_formed(out));
      RC_ASSERT(encode_message(out) == bytes);
    }
  });
  rc::prop("random bytes decode to a valid entry or are refused", [] {
    const std::string bytes = *rc::gen::arbitrary<std::string>();
    Entry e;
    if (decode_entry(bytes, &e)) {
      std::string again;
      encode_entry(e, &again);
      RC_ASSERT(again == bytes);
    }
  });
}

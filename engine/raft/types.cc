#include "engine/raft/types.h"

#include "engine/base/assert.h"

namespace eddy::raft {

namespace {

constexpr std::uint8_t kEncodingVersion = 1;

void put_varint(std::uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void put_bytes(std::string_view bytes, std::string* out) {
  put_varint(bytes.size(), out);
  out->append(bytes);
}

// A cursor over hostile bytes: every read checks what is left, and a failed read poisons the
// reader so later reads fail too (callers check ok() once at the end or early).
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool varint(std::uint64_t* value) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return fail();
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      // The tenth byte may carry only the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) return fail();
      result |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) {
        // Refuse non-minimal encodings (a trailing zero group), so each value has one form.
        if (byte == 0 && shift != 0) return fail();
        *value = result;
        return true;
      }
    }
    return fail();
  }

  bool u8(std::uint8_t* value) {
    if (pos_ >= bytes_.size()) return fail();
    *value = static_cast<std::uint8_t>(bytes_[pos_++]);
    return true;
  }

  bool boolean(bool* value) {
    std::uint8_t byte = 0;
    if (!u8(&byte) || byte > 1) return fail();
    *value = byte == 1;
    return true;
  }

  bool bytes(std::size_t limit, std::string* out) {
    std::uint64_t length = 0;
    if (!varint(&length)) return false;
    if (length > limit || length > bytes_.size() - pos_) return fail();
    out->assign(bytes_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  bool at_end() const { return ok_ && pos_ == bytes_.size(); }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    pos_ = bytes_.size();
    return false;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

bool decode_kind(std::uint8_t byte, EntryKind* kind) {
  if (byte > static_cast<std::uint8_t>(EntryKind::kNoop)) return false;
  *kind = static_cast<EntryKind>(byte);
  return true;
}

}  // namespace

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kInstallSnapshot:
      return "InstallSnapshot";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResponse:
      return "ReadIndexResponse";
  }
  return "?";
}

bool well_formed(const Message& message) {
  const auto type = static_cast<std::uint8_t>(message.type);
  if (type < 1 || type > kMessageTypeLast) return false;
  if (message.from == kNoNode || message.to == kNoNode || message.from == message.to) return false;
  if (message.context.size() > kReadContextBytesMax) return false;
  for (const std::uint64_t value :
       {message.term, message.log_term, message.index, message.commit, message.hint_index,
        message.hint_term, message.snapshot.index, message.snapshot.term}) {
    if (value > kTermIndexMax) return false;
  }
  if (message.entries.size() > kMessageEntriesMax) return false;
  if (message.snapshot.data.size() > kSnapshotBytesMax) return false;
  if (!message.entries.empty() && message.type != MessageType::kAppend) return false;
  // Only an append names a previous entry, and only a snapshot carries one.
  if (message.type == MessageType::kInstallSnapshot) {
    if (message.snapshot.index == 0 || message.snapshot.term == 0) return false;
    if (message.snapshot.term > message.term) return false;
  } else if (!message.snapshot.empty() || !message.snapshot.data.empty() ||
             message.snapshot.term != 0) {
    return false;
  }
  if (message.log_term > message.term && message.type != MessageType::kAppendResponse) {
    return false;
  }
  Term previous_term = message.log_term;
  Index expected_index = message.index;
  for (const Entry& entry : message.entries) {
    if (expected_index >= kTermIndexMax) return false;
    ++expected_index;
    if (entry.index != expected_index) return false;
    if (entry.term < previous_term || entry.term > message.term || entry.term == 0) return false;
    if (entry.payload.size() > kEntryPayloadBytesMax) return false;
    if (entry.kind == EntryKind::kNoop && !entry.payload.empty()) return false;
    previous_term = entry.term;
  }
  return true;
}

void encode_entry(const Entry& entry, std::string* out) {
  put_varint(entry.term, out);
  put_varint(entry.index, out);
  out->push_back(static_cast<char>(entry.kind));
  put_bytes(entry.payload, out);
}

bool decode_entry(std::string_view bytes, Entry* entry) {
  Reader in(bytes);
  std::uint8_t kind = 0;
  Entry out;
  if (!in.varint(&out.term) || !in.varint(&out.index) || !in.u8(&kind) ||
      !decode_kind(kind, &out.kind) || !in.bytes(kEntryPayloadBytesMax, &out.payload)) {
    return false;
  }
  if (!in.at_end() || out.index == 0 || out.term == 0) return false;
  if (out.kind == EntryKind::kNoop && !out.payload.empty()) return false;
  *entry = std::move(out);
  return true;
}

std::string encode_message(const Message& message) {
  ASSERT(well_formed(message));
  std::string out;
  out.push_back(static_cast<char>(kEncodingVersion));
  out.push_back(static_cast<char>(message.type));
  put_varint(message.from, &out);
  put_varint(message.to, &out);
  put_varint(message.term, &out);
  put_varint(message.log_term, &out);
  put_varint(message.index, &out);
  put_varint(message.commit, &out);
  out.push_back(message.reject ? 1 : 0);
  put_varint(message.hint_index, &out);
  put_varint(message.hint_term, &out);
  put_bytes(message.context, &out);
  put_varint(message.entries.size(), &out);
  for (const Entry& entry : message.entries) {
    put_varint(entry.term, &out);
    out.push_back(static_cast<char>(entry.kind));
    put_bytes(entry.payload, &out);
  }
  put_varint(message.snapshot.index, &out);
  put_varint(message.snapshot.term, &out);
  put_bytes(message.snapshot.data, &out);
  ASSERT_LE(out.size(), kEncodedMessageBytesMax);
  return out;
}

bool decode_message(std::string_view bytes, Message* message) {
  if (bytes.size() > kEncodedMessageBytesMax) return false;
  Reader in(bytes);
  Message out;
  std::uint8_t version = 0;
  std::uint8_t type = 0;
  if (!in.u8(&version) || version != kEncodingVersion) return false;
  if (!in.u8(&type) || type < 1 || type > kMessageTypeLast) return false;
  out.type = static_cast<MessageType>(type);
  std::uint64_t count = 0;
  if (!in.varint(&out.from) || !in.varint(&out.to) || !in.varint(&out.term) ||
      !in.varint(&out.log_term) || !in.varint(&out.index) || !in.varint(&out.commit) ||
      !in.boolean(&out.reject) || !in.varint(&out.hint_index) || !in.varint(&out.hint_term) ||
      !in.bytes(kReadContextBytesMax, &out.context) || !in.varint(&count)) {
    return false;
  }
  if (count > kMessageEntriesMax) return false;
  // Each entry takes at least three bytes, so a count the input cannot hold is refused before
  // anything is reserved for it.
  if (count > bytes.size() / 3) return false;
  out.entries.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Entry entry;
    std::uint8_t kind = 0;
    if (!in.varint(&entry.term) || !in.u8(&kind) || !decode_kind(kind, &entry.kind) ||
        !in.bytes(kEntryPayloadBytesMax, &entry.payload)) {
      return false;
    }
    if (out.index > UINT64_MAX - 1 - i) return false;
    entry.index = out.index + 1 + i;
    out.entries.push_back(std::move(entry));
  }
  if (!in.varint(&out.snapshot.index) || !in.varint(&out.snapshot.term) ||
      !in.bytes(kSnapshotBytesMax, &out.snapshot.data)) {
    return false;
  }
  if (!in.at_end() || !well_formed(out)) return false;
  *message = std::move(out);
  return true;
}

}  // namespace eddy::raft

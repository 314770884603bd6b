#include "engine/client_limits.h"

#include <cctype>
#include <charconv>
#include <vector>

namespace eddy {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// Redis's class names; "master" names a class whose limits cannot be set.
int class_by_name(std::string_view name) {
  if (iequals(name, "normal")) return static_cast<int>(ClientClass::kNormal);
  if (iequals(name, "slave") || iequals(name, "replica")) {
    return static_cast<int>(ClientClass::kReplica);
  }
  if (iequals(name, "pubsub")) return static_cast<int>(ClientClass::kPubsub);
  return -1;
}

}  // namespace

OutputBufferLimits default_output_buffer_limits() {
  OutputBufferLimits limits;
  limits[static_cast<std::size_t>(ClientClass::kNormal)] = {0, 0, 0};
  limits[static_cast<std::size_t>(ClientClass::kReplica)] = {256ULL << 20, 64ULL << 20, 60};
  limits[static_cast<std::size_t>(ClientClass::kPubsub)] = {32ULL << 20, 8ULL << 20, 60};
  return limits;
}

bool parse_memory_bytes(std::string_view text, std::uint64_t* bytes) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return false;
  const std::string_view unit = text.substr(digits);
  std::uint64_t multiplier = 0;
  if (unit.empty() || iequals(unit, "b")) {
    multiplier = 1;
  } else if (iequals(unit, "k")) {
    multiplier = 1000;
  } else if (iequals(unit, "kb")) {
    multiplier = 1024;
  } else if (iequals(unit, "m")) {
    multiplier = 1000 * 1000;
  } else if (iequals(unit, "mb")) {
    multiplier = 1024 * 1024;
  } else if (iequals(unit, "g")) {
    multiplier = 1000ULL * 1000 * 1000;
  } else if (iequals(unit, "gb")) {
    multiplier = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return false;
  if (value > UINT64_MAX / multiplier) return false;
  *bytes = value * multiplier;
  return true;
}

bool parse_output_buffer_limits(std::string_view text, OutputBufferLimits* limits,
                                std::string* reason) {
  const std::vector<std::string_view> words = split_words(text);
  if (words.size() % 4 != 0) {
    *reason = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  // Every group is checked before any applies: all of the text takes effect, or none.
  OutputBufferLimits merged = *limits;
  for (std::size_t i = 0; i < words.size(); i += 4) {
    const int cls = class_by_name(words[i]);
    if (cls < 0) {
      *reason = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    OutputBufferLimit limit;
    std::int64_t seconds = 0;
    const std::string_view seconds_text = words[i + 3];
    const auto [end, ec] =
        std::from_chars(seconds_text.data(), seconds_text.data() + seconds_text.size(), seconds);
    if (!parse_memory_bytes(words[i + 1], &limit.hard_bytes) ||
        !parse_memory_bytes(words[i + 2], &limit.soft_bytes) || ec != std::errc() ||
        end != seconds_text.data() + seconds_text.size() || seconds < 0 || seconds > INT32_MAX) {
      *reason = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    limit.soft_seconds = seconds;
    merged[static_cast<std::size_t>(cls)] = limit;
  }
  *limits = merged;
  return true;
}

std::string format_output_buffer_limits(const OutputBufferLimits& limits) {
  static constexpr std::string_view kNames[kClientClasses] = {"normal", "slave", "pubsub"};
  std::string text;
  for (std::size_t i = 0; i < kClientClasses; ++i) {
    if (i > 0) text.push_back(' ');
    text.append(kNames[i]);
    text.push_back(' ');
    text.append(std::to_string(limits[i].hard_bytes));
    text.push_back(' ');
    text.append(std::to_string(limits[i].soft_bytes));
    text.push_back(' ');
    text.append(std::to_string(limits[i].soft_seconds));
  }
  return text;
}

bool parse_maxmemory_clients(std::string_view text, std::int64_t* value, std::string* reason) {
  std::uint64_t bytes = 0;
  std::int64_t parsed = 0;
  if (parse_memory_bytes(text, &bytes)) {
    parsed = static_cast<std::int64_t>(bytes);
  } else if (text.size() > 1 && text.back() == '%') {
    std::int64_t percent = 0;
    const std::string_view digits = text.substr(0, text.size() - 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), percent);
    if (ec != std::errc() || end != digits.data() + digits.size() || percent < 0) {
      *reason = "argument must be a memory or percent value";
      return false;
    }
    parsed = -percent;
  } else {
    *reason = "argument must be a memory or percent value";
    return false;
  }
  // A percentage is kept negative; Redis bounds it at 100 (and a byte count past the signed
  // range wraps to a negative number there too, so it is refused the same way).
  if (parsed < -100) {
    *reason = "percentage argument must be less or equal to 100";
    return false;
  }
  *value = parsed;
  return true;
}

std::string format_maxmemory_clients(std::int64_t value) {
  if (value < 0) return std::to_string(-value) + "%";
  return std::to_string(value);
}

std::uint64_t client_eviction_limit_bytes(std::int64_t maxmemory_clients,
                                          std::uint64_t maxmemory_bytes) {
  std::uint64_t limit = 0;
  if (maxmemory_clients < 0) {
    if (maxmemory_bytes == 0) return 0;
    limit = static_cast<std::uint64_t>(static_cast<double>(maxmemory_bytes) *
                                       static_cast<double>(-maxmemory_clients) / 100.0);
  } else if (maxmemory_clients > 0) {
    limit = static_cast<std::uint64_t>(maxmemory_clients);
  } else {
    return 0;
  }
  constexpr std::uint64_t kLimitBytesMin = 128 * 1024;
  return limit < kLimitBytesMin ? kLimitBytesMin : limit;
}

ClientLimits::ClientLimits() {
  set_output_limits(default_output_buffer_limits());
}

void ClientLimits::set_output_limits(const OutputBufferLimits& limits) {
  for (std::size_t i = 0; i < kClientClasses; ++i) {
    output_[i].hard_bytes.store(limits[i].hard_bytes, std::memory_order_relaxed);
    output_[i].soft_bytes.store(limits[i].soft_bytes, std::memory_order_relaxed);
    output_[i].soft_seconds.store(limits[i].soft_seconds, std::memory_order_relaxed);
  }
}

}  // namespace eddy

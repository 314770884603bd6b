// SORT and SORT_RO, with Redis 7.0's semantics: the elements of a list, set or sorted set,
// sorted numerically or lexicographically (ALPHA), by themselves or by weights that BY pattern
// names (BY w_* reads key w_<element>, BY h_*->f reads field f of hash h_<element>), a LIMIT
// window, ASC/DESC, GET patterns that fetch other keys per element (GET # is the element), and
// STORE, which saves the result as a list (deleting the destination when it would be empty).
// SORT_RO is SORT without STORE.
//
// Redis's particular rules, kept here:
//   - a BY pattern without '*' (BY nosort) means "do not sort": a list or sorted set keeps its
//     own order (DESC reverses it, LIMIT takes its window directly), a set keeps its iteration
//     order, except with STORE, where a set is sorted ALPHA so the stored result is the same
//     everywhere;
//   - numeric sorting reads each weight with strtod and answers "One or more scores can't be
//     converted into double" if any weight has trailing bytes, is NaN or is out of range; equal
//     weights fall back to the elements' bytes; a missing weight counts as 0 (and, with ALPHA,
//     sorts before every present one);
//   - a GET pattern without '*' names nothing (nil for every element), "x*->" (nothing after
//     the arrow) reads key "x<element>->" as a string; pattern text is read as a C string, so
//     '*' and "->" are looked for only before a NUL byte;
//   - LIMIT's offset and count are clamped to the source as Redis clamps them;
//   - ALPHA compares bytes with STORE, and otherwise as strcoll does in the C locale (the one
//     Redis servers run in unless told otherwise): byte order up to the first NUL byte, so
//     "a\0x" and "a" are equal there;
//   - sorting a sorted set converts it to the skiplist form for good (to_skiplist).
// Where Redis leaves the order open, eddy is deterministic: ties that Redis's unstable sort
// leaves in any order (ALPHA by equal weights with LIMIT) keep the source's order here, as
// Redis's stable sort does without LIMIT; a set's and a sorted set's elements enter the sort
// in eddy's iteration order and in score order (Redis: its hash table's order).
//
// Effects: SORT ... STORE dst is propagated as the rebuild of dst (DEL, then RPUSH batches), or
// as DEL dst when the result is empty and dst existed; nothing when it changed nothing.
//
// Keys across shards. BY and GET name keys that are known only after reading the source, and
// in eddy they may live on any shard (Redis Cluster refuses such patterns). With one shard the
// handler simply reads them. With several, a call with such patterns runs as a barrier through
// sort_across_shards, which predicts its key set optimistically, as Calvin does for dependent
// transactions:
//   1. on the source's shard, without locks, read the source and derive every key the call
//      will read (the pattern keys) plus the destination; when all of them live on that shard
//      and none is locked, run the handler right there, in that same step: nothing can change
//      between the prediction and the run, so no transaction is needed;
//   2. otherwise lock exactly that set (source and pattern keys shared, destination exclusive)
//      and run the handler on locked copies (engine/tx/cross_shard_command.h), copying only
//      what the patterns can read (strings, the named fields of hashes);
//   3. with the locks held, derive the key set again from the locked copy of the source; if it
//      names a key outside the locked set, the source changed in between: abandon the attempt
//      (nothing replied, nothing written), and try again with the union of both sets.
// After kOptimisticAttempts such attempts (a source rewritten faster than a lock round trip),
// the call takes the whole keyspace (Coordinator::lock_keyspace: every shard, in shard order,
// so it cannot deadlock with transactions), derives the key set from the source, which cannot
// change any more, and runs on copies of exactly that set. That is correct because nothing
// moves while it runs, and bounded because it always finishes: the price, every shard waiting
// for one SORT, is paid only by a call that lost the race that many times. (Answering from the
// last attempt's copies instead would treat the keys it failed to lock as missing: a result no
// state of the keyspace ever had.)
//
// Work and memory: the elements are copied once (as Redis copies them into its sort vector);
// the predicted keys are one name per element and pattern, in one buffer, sorted once: linear
// memory in the source and the patterns, O(n log n) time, nothing quadratic. Copies of
// pattern keys hold only what can be read from them.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/fault.h"
#include "engine/cmd/command.h"
#include "engine/cmd/key_parts.h"
#include "engine/db.h"
#include "engine/engine.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/hash_value.h"
#include "engine/kv/list_value.h"
#include "engine/kv/set_value.h"
#include "engine/kv/zset_value.h"
#include "engine/session_context.h"
#include "engine/shard.h"
#include "engine/tx/coordinator.h"
#include "engine/tx/cross_shard_command.h"

namespace eddy {

namespace {

using kv::HashValue;
using kv::ListValue;
using kv::SetValue;
using kv::ZSetValue;

// Optimistic attempts before a cross-shard SORT takes the whole keyspace (see the top).
constexpr int kOptimisticAttempts = 3;

// ---------------------------------------------------------------------------------------------
// Patterns.

struct Pattern {
  enum class Kind : std::uint8_t {
    kElement,   // "#": the element itself
    kConstant,  // no '*': names no key, reads nothing
    kKey,       // prefix*suffix: the string at that key
    kField,     // prefix*suffix->field: that field of the hash at that key
  };
  Kind kind = Kind::kConstant;
  std::string_view prefix;
  std::string_view suffix;
  std::string_view field;

  bool reads_keys() const { return kind == Kind::kKey || kind == Kind::kField; }
  std::size_t key_size(std::string_view element) const {
    return prefix.size() + element.size() + suffix.size();
  }
  void append_key(std::string_view element, std::string& out) const {
    out.append(prefix);
    out.append(element);
    out.append(suffix);
  }
};

// Redis reads pattern text as a C string when it looks for '#', '*' and "->" (the parts it cuts
// still run to the argument's full length).
Pattern parse_pattern(std::string_view text) {
  Pattern pattern;
  if (!text.empty() && text[0] == '#' && (text.size() == 1 || text[1] == '\0')) {
    pattern.kind = Pattern::Kind::kElement;
    return pattern;
  }
  const std::string_view as_c_string = text.substr(0, text.find('\0'));
  const std::size_t star = as_c_string.find('*');
  if (star == std::string_view::npos) return pattern;  // kConstant
  pattern.prefix = text.substr(0, star);
  const std::size_t arrow = as_c_string.find("->", star + 1);
  // A field needs at least one byte after the arrow (before any NUL).
  if (arrow != std::string_view::npos && arrow + 2 < as_c_string.size()) {
    pattern.kind = Pattern::Kind::kField;
    pattern.suffix = text.substr(star + 1, arrow - star - 1);
    pattern.field = text.substr(arrow + 2);
  } else {
    pattern.kind = Pattern::Kind::kKey;
    pattern.suffix = text.substr(star + 1);
  }
  return pattern;
}

bool has_star(std::string_view text) {
  return text.substr(0, text.find('\0')).find('*') != std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// Options.

struct SortRequest {
  bool desc = false;
  bool alpha = false;
  bool has_by = false;
  bool dontsort = false;  // some BY pattern had no '*'
  Pattern by;
  std::int64_t limit_start = 0;
  std::int64_t limit_count = -1;
  std::uint32_t store_index = 0;  // argument index of STORE's destination; 0: none
  std::vector<Pattern> gets;

  bool by_reads_keys() const { return has_by && !dontsort && by.reads_keys(); }
  bool gets_read_keys() const {
    return std::any_of(gets.begin(), gets.end(), [](const Pattern& p) { return p.reads_keys(); });
  }
};

// Redis's option parser: options in any order, the last of a kind winning (every STORE, BY and
// LIMIT overrides the previous one; GETs add up). Replies the error when `reply` is given.
bool parse_sort(Args args, bool readonly, SortRequest* request, ReplyBuilder* reply) {
  for (std::size_t j = 2; j < args.size(); ++j) {
    const std::size_t left = args.size() - j - 1;
    const std::string_view option = args[j];
    if (equals_ignore_case(option, "asc")) {
      request->desc = false;
    } else if (equals_ignore_case(option, "desc")) {
      request->desc = true;
    } else if (equals_ignore_case(option, "alpha")) {
      request->alpha = true;
    } else if (equals_ignore_case(option, "limit") && left >= 2) {
      if (!kv::Value::parse_canonical_int(args[j + 1], &request->limit_start) ||
          !kv::Value::parse_canonical_int(args[j + 2], &request->limit_count)) {
        if (reply != nullptr) reply->error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (!readonly && equals_ignore_case(option, "store") && left >= 1) {
      request->store_index = static_cast<std::uint32_t>(j + 1);
      ++j;
    } else if (equals_ignore_case(option, "by") && left >= 1) {
      request->has_by = true;
      request->by = parse_pattern(args[j + 1]);
      // Once a constant BY was seen the call does not sort, whatever later BYs say.
      if (!has_star(args[j + 1])) request->dontsort = true;
      ++j;
    } else if (equals_ignore_case(option, "get") && left >= 1) {
      request->gets.push_back(parse_pattern(args[j + 1]));
      ++j;
    } else {
      if (reply != nullptr) reply->error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// COMMAND GETKEYS and routing: the source (the spec's first key) and STORE's destination, as
// the handler's own parser finds it (the last STORE wins, as in SORT itself).
void sort_store_key(Args args, std::vector<std::uint32_t>& out) {
  SortRequest request;
  parse_sort(args, false, &request, nullptr);
  if (request.store_index != 0) out.push_back(request.store_index);
}

bool parse_for_routing(Args args, SortRequest* request) {
  const bool readonly = equals_ignore_case(args[0], "sort_ro");
  return parse_sort(args, readonly, request, nullptr);
}

bool sort_reads_pattern_keys(Args args) {
  SortRequest request;
  if (!parse_for_routing(args, &request)) return false;  // the handler answers the error
  return request.by_reads_keys() || request.gets_read_keys();
}

// ---------------------------------------------------------------------------------------------
// The sort vector.

bool sortable(const kv::Value& value) {
  const kv::Type type = value.type();
  return type == kv::Type::kList || type == kv::Type::kSet || type == kv::Type::kZSet;
}

// What the source's type makes of the options.
struct SortPlan {
  bool dontsort = false;
  bool alpha = false;
  bool use_by = false;   // weights come from the BY pattern
  bool collate = false;  // ALPHA compares as C strings (without STORE)
};

struct Item {
  std::size_t element_at;  // in Loaded::elements
  std::size_t weight_at;   // ALPHA BY weight, in Loaded::weights
  double score;
  std::uint32_t element_size;
  std::uint32_t weight_size;
  std::uint32_t order;  // position in the vector as loaded: ties keep it
  bool has_weight;
};

struct Loaded {
  SortPlan plan;
  std::string elements;  // every element's bytes, back to back
  std::string weights;
  std::vector<Item> items;
  // The window to output, indexes into items (end < start: nothing).
  std::int64_t start = 0;
  std::int64_t end = -1;

  std::string_view element(const Item& item) const {
    return std::string_view(elements).substr(item.element_at, item.element_size);
  }
  std::string_view weight(const Item& item) const {
    return std::string_view(weights).substr(item.weight_at, item.weight_size);
  }
  void add(std::string_view element) {
    items.push_back(Item{elements.size(), 0, 0, static_cast<std::uint32_t>(element.size()), 0,
                         static_cast<std::uint32_t>(items.size()), false});
    elements.append(element);
  }
};

// Loads the elements to sort from `source` (a list, set or sorted set; nullptr: a missing key,
// sorted as an empty list) and works out the output window, as Redis does.
void load(const SortRequest& request, bool storing, const kv::Value* source, Loaded* out) {
  SortPlan& plan = out->plan;
  plan.dontsort = request.dontsort;
  plan.alpha = request.alpha;
  plan.use_by = request.has_by;
  plan.collate = !storing;
  const kv::Type type = source == nullptr ? kv::Type::kList : source->type();
  // A stored set must not depend on its iteration order, so it is sorted ALPHA instead.
  if (plan.dontsort && type == kv::Type::kSet && storing) {
    plan.dontsort = false;
    plan.alpha = true;
    plan.use_by = false;
  }
  const std::int64_t size =
      source == nullptr ? 0 : static_cast<std::int64_t>(source->collection().size());

  // Redis's clamping, including its "start past the end" form of an empty window.
  std::int64_t start = std::min(std::max(request.limit_start, std::int64_t{0}), size);
  const std::int64_t count = std::min(std::max(request.limit_count, std::int64_t{-1}), size);
  std::int64_t end = count < 0 ? size - 1 : start + count - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;

  const bool ordered = type == kv::Type::kList || type == kv::Type::kZSet;
  if (ordered && plan.dontsort) {
    // The source's own order: load only the window, from the end DESC asks for.
    out->start = 0;
    out->end = end - start;
    if (end < start || source == nullptr) {
      out->start = start;
      out->end = end;
      return;
    }
    const std::size_t window = static_cast<std::size_t>(end - start + 1);
    out->items.reserve(window);
    const auto first = static_cast<std::size_t>(
        request.desc ? size - 1 - start : start);  // rank of the first element loaded
    if (type == kv::Type::kList) {
      const ListValue& list = source->as<ListValue>();
      ListValue::Cursor at = list.seek(first);
      for (std::size_t i = 0; i < window; ++i) {
        out->add(list.get(at));
        if (i + 1 < window) {
          const bool more = request.desc ? list.prev(at) : list.next(at);
          ASSERT(more);
        }
      }
    } else {
      const ZSetValue& zset = source->as<ZSetValue>();
      ZSetValue::Cursor at = zset.at(first);
      for (std::size_t i = 0; i < window; ++i) {
        ASSERT(at.valid());
        out->add(at.member());
        if (request.desc) {
          at.prev();
        } else {
          at.next();
        }
      }
    }
    return;
  }
  out->start = start;
  out->end = end;
  if (source == nullptr) return;
  out->items.reserve(static_cast<std::size_t>(size));
  switch (type) {
    case kv::Type::kList: {
      const ListValue& list = source->as<ListValue>();
      if (list.empty()) break;
      ListValue::Cursor at = list.first();
      do {
        out->add(list.get(at));
      } while (list.next(at));
      break;
    }
    case kv::Type::kSet:
      source->as<SetValue>().for_each([&](std::string_view member) { out->add(member); });
      break;
    case kv::Type::kZSet:
      for (ZSetValue::Cursor at = source->as<ZSetValue>().at(0); at.valid(); at.next()) {
        out->add(at.member());
      }
      break;
    default:
      UNREACHABLE();
  }
}

// The items whose GET patterns are read: the window once sorted. Before sorting, which items
// land in the window depends on the weights, so every item counts.
std::span<const Item> items_read_by_gets(const Loaded& loaded) {
  if (loaded.plan.dontsort) {
    if (loaded.end < loaded.start) return {};
    return std::span<const Item>(loaded.items)
        .subspan(static_cast<std::size_t>(loaded.start),
                 static_cast<std::size_t>(loaded.end - loaded.start + 1));
  }
  return loaded.items;
}

// Redis reads a numeric weight with strtod and refuses trailing bytes (a NUL byte ends the
// text, as in C), NaN and out-of-range values. Empty text is 0.
bool parse_weight(std::string_view text, double* out) {
  const TerminatedCopy copy(text);
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(copy.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

int compare_bytes(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// strcmp's order (strcoll's in the C locale): unsigned bytes up to the first NUL.
int compare_c_strings(std::string_view a, std::string_view b) {
  return compare_bytes(a.substr(0, a.find('\0')), b.substr(0, b.find('\0')));
}

// Sorts the items so that [start, end] holds what Redis's order puts there. The order is total
// (ties fall back to the loading order), so sorting just the window gives the same window as
// sorting everything.
void sort_items(const SortRequest& request, Loaded& loaded) {
  const SortPlan& plan = loaded.plan;
  auto less = [&](const Item& a, const Item& b) {
    int c;
    if (!plan.alpha) {
      c = a.score > b.score ? 1 : (a.score < b.score ? -1 : 0);
      if (c == 0) c = compare_bytes(loaded.element(a), loaded.element(b));
    } else if (plan.use_by) {
      if (!a.has_weight || !b.has_weight) {
        c = a.has_weight == b.has_weight ? 0 : (a.has_weight ? 1 : -1);
      } else {
        c = plan.collate ? compare_c_strings(loaded.weight(a), loaded.weight(b))
                         : compare_bytes(loaded.weight(a), loaded.weight(b));
      }
    } else {
      c = plan.collate ? compare_c_strings(loaded.element(a), loaded.element(b))
                       : compare_bytes(loaded.element(a), loaded.element(b));
    }
    if (request.desc) c = -c;
    return c != 0 ? c < 0 : a.order < b.order;
  };
  auto& items = loaded.items;
  if (loaded.end < loaded.start) return;
  const auto first = static_cast<std::ptrdiff_t>(loaded.start);
  const auto last = static_cast<std::ptrdiff_t>(loaded.end) + 1;
  if (first == 0 && last == static_cast<std::ptrdiff_t>(items.size())) {
    std::sort(items.begin(), items.end(), less);
    return;
  }
  if (first > 0) std::nth_element(items.begin(), items.begin() + first, items.end(), less);
  std::partial_sort(items.begin() + first, items.begin() + last, items.end(), less);
}

// ---------------------------------------------------------------------------------------------
// Keys the patterns name.

// Names of keys in one buffer: appended, then sorted and deduplicated once. (A hash set would
// cost tens of bytes of nodes per name; this costs 24 plus the name.) The order is by a hash
// of the name first, so sorting and searching compare 8 bytes where names share prefixes.
class KeySet {
 public:
  void clear() {
    bytes_.clear();
    spans_.clear();
  }
  void add(std::string_view key) {
    spans_.push_back(Span{bytes_.size(), key.size(), 0});
    bytes_.append(key);
  }
  void add(const Pattern& pattern, std::string_view element) {
    spans_.push_back(Span{bytes_.size(), pattern.key_size(element), 0});
    pattern.append_key(element, bytes_);
  }
  void finish() {
    for (Span& span : spans_) span.hash = hash_of(view(span));
    auto less = [&](const Span& a, const Span& b) {
      return a.hash != b.hash ? a.hash < b.hash : view(a) < view(b);
    };
    std::sort(spans_.begin(), spans_.end(), less);
    spans_.erase(std::unique(spans_.begin(), spans_.end(),
                             [&](const Span& a, const Span& b) {
                               return a.hash == b.hash && view(a) == view(b);
                             }),
                 spans_.end());
  }
  // Adds every name of `other` (finished), then finishes again.
  void merge(const KeySet& other) {
    for (std::size_t i = 0; i < other.size(); ++i) add(other.at(i));
    finish();
  }
  // After finish():
  std::size_t size() const { return spans_.size(); }
  std::string_view at(std::size_t i) const { return view(spans_[i]); }
  bool contains(std::string_view key) const {
    const std::uint64_t hash = hash_of(key);
    auto it =
        std::lower_bound(spans_.begin(), spans_.end(), key, [&](const Span& a, std::string_view k) {
          return a.hash != hash ? a.hash < hash : view(a) < k;
        });
    return it != spans_.end() && it->hash == hash && view(*it) == key;
  }

 private:
  struct Span {
    std::size_t at;
    std::size_t size;
    std::uint64_t hash;
  };
  static std::uint64_t hash_of(std::string_view key) { return lock_hash(key); }
  std::string_view view(const Span& span) const {
    return std::string_view(bytes_).substr(span.at, span.size);
  }
  std::string bytes_;
  std::vector<Span> spans_;
};

// Every key the call reads besides its source, for the source value `source` (nullptr when
// missing or of the wrong type: then the call reads nothing else).
void derive_pattern_keys(const SortRequest& request, bool storing, const kv::Value* source,
                         KeySet& out) {
  out.clear();
  if (source != nullptr && sortable(*source)) {
    Loaded loaded;
    load(request, storing, source, &loaded);
    if (!loaded.plan.dontsort && loaded.plan.use_by && request.by.reads_keys()) {
      for (const Item& item : loaded.items) out.add(request.by, loaded.element(item));
    }
    for (const Pattern& get : request.gets) {
      if (!get.reads_keys()) continue;
      for (const Item& item : items_read_by_gets(loaded)) out.add(get, loaded.element(item));
    }
  }
  out.finish();
}

// ---------------------------------------------------------------------------------------------
// The handler (one shard holds every key it reads).

// Redis's lookupKeyByPattern: what `pattern` reads for `element`, or nothing. The view lives
// until the next change of the keyspace (or of `scratch`/`key`).
std::optional<std::string_view> lookup_by_pattern(CommandContext& ctx, const Pattern& pattern,
                                                  std::string_view element, std::string& key,
                                                  char (&scratch)[kv::Value::kIntScratchBytes]) {
  switch (pattern.kind) {
    case Pattern::Kind::kElement:
      return element;
    case Pattern::Kind::kConstant:
      return std::nullopt;
    case Pattern::Kind::kKey:
    case Pattern::Kind::kField:
      break;
  }
  key.clear();
  pattern.append_key(element, key);
  const kv::Entry* entry = keyparts::find_for_read(ctx.db, ctx.shard.stats(), key, ctx.now_ms);
  if (entry == nullptr) return std::nullopt;
  if (pattern.kind == Pattern::Kind::kField) {
    if (entry->value.type() != kv::Type::kHash) return std::nullopt;
    std::string_view value;
    if (!entry->value.as<HashValue>().find(pattern.field, &value)) return std::nullopt;
    return value;
  }
  if (!entry->value.is_string()) return std::nullopt;
  return entry->value.view(scratch);
}

// Redis converts a sorted set it sorts to the skiplist form, for good (an encoding change
// only: OBJECT ENCODING shows it, and so does a later ZADD of -0, which only the skiplist keeps
// as -0). Done to the live source, wherever the handler runs.
void to_skiplist(Shard& shard, Db& db, const kv::Entry& entry) {
  if (entry.value.type() != kv::Type::kZSet) return;
  db.reencode(&entry, [&](kv::Value& value) {
    value.as<ZSetValue>().ensure_skiplist(shard.runtime().rng());
  });
}

void sort_generic(CommandContext& ctx, bool readonly) {
  SortRequest request;
  if (!parse_sort(ctx.args, readonly, &request, &ctx.reply)) return;
  const kv::Entry* entry =
      keyparts::find_for_read(ctx.db, ctx.shard.stats(), ctx.args[1], ctx.now_ms);
  if (entry != nullptr && !sortable(entry->value)) {
    ctx.reply.error(errors::kWrongType);
    return;
  }
  if (entry != nullptr) to_skiplist(ctx.shard, ctx.db, *entry);
  const bool storing = request.store_index != 0;
  Loaded loaded;
  load(request, storing, entry == nullptr ? nullptr : &entry->value, &loaded);
  entry = nullptr;  // lookups below may expire other keys: the copy is what counts now

  std::string key;
  char scratch[kv::Value::kIntScratchBytes];
  bool conversion_error = false;
  if (!loaded.plan.dontsort) {
    for (Item& item : loaded.items) {
      std::optional<std::string_view> weight = loaded.element(item);
      if (loaded.plan.use_by) {
        weight = lookup_by_pattern(ctx, request.by, loaded.element(item), key, scratch);
        if (!weight) continue;  // no weight: 0, or before every weight with ALPHA
      }
      if (loaded.plan.alpha) {
        if (loaded.plan.use_by) {
          item.weight_at = loaded.weights.size();
          item.weight_size = static_cast<std::uint32_t>(weight->size());
          item.has_weight = true;
          loaded.weights.append(*weight);
        }
      } else if (!parse_weight(*weight, &item.score)) {
        // The reply is the error whatever else the weights hold.
        conversion_error = true;
        break;
      }
    }
    if (!conversion_error) sort_items(request, loaded);
  }

  ctx.writes.suppress_verbatim();  // STORE's effect is the rebuild below
  if (conversion_error) {
    ctx.reply.error("ERR One or more scores can't be converted into double");
    return;
  }
  const std::size_t window =
      loaded.end < loaded.start ? 0 : static_cast<std::size_t>(loaded.end - loaded.start + 1);
  const std::size_t output = request.gets.empty() ? window : request.gets.size() * window;
  const std::span<const Item> shown =
      window == 0 ? std::span<const Item>()
                  : std::span<const Item>(loaded.items)
                        .subspan(static_cast<std::size_t>(loaded.start), window);

  if (!storing) {
    ctx.reply.array(output);
    for (const Item& item : shown) {
      if (request.gets.empty()) ctx.reply.bulk(loaded.element(item));
      for (const Pattern& get : request.gets) {
        const auto value = lookup_by_pattern(ctx, get, loaded.element(item), key, scratch);
        if (value) {
          ctx.reply.bulk(*value);
        } else {
          ctx.reply.null();
        }
      }
    }
    return;
  }

  const std::string_view dest = ctx.args[request.store_index];
  if (output == 0) {
    if (ctx.db.erase(dest, ctx.now_ms)) ctx.writes.emit(ctx.db_index, {"DEL", dest});
    ctx.reply.integer(0);
    return;
  }
  const std::int64_t fill =
      kv::EncodingLimits::load(ctx.shard.encoding_limits().list_max_listpack_size);
  auto list = std::make_unique<ListValue>();
  for (const Item& item : shown) {
    if (request.gets.empty()) list->push(ListValue::End::kTail, loaded.element(item), fill);
    for (const Pattern& get : request.gets) {
      const auto value = lookup_by_pattern(ctx, get, loaded.element(item), key, scratch);
      list->push(ListValue::End::kTail, value.value_or(std::string_view()), fill);
    }
  }
  kv::Value result = kv::Value::of(std::move(list));
  ctx.writes.emit_rebuild(ctx.db_index, dest, result, 0);
  ctx.db.put(dest, std::move(result), 0, ctx.now_ms);  // a stored result has no TTL
  ctx.reply.integer(static_cast<std::int64_t>(output));
}

void sort_command(CommandContext& ctx) {
  sort_generic(ctx, false);
}
void sort_ro_command(CommandContext& ctx) {
  sort_generic(ctx, true);
}

// ---------------------------------------------------------------------------------------------
// Across shards (see the top of the file).

// What a cross-shard SORT locks: the source, the destination and the predicted pattern keys,
// each once.
struct LockPlan {
  std::vector<LockedKey> keys;
  std::vector<std::uint8_t> roles;  // kRoleSource | kRoleDest per key
};
constexpr std::uint8_t kRoleSource = 1;
constexpr std::uint8_t kRoleDest = 2;

LockPlan plan_locks(const SessionContext& ctx, const SortRequest& request,
                    const KeySet& predicted) {
  LockPlan plan;
  const std::string_view source = ctx.args[1];
  const std::optional<std::string_view> dest =
      request.store_index != 0 ? std::optional(ctx.args[request.store_index]) : std::nullopt;
  const int db = ctx.client.db;
  auto add = [&](std::string_view name, LockMode mode, std::uint8_t role) {
    plan.keys.push_back(LockedKey{name, db, mode});
    plan.roles.push_back(role);
  };
  const bool dest_is_source = dest && *dest == source;
  add(source, dest_is_source ? LockMode::kExclusive : LockMode::kShared,
      static_cast<std::uint8_t>(kRoleSource | (dest_is_source ? kRoleDest : 0)));
  if (dest && !dest_is_source) add(*dest, LockMode::kExclusive, kRoleDest);
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const std::string_view name = predicted.at(i);
    if (name == source || (dest && name == *dest)) continue;
    add(name, LockMode::kShared, 0);
  }
  return plan;
}

// True when every key of the plan lives on `shard` and none is locked there.
bool runs_on_shard_now(Engine& engine, Shard& shard, const LockPlan& plan) {
  std::vector<std::string_view> reads;
  std::vector<std::string_view> writes;
  for (const LockedKey& key : plan.keys) {
    if (engine.shard_of_key(key.name) != shard.id()) return false;
    (key.mode == LockMode::kShared ? reads : writes).push_back(key.name);
  }
  return !shard.blocked_by_locks(reads, LockMode::kShared) &&
         !shard.blocked_by_locks(writes, LockMode::kExclusive);
}

// The key set as the source is now (no locks: a prediction), read on the source's shard.
const kv::Value* live_source(Shard& shard, int db, std::string_view key) {
  // peek, not find: an expired source must not be deleted under a transaction's lock.
  const kv::Entry* entry = shard.db(static_cast<std::size_t>(db)).peek(key);
  if (entry == nullptr || Db::expired(*entry, shard.now_ms())) return nullptr;
  return &entry->value;
}

void sort_across_shards(SessionContext& ctx) {
  const bool readonly = ctx.spec.name == "sort_ro";
  SortRequest request;
  if (!parse_sort(ctx.args, readonly, &request, &ctx.reply)) return;
  Engine& engine = ctx.engine;
  const std::string_view source = ctx.args[1];
  const bool storing = request.store_index != 0;
  const std::uint32_t source_shard = engine.shard_of_key(source);

  // 1. Predict on the source's shard; when everything is there and free, run there at once.
  KeySet predicted;
  std::string direct_reply;
  bool answered = false;
  ctx.coordinator.run_on(source_shard, [&](Shard& shard) {
    derive_pattern_keys(request, storing, live_source(shard, ctx.client.db, source), predicted);
    if (!runs_on_shard_now(engine, shard, plan_locks(ctx, request, predicted))) return;
    ReplyBuilder reply(&direct_reply, ctx.reply.protocol());
    shard.writes().apply(ctx.spec, ctx.client.db, ctx.args, reply, shard.now_ms());
    answered = true;
  });
  if (answered) {
    ctx.reply.raw(direct_reply);
    return;
  }

  // What a copy needs to hold: the patterns read strings whole and hashes by these fields.
  bool reads_strings = false;
  std::vector<std::string_view> fields;
  auto note_pattern = [&](const Pattern& pattern) {
    if (pattern.kind == Pattern::Kind::kKey) reads_strings = true;
    if (pattern.kind == Pattern::Kind::kField) fields.push_back(pattern.field);
  };
  if (request.by_reads_keys()) note_pattern(request.by);
  for (const Pattern& get : request.gets) note_pattern(get);
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  const HashValue::Limits hash_limits = HashValue::Limits::of(engine.encoding_limits());
  const std::int64_t fill =
      kv::EncodingLimits::load(engine.encoding_limits().list_max_listpack_size);

  LockPlan plan;
  auto copy = [&](std::size_t i, Shard& shard, const kv::Entry& entry) -> std::optional<kv::Value> {
    const std::uint8_t role = plan.roles[i];
    if ((role & kRoleSource) != 0) {
      // The source itself takes the conversion the handler gives it (see to_skiplist).
      to_skiplist(shard, shard.db(static_cast<std::size_t>(ctx.client.db)), entry);
      return entry.value.clone();
    }
    if (entry.value.is_string() && reads_strings) return entry.value.clone();
    if (entry.value.type() == kv::Type::kHash && !fields.empty()) {
      const HashValue& hash = entry.value.as<HashValue>();
      auto part = std::make_unique<HashValue>();
      // Whichever is smaller is walked, so a copy costs at most what the hash holds (many
      // GET patterns with their own fields do not make every hash pay for all of them).
      if (hash.size() < fields.size()) {
        hash.for_each([&](std::string_view field, std::string_view value) {
          if (std::binary_search(fields.begin(), fields.end(), field)) {
            part->set(field, value, hash_limits);
          }
        });
      } else {
        for (std::string_view field : fields) {
          std::string_view value;
          if (hash.find(field, &value)) part->set(field, value, hash_limits);
        }
      }
      if (!part->empty()) return kv::Value::of(std::move(part));
    }
    if ((role & kRoleDest) != 0) {
      // The destination exists but nothing of it can be read: a stand-in that every pattern
      // reads as nil (not a string, not a hash) tells the handler it is there, so an empty
      // result deletes it.
      auto stand_in = std::make_unique<ListValue>();
      stand_in->push(ListValue::End::kTail, std::string_view(), fill);
      return kv::Value::of(std::move(stand_in));
    }
    return std::nullopt;  // every pattern reads nil from it, as from a missing key
  };
  FunctionRef<std::optional<kv::Value>(std::size_t, Shard&, const kv::Entry&)> copy_ref(copy);

  // 2-3. Lock the predicted set; keep the attempt only if the locked source names no other key.
  // (The plan's names point into `predicted`, so a new derivation goes to `fresh` and becomes
  // the prediction only once the attempt is over.)
  KeySet fresh;
  bool stale_allowed = true;
  auto check = [&](Shard& scratch) {
    derive_pattern_keys(request, storing, live_source(scratch, ctx.client.db, source), fresh);
    bool covered = true;
    for (std::size_t i = 0; i < fresh.size() && covered; ++i) {
      const std::string_view name = fresh.at(i);
      covered = predicted.contains(name) || name == source ||
                (storing && name == ctx.args[request.store_index]);
    }
    // (Fault injection: a prediction gone stale, to exercise the retry and the escalation.)
    if (stale_allowed && BUGGIFY("sort.stale-prediction")) covered = false;
    return covered;
  };
  FunctionRef<bool(Shard&)> check_ref(check);
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    plan = plan_locks(ctx, request, predicted);
    if (run_on_locked_copies(ctx, plan.keys,
                             LockedCopyOptions{&copy_ref, &check_ref, false, true})) {
      return;
    }
    // The next attempt locks both what the source named before and what it names now: a
    // source that keeps changing among a few elements is soon covered whatever it holds.
    predicted.merge(fresh);
  }

  // The escalation: the whole keyspace holds still while this call runs.
  ctx.coordinator.lock_keyspace();
  ctx.coordinator.run_on(source_shard, [&](Shard& shard) {
    derive_pattern_keys(request, storing, live_source(shard, ctx.client.db, source), predicted);
  });
  plan = plan_locks(ctx, request, predicted);
  stale_allowed = false;
  const bool ran =
      run_on_locked_copies(ctx, plan.keys, LockedCopyOptions{&copy_ref, &check_ref, true, true});
  ASSERT_MSG(ran, "a SORT's key set changed while the keyspace was held");
  ctx.coordinator.unlock_keyspace();
}

CommandSpec sort_spec(std::string_view name, std::uint32_t flags, CommandHandler handler,
                      std::string_view summary, std::string_view since, std::string_view acl,
                      std::string_view syntax) {
  CommandSpec spec = keyed_spec("generic", name, -2, flags, 1, 1, 1, handler, summary, since, acl);
  spec.syntax = syntax;
  spec.session_handler = sort_across_shards;
  spec.reads_keys_named_by_values = sort_reads_pattern_keys;
  return spec;
}

}  // namespace

void register_sort_commands(CommandTable& table) {
  CommandSpec sort = sort_spec(
      "sort", kCmdWrite | kCmdDenyOom, sort_command,
      "Sort the elements in a list, set or sorted set", "1.0.0",
      "@write @set @sortedset @list @slow @dangerous",
      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] "
      "[STORE destination]");
  sort.keys_fn = sort_store_key;
  table.add(sort);
  table.add(sort_spec("sort_ro", kCmdReadonly, sort_ro_command,
                      "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
                      "7.0.0", "@read @set @sortedset @list @slow @dangerous",
                      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] "
                      "[ASC|DESC] [ALPHA]"));
}

}  // namespace eddy

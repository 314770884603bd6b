// kv::hll against a model: any sequence of register raises, whatever hll-sparse-max-bytes says,
// leaves a valid representation whose registers are the running maxima, whose estimate is the
// model's, and whose sparse form never outgrows the limit. (Byte-exactness against Redis is
// pinned by cmd_hll_test.cc; this checks the edits' meaning on far more shapes.)

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

#include "engine/kv/hyperloglog.h"
#include "engine/kv/small_string.h"

namespace hll = eddy::kv::hll;

TEST_CASE("register raises keep the HLL equal to a model of running maxima", "[hll][property]") {
  rc::prop("registers, estimate and size follow the model", [] {
    const auto sparse_max = *rc::gen::element<std::size_t>(0, 20, 64, 300, 3000, 100000);
    eddy::kv::SmallString bytes(hll::empty_sparse());
    hll::Registers model{};
    // Registers bunched in a few areas, values mostly small (as real HLLs), some large.
    const auto steps = *rc::gen::container<std::vector<std::pair<std::uint32_t, std::uint8_t>>>(
        rc::gen::pair(rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 40),
                                     rc::gen::inRange<std::uint32_t>(16300, 16384),
                                     rc::gen::inRange<std::uint32_t>(0, 16384)),
                      rc::gen::oneOf(rc::gen::inRange<std::uint8_t>(1, 4),
                                     rc::gen::inRange<std::uint8_t>(1, 52))));
    for (const auto& [index, count] : steps) {
      const bool raises = model[index] < count;
      RC_ASSERT(hll::probe_register(bytes.view(), index, count) ==
                (raises ? hll::SetResult::kChanged : hll::SetResult::kUnchanged));
      const hll::SetResult result = hll::set_register(bytes, index, count, sparse_max);
      RC_ASSERT(result == (raises ? hll::SetResult::kChanged : hll::SetResult::kUnchanged));
      model[index] = std::max(model[index], count);
      RC_ASSERT(hll::looks_valid(bytes.view()));
      if (hll::encoding_of(bytes.view()) == hll::Encoding::kSparse) {
        RC_ASSERT(bytes.size() <= std::max<std::size_t>(sparse_max, hll::empty_sparse().size()));
      }
    }
    hll::Registers seen{};
    RC_ASSERT(hll::merge_into(bytes.view(), seen));
    RC_ASSERT(seen == model);
    RC_ASSERT(hll::count(bytes.view()) == hll::count(model));
    // Converting to dense changes the form, not the meaning.
    RC_ASSERT(hll::to_dense(bytes));
    hll::Registers dense{};
    RC_ASSERT(hll::merge_into(bytes.view(), dense));
    RC_ASSERT(dense == model);
    for (std::uint32_t i = 0; i < hll::kRegisters; i += 97) {
      RC_ASSERT(hll::dense_register(bytes.view(), i) == model[i]);
    }
  });
}

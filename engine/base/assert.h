#pragma once
// Always-on invariant checks. A broken invariant stops the process with file, line and the
// failed condition (plus both operands for the comparison forms), never continues on
// corrupt state. DEBUG_ASSERT is for checks too costly for release builds.

#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>

namespace eddy::detail {

// Cold and called with pointers and integers only, so a function that asserts needs no stack
// frame for the failure path: a std::string built at each call site cost every asserting
// function a prologue (callgrind: ~6 instructions per call of small hot functions).
[[noreturn, gnu::cold]] void assert_failed(const char* file, int line, const char* condition,
                                           const char* detail);
[[noreturn, gnu::cold]] void assert_failed(const char* file, int line, const char* condition,
                                           const std::string& detail);

template <typename T>
std::string show_operand(const T& value) {
  if constexpr (std::is_null_pointer_v<T>) {
    return "nullptr";
  } else if constexpr (std::is_pointer_v<T>) {
    // An address, never the pointee: a char* operand need not be a terminated string.
    char text[2 + 2 * sizeof(void*) + 1];
    std::snprintf(text, sizeof text, "%p", static_cast<const void*>(value));
    return text;
  } else if constexpr (requires { std::to_string(value); }) {
    return std::to_string(value);
  } else if constexpr (requires { std::string(value); }) {
    return std::string(value);
  } else {
    return "?";
  }
}

// The comparison forms' failure: operands by value (they are integers, pointers and views),
// the message built only here.
template <typename A, typename B>
[[noreturn, gnu::cold, gnu::noinline]] void assert_cmp_failed(const char* file, int line,
                                                              const char* condition, const char* op,
                                                              A lhs, B rhs) {
  assert_failed(file, line, condition, show_operand(lhs) + " " + op + " " + show_operand(rhs));
}

}  // namespace eddy::detail

#define EDDY_LIKELY(x) __builtin_expect(!!(x), 1)
#define EDDY_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define ASSERT(cond)                                                \
  do {                                                              \
    if (EDDY_UNLIKELY(!(cond))) {                                   \
      ::eddy::detail::assert_failed(__FILE__, __LINE__, #cond, ""); \
    }                                                               \
  } while (0)

#define ASSERT_MSG(cond, msg)                                          \
  do {                                                                 \
    if (EDDY_UNLIKELY(!(cond))) {                                      \
      ::eddy::detail::assert_failed(__FILE__, __LINE__, #cond, (msg)); \
    }                                                                  \
  } while (0)

#define EDDY_ASSERT_CMP(a, op, b)                                                              \
  do {                                                                                         \
    const auto& eddy_lhs_ = (a);                                                               \
    const auto& eddy_rhs_ = (b);                                                               \
    if (EDDY_UNLIKELY(!(eddy_lhs_ op eddy_rhs_))) {                                            \
      ::eddy::detail::assert_cmp_failed(__FILE__, __LINE__, #a " " #op " " #b, #op, eddy_lhs_, \
                                        eddy_rhs_);                                            \
    }                                                                                          \
  } while (0)

#define ASSERT_EQ(a, b) EDDY_ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) EDDY_ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) EDDY_ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) EDDY_ASSERT_CMP(a, <=, b)
#define ASSERT_GT(a, b) EDDY_ASSERT_CMP(a, >, b)
#define ASSERT_GE(a, b) EDDY_ASSERT_CMP(a, >=, b)

#ifdef NDEBUG
#define DEBUG_ASSERT(cond) \
  do {                     \
  } while (0)
#else
#define DEBUG_ASSERT(cond) ASSERT(cond)
#endif

#define UNREACHABLE() ::eddy::detail::assert_failed(__FILE__, __LINE__, "unreachable", "")

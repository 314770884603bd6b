#include "engine/base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace eddy::detail {

namespace {
// The simulator installs a hook that prints the seed being replayed; production prints nothing
// more than the failed condition.
void (*g_assert_context_hook)() = nullptr;
}  // namespace

void set_assert_context_hook(void (*hook)()) {
  g_assert_context_hook = hook;
}

void assert_failed(const char* file, int line, const char* condition, const char* detail) {
  std::fprintf(stderr, "eddy: assertion failed at %s:%d: %s%s%s\n", file, line, condition,
               detail[0] == '\0' ? "" : " -- ", detail);
  if (g_assert_context_hook != nullptr) g_assert_context_hook();
  std::fflush(stderr);
  std::abort();
}

void assert_failed(const char* file, int line, const char* condition, const std::string& detail) {
  assert_failed(file, line, condition, detail.c_str());
}

}  // namespace eddy::detail

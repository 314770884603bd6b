// Linked into every fuzz target: UBSan settings that make a finding fail the run whoever
// starts the binary (CI, a developer, a replay of one crash file); UBSAN_OPTIONS still
// overrides them. ASan's defaults already stop at the first error and report leaks.

extern "C" {

// Undefined behaviour stops the run instead of printing and going on (libFuzzer only counts
// a crash), with the stack that led to it.
const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

}  // extern "C"

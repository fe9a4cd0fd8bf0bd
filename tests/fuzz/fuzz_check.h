#ifndef OBJGATE_TESTS_FUZZ_FUZZ_CHECK_H_
#define OBJGATE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// FUZZ_CHECK(condition) fails a fuzz target when a property of the code under test does
// not hold. It aborts, so that libFuzzer keeps the input as a crash and the replay test
// fails with the message, in every compilation mode (assert() vanishes under NDEBUG, and
// the default build is -c opt).
#define FUZZ_CHECK(condition)                                                             \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__,       \
                   #condition);                                                           \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

#endif  // OBJGATE_TESTS_FUZZ_FUZZ_CHECK_H_

#include "assay/core/large_stack.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace assay {
namespace {

// Recurses `depth` levels with a 4 KiB frame each: far past a default 8 MiB stack.
int Deep(int depth) {
  volatile char frame[4096];
  frame[0] = 1;
  if (depth == 0) return 0;
  const int below = Deep(depth - 1);
  return below + frame[0];  // read after the call: the frame stays alive
}

TEST(RunWithLargeStack, RunsWorkThatNeedsMoreThanTheDefaultStack) {
  int result = -1;
  RunWithLargeStack([&] { result = Deep(20000); });  // about 80 MiB of frames
  EXPECT_EQ(result, 20000);
}

TEST(RunWithLargeStack, RethrowsWhatTheWorkThrows) {
  EXPECT_THROW(RunWithLargeStack([] { throw std::invalid_argument("bad"); }),
               std::invalid_argument);
}

}  // namespace
}  // namespace assay

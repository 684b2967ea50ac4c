// Running work that recurses deeply in a third-party library (DCMTK parses
// nested DICOM sequences recursively) on threads with a large stack.
#pragma once

#include <cstddef>
#include <functional>

namespace assay {

// Stack size given to the threads of RunWithLargeStack: reserved address
// space, committed only as it is used.
inline constexpr std::size_t kLargeStackBytes = std::size_t{512} << 20;

// Runs `work` on a new thread with a kLargeStackBytes stack and waits for it;
// oneTBB worker threads started meanwhile get the same stack size, so a
// parallel loop inside `work` runs entirely on large stacks. An exception
// thrown by `work` is rethrown here.
void RunWithLargeStack(const std::function<void()>& work);

}  // namespace assay

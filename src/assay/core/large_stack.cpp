#include "assay/core/large_stack.h"

#include <pthread.h>
#include <tbb/global_control.h>

#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

namespace assay {
namespace {

struct Job {
  const std::function<void()>* work;
  std::exception_ptr error;
};

void* RunJob(void* argument) {
  auto* job = static_cast<Job*>(argument);
  try {
    (*job->work)();
  } catch (...) {
    job->error = std::current_exception();
  }
  return nullptr;
}

}  // namespace

void RunWithLargeStack(const std::function<void()>& work) {
  const tbb::global_control stack(tbb::global_control::thread_stack_size, kLargeStackBytes);
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kLargeStackBytes);
  Job job{&work, nullptr};
  pthread_t thread;
  const int created = pthread_create(&thread, &attributes, RunJob, &job);
  pthread_attr_destroy(&attributes);
  if (created != 0) {
    throw std::runtime_error(std::string("cannot start a worker thread: ") +
                             std::strerror(created));
  }
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace assay

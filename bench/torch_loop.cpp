// The peer of bench/infer_bench.py: a bare LibTorch forward loop in C++, as a
// user would write it, over images already in memory, with the allocator set
// as assay sets it when it runs a model (jemalloc keeping freed pages).
//
//   torch_loop MODEL.pt IMAGES SIZE BATCH THREADS
// prints images/s of the timed loop (after two warm-up batches).
#include <ATen/Parallel.h>
#include <sys/types.h>
#include <torch/script.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length);

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: torch_loop MODEL.pt IMAGES SIZE BATCH THREADS\n");
    return 2;
  }
  const std::int64_t images = std::atol(argv[2]);
  const std::int64_t size = std::atol(argv[3]);
  const std::int64_t batch = std::atol(argv[4]);
  ssize_t never = -1;
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms",
                           "arena.4096.dirty_decay_ms", "arena.4096.muzzy_decay_ms"}) {
    (void)mallctl(name, nullptr, nullptr, &never, sizeof never);
  }
  at::set_num_threads(std::atoi(argv[5]));
  torch::jit::Module model = torch::jit::load(argv[1]);
  model.eval();
  c10::InferenceMode inference;
  torch::manual_seed(1);
  const torch::Tensor all = torch::rand({images, 1, size, size});
  for (int i = 0; i < 2; ++i) model.forward({all.slice(0, 0, batch)});
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t first = 0; first < images; first += batch) {
    model.forward({all.slice(0, first, std::min(first + batch, images))});
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.3f\n", static_cast<double>(images) / seconds);
  return 0;
}

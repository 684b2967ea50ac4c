// ASSAY_EMBED_FILE(symbol, path): links the bytes of the file at `path` (a
// string literal, usually passed in by CMake) into the binary between the
// symbols `symbol_begin` and `symbol_end`, followed by a NUL byte. Declare
// them with `extern "C" const char symbol_begin[], symbol_end[];`.
// Hand-written because C++20 has no #embed and generating a byte array from
// large files slows the build.
#pragma once

#define ASSAY_EMBED_FILE(symbol, path)      \
  asm(".pushsection .rodata\n"              \
      ".balign 16\n"                        \
      ".global " #symbol "_begin\n" #symbol \
      "_begin:\n"                           \
      ".incbin \"" path                     \
      "\"\n"                                \
      ".global " #symbol "_end\n" #symbol   \
      "_end:\n"                             \
      ".byte 0\n"                           \
      ".popsection\n")

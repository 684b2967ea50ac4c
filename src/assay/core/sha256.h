// SHA-256 digests, as 64 lower-case hex characters, for the evidence bundle's
// MANIFEST, protocol locks and the model-identity gate. Backed by OpenSSL.
//
//   auto digest = Sha256File("protocol.toml");
//   if (!digest.ok()) return digest.status();
#pragma once

#include <string>
#include <string_view>

#include "assay/core/status.h"

namespace assay {

// The digest of `bytes`.
std::string Sha256(std::string_view bytes);

// The digest of a file's bytes, read in blocks. kIoError naming the path when
// it cannot be opened or read.
Result<std::string> Sha256File(const std::string& path);

// True for 64 lower-case hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace assay

// SHA-256 digests, as 64 lower-case hex characters, for the evidence bundle's
// MANIFEST, protocol locks and the model-identity gate, and keyed HMAC-SHA-256
// pseudonyms. Backed by OpenSSL.
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

// HMAC-SHA-256 (RFC 2104) of `message` under `key`, as 64 lower-case hex
// characters: the keyed pseudonyms that link a patient's images without
// revealing the patient id to anyone who lacks the key.
std::string HmacSha256(std::string_view key, std::string_view message);

// HMAC-SHA-256 under one key, for many messages: the keyed state is set up
// once and copied for each message. Digest may be called from several threads.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // 64 lower-case hex characters.
  std::string Digest(std::string_view message) const;

 private:
  struct State;
  State* state_;
};

// True for 64 lower-case hex characters.
bool IsSha256Hex(std::string_view text);

}  // namespace assay

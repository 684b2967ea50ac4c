#include "assay/core/sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace assay {
namespace {

struct ContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using Context = std::unique_ptr<EVP_MD_CTX, ContextDeleter>;

Context NewContext() {
  Context context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not initialise SHA-256");
  }
  return context;
}

std::string Hex(const unsigned char* digest, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(std::size_t{2} * length, '0');
  for (std::size_t i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return hex;
}

std::string Finish(EVP_MD_CTX* context) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context, digest.data(), &length) != 1) {
    throw std::runtime_error("OpenSSL could not finish SHA-256");
  }
  return Hex(digest.data(), length);
}

}  // namespace

struct HmacSha256Key::State {
  EVP_MAC_CTX* keyed = nullptr;  // initialised with the key; copied per message
};

HmacSha256Key::HmacSha256Key(std::string_view key) : state_(new State) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  state_->keyed = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context holds its own reference
  char digest_name[] = "SHA256";
  const OSSL_PARAM parameters[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                                   OSSL_PARAM_construct_end()};
  if (state_->keyed == nullptr ||
      EVP_MAC_init(state_->keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   parameters) != 1) {
    EVP_MAC_CTX_free(state_->keyed);
    delete state_;
    throw std::runtime_error("OpenSSL could not set up HMAC-SHA-256");
  }
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MAC_CTX_free(state_->keyed);
  delete state_;
}

std::string HmacSha256Key::Digest(std::string_view message) const {
  struct MacContextDeleter {
    void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
  };
  std::unique_ptr<EVP_MAC_CTX, MacContextDeleter> context(EVP_MAC_CTX_dup(state_->keyed));
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  if (!context ||
      EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(context.get(), digest.data(), &length, digest.size()) != 1) {
    throw std::runtime_error("OpenSSL could not compute HMAC-SHA-256");
  }
  return Hex(digest.data(), static_cast<unsigned int>(length));
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  return HmacSha256Key(key).Digest(message);
}

std::string Sha256(std::string_view bytes) {
  Context context = NewContext();
  EVP_DigestUpdate(context.get(), bytes.data(), bytes.size());
  return Finish(context.get());
}

Result<std::string> Sha256File(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) return IoError(path + ": cannot open: " + std::strerror(errno));
  Context context = NewContext();
  std::array<char, 1 << 16> block{};
  while (file) {
    file.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto read = static_cast<std::size_t>(file.gcount());
    if (read > 0) EVP_DigestUpdate(context.get(), block.data(), read);
  }
  if (file.bad()) return IoError(path + ": read error");
  return Finish(context.get());
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace assay

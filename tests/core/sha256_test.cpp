#include "assay/core/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace assay {
namespace {

// FIPS 180-2 appendix B test vectors.
TEST(Sha256, MatchesPublishedVectors) {
  EXPECT_EQ(Sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FileDigestEqualsDigestOfItsBytesAcrossBlocks) {
  const auto path = std::filesystem::temp_directory_path() / "assay_sha256_test.bin";
  std::string bytes;
  for (int i = 0; i < 200000; ++i) bytes.push_back(static_cast<char>(i * 7 + 3));
  std::ofstream(path, std::ios::binary) << bytes;
  const auto digest = Sha256File(path.string());
  ASSERT_TRUE(digest.ok()) << digest.status().message();
  EXPECT_EQ(*digest, Sha256(bytes));
  std::filesystem::remove(path);
}

TEST(Sha256, MissingFileIsAnIoErrorNamingThePath) {
  const auto digest = Sha256File("/nonexistent/assay/file.bin");
  ASSERT_FALSE(digest.ok());
  EXPECT_EQ(digest.status().code(), StatusCode::kIoError);
  EXPECT_NE(digest.status().message().find("/nonexistent/assay/file.bin"), std::string::npos);
}

TEST(Sha256, RecognisesHexDigests) {
  EXPECT_TRUE(IsSha256Hex(Sha256("x")));
  EXPECT_FALSE(IsSha256Hex("ABC"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
}

}  // namespace
}  // namespace assay

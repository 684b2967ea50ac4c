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

// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
TEST(HmacSha256, MatchesRfc4231Vectors) {
  EXPECT_EQ(HmacSha256(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(HmacSha256("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256(std::string(131, '\xaa'),
                       "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, DependsOnTheKey) {
  EXPECT_NE(HmacSha256("key one", "PAT-0001"), HmacSha256("key two", "PAT-0001"));
  EXPECT_EQ(HmacSha256("key one", "PAT-0001"), HmacSha256("key one", "PAT-0001"));
}

}  // namespace
}  // namespace assay

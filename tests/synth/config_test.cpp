#include "assay/synth/config.h"

#include <gtest/gtest.h>

#include <string>

#include "test_files.h"

namespace assay::synth {
namespace {

using assay::testing::TemporaryDirectory;

// A minimal valid configuration; the line numbers matter to the tests below.
constexpr const char* kBase =
    "seed = 7\n"                // 1
    "image_size = 64\n"         // 2
    "[lesion]\n"                // 3
    "size_mm = [2.0, 8.0]\n"    // 4
    "[[sites]]\n"               // 5
    "name = \"a\"\n"            // 6
    "institution = \"A\"\n"     // 7
    "role = \"development\"\n"  // 8
    "cases = 10\n"              // 9
    "prevalence = 0.3\n"        // 10
    "  [[sites.scanners]]\n"    // 11
    "  vendor = \"V\"\n"        // 12
    "  model = \"M\"\n"         // 13
    "  [[sites.scanners]]\n"    // 14
    "  vendor = \"W\"\n"        // 15
    "  model = \"N\"\n"         // 16
    "  share = 0.25\n";         // 17
// (the first scanner's share is added by the tests that need a valid file)

std::string Valid() {
  std::string text = kBase;
  text.insert(text.find("  [[sites.scanners]]\n  vendor = \"W\""), "  share = 0.75\n");
  return text;
}

// Valid() with the first occurrence of `from` replaced by `to`.
std::string Replace(const std::string& from, const std::string& to) {
  std::string text = Valid();
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

Result<CohortConfig> Load(const std::string& text) {
  TemporaryDirectory dir;
  return LoadCohortConfig(dir.Write("cohort.toml", text));
}

// Expects an invalid-input error that starts with the path and contains `where` and `what`.
void ExpectError(const std::string& text, const std::string& where, const std::string& what) {
  TemporaryDirectory dir;
  const std::string path = dir.Write("cohort.toml", text);
  auto config = LoadCohortConfig(path);
  ASSERT_FALSE(config.ok());
  const std::string message = config.status().message();
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidInput) << message;
  EXPECT_EQ(message.rfind(path, 0), 0u) << message;
  EXPECT_NE(message.find(where), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(CohortConfigTest, ReadsEveryKeyWithDefaults) {
  auto config = Load(Valid() +
                     "[[plant]]\n"
                     "name = \"noisy W\"\n"
                     "where = { vendor = \"W\", age_min = 50 }\n"
                     "noise = 3.0\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->seed, 7u);
  EXPECT_EQ(config->image_size, 64u);
  EXPECT_DOUBLE_EQ(config->lesion.size_mm.high, 8.0);
  EXPECT_DOUBLE_EQ(config->lesion.contrast.low, 0.05);  // default
  ASSERT_EQ(config->sites.size(), 1u);
  ASSERT_EQ(config->sites[0].scanners.size(), 2u);
  EXPECT_DOUBLE_EQ(config->sites[0].scanners[1].share, 0.25);
  EXPECT_DOUBLE_EQ(config->sites[0].scanners[1].noise, 1.0);  // default
  ASSERT_EQ(config->plants.size(), 1u);
  EXPECT_EQ(config->plants[0].where.vendors, std::vector<std::string>{"W"});
  EXPECT_DOUBLE_EQ(*config->plants[0].where.age_min, 50.0);
  EXPECT_DOUBLE_EQ(*config->plants[0].effect.noise, 3.0);
  EXPECT_FALSE(config->plants[0].effect.blur);
}

TEST(CohortConfigTest, UnknownKeysAreNamedWithTheirLine) {
  ExpectError(Replace("image_size = 64", "image_sise = 64"), "line 2, key 'image_sise'",
              "unknown key");
  ExpectError(Replace("prevalence = 0.3", "prevalance = 0.3"), "line 10, key 'sites[0].prevalance'",
              "unknown key");
  ExpectError(Replace("  model = \"N\"", "  modle = \"N\""),
              "line 17, key 'sites[0].scanners[1].modle'", "unknown key");
}

TEST(CohortConfigTest, ValuesOutOfRangeAreNamed) {
  ExpectError(Replace("prevalence = 0.3", "prevalence = 1.5"), "line 10, key 'sites[0].prevalence'",
              "1.5 is outside [0, 1]");
  ExpectError(Replace("cases = 10", "cases = 0"), "line 9, key 'sites[0].cases'", "outside");
  ExpectError(Replace("role = \"development\"", "role = \"training\""), "key 'sites[0].role'",
              "not one of development, test");
  ExpectError(Replace("size_mm = [2.0, 8.0]", "size_mm = [8.0, 2.0]"),
              "line 4, key 'lesion.size_mm'", "above high");
  ExpectError(Replace("cases = 10", "cases = \"ten\""), "key 'sites[0].cases'",
              "expected an integer");
}

TEST(CohortConfigTest, MissingKeysAndSitesAreNamed) {
  ExpectError(Replace("seed = 7\n", ""), "key 'seed'", "required key is missing");
  std::string no_sites = Valid();
  no_sites.erase(no_sites.find("[[sites]]"));
  ExpectError(no_sites, "key 'sites'", "required key is missing");
  ExpectError(Replace("institution = \"A\"\n", ""), "key 'sites[0].institution'",
              "required key is missing");
}

TEST(CohortConfigTest, ScannerSharesMustSumToOne) {
  ExpectError(Replace("share = 0.25", "share = 0.5"), "key 'sites[0].scanners'", "sum to 1.25");
  // A second scanner needs a share.
  ExpectError(kBase, "key 'sites[0].scanners[0].share'", "required key is missing");
}

TEST(CohortConfigTest, PlantsMustNameWhatTheSitesHave) {
  ExpectError(Valid() + "[[plant]]\nname = \"p\"\nwhere = { vendor = \"X\" }\nnoise = 2\n",
              "line 21, key 'plant[0].where.vendor'", "no site has vendor 'X'");
  ExpectError(Valid() + "[[plant]]\nname = \"p\"\nwhere = { colour = \"red\" }\nnoise = 2\n",
              "key 'plant[0].where.colour'", "unknown key");
  ExpectError(Valid() + "[[plant]]\nname = \"p\"\nwhere = { site = \"a\" }\n", "key 'plant[0]'",
              "needs an effect");
  ExpectError(Valid() +
                  "[[plant]]\nname = \"p\"\nwhere = { size_min_mm = 5, size_max_mm = 3 }\n"
                  "blur = 1\n",
              "key 'plant[0].where.size_min_mm'", "above the matching maximum");
}

TEST(CohortConfigTest, SyntaxErrorsNameTheLine) {
  ExpectError(Replace("cases = 10", "cases = = 10"), "line 9", "not valid TOML");
}

TEST(CohortConfigTest, MissingFileIsAnIoError) {
  auto config = LoadCohortConfig("/nonexistent/cohort.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace assay::synth

#include "assay/data/harmonize.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace assay::data {
namespace {

using assay::testing::TemporaryDirectory;

TEST(NormalizeName, LowerCasesAndCollapsesPunctuation) {
  EXPECT_EQ(NormalizeName("  GE  Medical-Systems. "), "ge medical systems");
  EXPECT_EQ(NormalizeName("TOSHIBA_MEC"), "toshiba mec");
  EXPECT_EQ(NormalizeName("--"), "");
}

TEST(VendorTable, MapsTheSpellingsOfOneVendorToOneName) {
  const VendorTable table = VendorTable::Shipped();
  for (const char* spelling : {"GE MEDICAL SYSTEMS", "GE Healthcare", "ge", "GE OEC Medical"}) {
    EXPECT_EQ(table.Canonical(spelling), "GE") << spelling;
  }
  EXPECT_EQ(table.Canonical("SIEMENS"), "Siemens");
  EXPECT_EQ(table.Canonical("Siemens Healthineers AG"), "Siemens");
  EXPECT_EQ(table.Canonical("TOSHIBA_MEC"), "Canon");
  EXPECT_EQ(table.Canonical("Philips Medical Systems"), "Philips");
  // Whole words only: "general" does not start with the word "ge".
  EXPECT_EQ(table.Canonical("Generic Imaging"), std::nullopt);
  EXPECT_EQ(table.Canonical(""), std::nullopt);
  EXPECT_EQ(table.Canonical("  "), std::nullopt);
}

TEST(VendorTable, UserAliasesExtendAndTakePrecedence) {
  TemporaryDirectory folder;
  const auto path = folder.Write("aliases.csv",
                                 "alias,vendor\n"
                                 "\"ACME Scanners, Inc.\",ACME\n"
                                 "ge,General Electric (ours)\n");
  VendorTable table = VendorTable::Shipped();
  ASSERT_TRUE(table.AddFile(path).ok());
  EXPECT_EQ(table.Canonical("acme scanners inc"), "ACME");
  EXPECT_EQ(table.Canonical("GE"), "General Electric (ours)");
  // The longest alias still wins over the user's shorter one.
  EXPECT_EQ(table.Canonical("GE Medical Systems"), "GE");
}

TEST(VendorTable, RefusesAnAliasRowWithoutAVendorNamingTheLine) {
  TemporaryDirectory folder;
  const auto path = folder.Write("aliases.csv", "alias,vendor\nacme,ACME\nfoo,\n");
  VendorTable table;
  const Status status = table.AddFile(path);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("line 3"), std::string::npos) << status.message();
  EXPECT_FALSE(table.AddFile(folder.Path("missing.csv")).ok());
}

TEST(AgeInYears, ReadsDicomAgeStringsAndBareYears) {
  EXPECT_DOUBLE_EQ(*AgeInYears("065Y"), 65.0);
  EXPECT_DOUBLE_EQ(*AgeInYears("018M"), 1.5);
  EXPECT_DOUBLE_EQ(*AgeInYears("003W"), 21.0 / 365.25);
  EXPECT_DOUBLE_EQ(*AgeInYears("010D"), 10.0 / 365.25);
  EXPECT_DOUBLE_EQ(*AgeInYears("65"), 65.0);
  EXPECT_DOUBLE_EQ(*AgeInYears(" 42.5 y"), 42.5);
  EXPECT_EQ(AgeInYears("abc"), std::nullopt);
  EXPECT_EQ(AgeInYears("065X"), std::nullopt);
  EXPECT_EQ(AgeInYears("-3Y"), std::nullopt);
  EXPECT_EQ(AgeInYears(""), std::nullopt);
}

TEST(SexCode, ReadsCodesAndWords) {
  EXPECT_EQ(SexCode("M"), "M");
  EXPECT_EQ(SexCode("female"), "F");
  EXPECT_EQ(SexCode(" O "), "O");
  EXPECT_EQ(SexCode("X"), std::nullopt);
  EXPECT_EQ(SexCode(""), std::nullopt);
}

TEST(Quantity, ReadsNumbersWithTheirUnit) {
  EXPECT_DOUBLE_EQ(*Quantity("120", "kV"), 120.0);
  EXPECT_DOUBLE_EQ(*Quantity("120 kV", "kV"), 120.0);
  EXPECT_DOUBLE_EQ(*Quantity("3T", "T"), 3.0);
  EXPECT_DOUBLE_EQ(*Quantity("5.000000", "mm"), 5.0);
  EXPECT_EQ(Quantity("5 cm", "mm"), std::nullopt);
  EXPECT_EQ(Quantity("nan", "mm"), std::nullopt);
  EXPECT_EQ(Quantity("", "mm"), std::nullopt);
}

TEST(SplitValues, SplitsAtBackslashes) {
  EXPECT_EQ(SplitValues("0.5\\0.6"), (std::vector<std::string>{"0.5", "0.6"}));
  EXPECT_EQ(SplitValues("FC13"), (std::vector<std::string>{"FC13"}));
  EXPECT_EQ(SplitValues("a\\\\b"), (std::vector<std::string>{"a", "", "b"}));
}

TEST(IsoDate, ChecksTheCalendar) {
  EXPECT_EQ(IsoDate("20210315"), "2021-03-15");
  EXPECT_EQ(IsoDate("20240229"), "2024-02-29");
  EXPECT_EQ(IsoDate("20230229"), std::nullopt);
  EXPECT_EQ(IsoDate("20211301"), std::nullopt);
  EXPECT_EQ(IsoDate("2021-03-15"), std::nullopt);
  EXPECT_EQ(IsoDate(""), std::nullopt);
}

TEST(IsPlausible, FlagsImpossibleAcquisitionValues) {
  EXPECT_TRUE(IsPlausible(0.0, kPlausibleAgeYears));
  EXPECT_FALSE(IsPlausible(250.0, kPlausibleAgeYears));
  EXPECT_FALSE(IsPlausible(0.0, kPlausibleSliceThicknessMm));
  EXPECT_TRUE(IsPlausible(0.625, kPlausibleSliceThicknessMm));
  EXPECT_FALSE(IsPlausible(5.0, kPlausibleKvp));
}

}  // namespace
}  // namespace assay::data

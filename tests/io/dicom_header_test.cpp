#include "assay/io/dicom_header.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "assay/core/large_stack.h"
#include "test_files.h"

namespace assay::io {
namespace {

using assay::testing::TemporaryDirectory;

// A real CT header shipped by Debian's python3-pydicom (installed by scripts/setup.sh).
constexpr const char* kCtSmall =
    "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";

TEST(ResolveDicomAttributes, TakesKeywordsAndTags) {
  auto attributes = ResolveDicomAttributes({"Manufacturer", "(0018,0050)", "(0019,10ab)"});
  ASSERT_TRUE(attributes.ok()) << attributes.status().message();
  ASSERT_EQ(attributes->size(), 3u);
  EXPECT_EQ((*attributes)[0].name, "Manufacturer");
  EXPECT_EQ((*attributes)[0].group, 0x0008);
  EXPECT_EQ((*attributes)[0].element, 0x0070);
  EXPECT_EQ((*attributes)[1].name, "SliceThickness");
  EXPECT_EQ((*attributes)[2].name, "(0019,10ab)");  // private: no keyword
}

TEST(ResolveDicomAttributes, RefusesIdentifyingAttributes) {
  for (const char* name :
       {"PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "(0010,0020)",
        "OperatorsName", "ReferringPhysicianName", "EvaluatorName"}) {
    auto attributes = ResolveDicomAttributes({name});
    ASSERT_FALSE(attributes.ok()) << name;
    EXPECT_NE(attributes.status().message().find("identifies a person"), std::string::npos)
        << attributes.status().message();
  }
}

TEST(ResolveDicomAttributes, RefusesUnknownKeywordsAndMalformedTags) {
  for (const char* name : {"Manufactuer", "(0018,005)", "(zz18,0050)", "(0018 0050)"}) {
    auto attributes = ResolveDicomAttributes({name});
    ASSERT_FALSE(attributes.ok()) << name;
    EXPECT_EQ(attributes.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(attributes.status().message().find(name), std::string::npos);
  }
}

TEST(ReadDicomHeader, ReadsARealCtHeader) {
  ASSERT_TRUE(std::filesystem::exists(kCtSmall)) << "python3-pydicom is not installed";
  auto attributes = ResolveDicomAttributes({"Manufacturer", "Rows", "PixelSpacing", "KVP"});
  ASSERT_TRUE(attributes.ok());
  DicomHeaderOutcome outcome;
  RunWithLargeStack([&] { outcome = ReadDicomHeader(kCtSmall, *attributes); });
  ASSERT_TRUE(std::holds_alternative<DicomHeader>(outcome));
  const auto& header = std::get<DicomHeader>(outcome);
  EXPECT_TRUE(header.has_preamble);
  EXPECT_EQ(header.values[0], "GE MEDICAL SYSTEMS");
  EXPECT_EQ(header.values[1], "128");
  EXPECT_EQ(header.values[2], "0.661468\\0.661468");
  EXPECT_EQ(header.values[3], "120");
  EXPECT_EQ(header.transfer_syntax_uid, "1.2.840.10008.1.2.1");
  EXPECT_EQ(header.patient_id, "1CT1");
}

TEST(ReadDicomHeader, ReportsWhyAFileCannotBeRead) {
  TemporaryDirectory folder;
  auto attributes = ResolveDicomAttributes({"Modality"});
  ASSERT_TRUE(attributes.ok());
  auto reason = [&](const std::string& path) {
    const auto outcome = ReadDicomHeader(path, *attributes);
    EXPECT_TRUE(std::holds_alternative<DicomReadFailure>(outcome)) << path;
    return std::holds_alternative<DicomReadFailure>(outcome)
               ? std::string(DicomFailureCode(std::get<DicomReadFailure>(outcome).reason))
               : std::string("read");
  };
  EXPECT_EQ(reason(folder.Write("empty.dcm", "")), "empty_file");
  EXPECT_EQ(reason(folder.Write("text.txt", "just some notes about the study\n")), "not_dicom");
  EXPECT_EQ(reason(folder.Path("missing.dcm")), "cannot_open");
  EXPECT_EQ(reason(folder.Path("")), "cannot_open");  // the folder itself
}

}  // namespace
}  // namespace assay::io

#include "assay/data/inventory.h"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK's headers
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "assay/core/sha256.h"
#include "test_files.h"

namespace assay::data {
namespace {

using assay::testing::TemporaryDirectory;

struct Instance {
  std::string study, series, sop, manufacturer, age, kernel, patient;
};

// Writes a small secondary-capture header with DCMTK.
void WriteInstance(const std::string& path, const Instance& instance) {
  DcmFileFormat file;
  DcmDataset* data = file.getDataset();
  ASSERT_TRUE(data->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_SOPInstanceUID, instance.sop.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_StudyInstanceUID, instance.study.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_SeriesInstanceUID, instance.series.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_Modality, "CT").good());
  ASSERT_TRUE(data->putAndInsertString(DCM_Manufacturer, instance.manufacturer.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_PatientAge, instance.age.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_ConvolutionKernel, instance.kernel.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_PatientID, instance.patient.c_str()).good());
  ASSERT_TRUE(data->putAndInsertString(DCM_PatientName, "Doe^Jane").good());
  ASSERT_TRUE(data->putAndInsertString(DCM_PixelSpacing, "0.7\\0.8").good());
  ASSERT_TRUE(file.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
}

class InventoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(folder_.Path("site_a/PAT-0001"));
    WriteInstance(folder_.Path("site_a/PAT-0001/1.dcm"),
                  {"1.2.9.1", "1.2.9.1.1", "1.2.9.1.1.1", "GE MEDICAL SYSTEMS", "065Y", "STANDARD",
                   "PAT-0001"});
    WriteInstance(
        folder_.Path("site_a/PAT-0001/2.dcm"),
        {"1.2.9.1", "1.2.9.1.1", "1.2.9.1.1.2", "GE MEDICAL SYSTEMS", "065Y", "BONE", "PAT-0001"});
    WriteInstance(
        folder_.Path("site_a/PAT-0001/3.dcm"),
        {"1.2.9.1", "1.2.9.1.2", "1.2.9.1.2.1", "GE Healthcare", "065Y", "STANDARD", "PAT-0001"});
    WriteInstance(folder_.Path("site_a/other.dcm"),
                  {"1.2.9.2", "1.2.9.2.1", "1.2.9.2.1.1", "SIEMENS", "018M", "B30f", "PAT-0002"});
    folder_.Write("site_a/broken.dcm", "not a DICOM file at all");
    options_.secret = "the study key of this test";
  }

  // The value of `column` in the row whose `path` is `path`.
  static std::string Cell(const Inventory& inventory, const std::string& path,
                          const std::string& column) {
    const auto column_index = static_cast<std::size_t>(
        std::find(inventory.columns.begin(), inventory.columns.end(), column) -
        inventory.columns.begin());
    EXPECT_LT(column_index, inventory.columns.size()) << column;
    for (const auto& row : inventory.rows) {
      if (row[0] == path && column_index < row.size()) return row[column_index];
    }
    ADD_FAILURE() << "no row for " << path;
    return {};
  }

  TemporaryDirectory folder_;
  ScanOptions options_;
};

TEST_F(InventoryTest, InstanceLevelAccountsForEveryFile) {
  auto inventory = ScanDicomFolder(folder_.Path(""), options_);
  ASSERT_TRUE(inventory.ok()) << inventory.status().message();
  EXPECT_EQ(inventory->files_found, 5u);
  EXPECT_EQ(inventory->files_read, 4u);
  EXPECT_EQ(inventory->rows.size(), 5u);
  EXPECT_EQ(inventory->unreadable.at("not_dicom"), 1u);
  EXPECT_EQ(Cell(*inventory, "site_a/broken.dcm", "read_status"), "unreadable");

  // The patient id in the folder name is replaced by its pseudonym.
  const std::string pseudonym = HmacSha256(options_.secret, "PAT-0001").substr(0, 32);
  const std::string first = "site_a/" + pseudonym + "/1.dcm";
  EXPECT_EQ(Cell(*inventory, first, "patient_pseudonym"), pseudonym);
  EXPECT_EQ(Cell(*inventory, first, "vendor"), "GE");
  EXPECT_EQ(Cell(*inventory, first, "Manufacturer"), "GE MEDICAL SYSTEMS");
  EXPECT_EQ(Cell(*inventory, first, "age_years"), "65");
  EXPECT_EQ(Cell(*inventory, first, "pixel_spacing_row_mm"), "0.7");
  EXPECT_EQ(Cell(*inventory, first, "pixel_spacing_column_mm"), "0.8");
  EXPECT_EQ(Cell(*inventory, "site_a/other.dcm", "vendor"), "Siemens");
  EXPECT_EQ(Cell(*inventory, "site_a/other.dcm", "age_years"), "1.5");

  // No identifier reaches the CSV.
  const std::string csv = InventoryCsv(*inventory);
  EXPECT_EQ(csv.find("PAT-0001"), std::string::npos);
  EXPECT_EQ(csv.find("PAT-0002"), std::string::npos);
  EXPECT_EQ(csv.find("Doe"), std::string::npos);
  EXPECT_EQ(inventory->vendors.at("GE"), 3u);
}

TEST_F(InventoryTest, SeriesAndStudyLevelsCountInstancesAndNameWhatVaries) {
  options_.level = InventoryLevel::kSeries;
  auto series = ScanDicomFolder(folder_.Path(""), options_);
  ASSERT_TRUE(series.ok());
  EXPECT_EQ(series->rows.size(), 4u);  // three series, one unreadable file
  const std::string pseudonym = HmacSha256(options_.secret, "PAT-0001").substr(0, 32);
  const std::string first = "site_a/" + pseudonym + "/1.dcm";
  EXPECT_EQ(Cell(*series, first, "instances"), "2");
  EXPECT_EQ(Cell(*series, first, "varying"), "ConvolutionKernel");

  options_.level = InventoryLevel::kStudy;
  auto studies = ScanDicomFolder(folder_.Path(""), options_);
  ASSERT_TRUE(studies.ok());
  EXPECT_EQ(studies->rows.size(), 3u);
  EXPECT_EQ(Cell(*studies, first, "instances"), "3");
  EXPECT_EQ(Cell(*studies, first, "series"), "2");
  EXPECT_EQ(Cell(*studies, first, "varying"), "Manufacturer;ConvolutionKernel");
}

TEST_F(InventoryTest, ResultsDoNotDependOnTheThreadCount) {
  auto first = ScanDicomFolder(folder_.Path(""), options_);
  ASSERT_TRUE(first.ok());
  for (int run = 0; run < 3; ++run) {
    auto again = ScanDicomFolder(folder_.Path(""), options_);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(InventoryCsv(*again), InventoryCsv(*first));
  }
}

TEST_F(InventoryTest, RefusesIdentifyingExtraAttributesAndMissingFolders) {
  options_.extra_attributes = {"PatientName"};
  EXPECT_EQ(ScanDicomFolder(folder_.Path(""), options_).status().code(), StatusCode::kInvalidInput);
  options_.extra_attributes = {};
  EXPECT_EQ(ScanDicomFolder(folder_.Path("nowhere"), options_).status().code(),
            StatusCode::kIoError);
}

}  // namespace
}  // namespace assay::data

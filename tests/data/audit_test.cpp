#include "assay/data/audit.h"

#include <gtest/gtest.h>

#include <numeric>

#include "test_files.h"

namespace assay::data {
namespace {

using assay::testing::TemporaryDirectory;

// An instance-level inventory with only the columns the audit reads.
std::string Inventory(const std::vector<std::string>& rows) {
  std::string text =
      "path,read_status,read_error,SOPInstanceUID,StudyInstanceUID,patient_pseudonym,"
      "Manufacturer,vendor,PatientAge,age_years,PatientSex,sex,KVP,kvp_kv,SliceThickness,"
      "slice_thickness_mm,PixelSpacing,pixel_spacing_row_mm,MagneticFieldStrength,"
      "field_strength_t,StudyDate,study_date_iso,Modality,ManufacturerModelName,InstitutionName\n";
  for (const auto& row : rows) text += row + "\n";
  return text;
}

std::string Row(const std::string& path, const std::string& sop, const std::string& study,
                const std::string& age = "065Y", const std::string& years = "65") {
  return path + ",ok,," + sop + "," + study + ",p" + study + ",GE,GE," + age + "," + years +
         ",F,F,120,120,1,1,0.5\\0.5,0.5,,,20260101,2026-01-01,CT,X,Site";
}

TEST(Audit, CaseFlowClosesFromFilesToAnalysedCases) {
  TemporaryDirectory folder;
  AuditInputs inputs;
  inputs.inventory = folder.Write(
      "inventory.csv",
      Inventory({Row("a.dcm", "1.1", "1"), Row("b.dcm", "1.1", "1"),  // duplicate instance
                 Row("c.dcm", "2.1", "2", "250Y", "250"),             // implausible age
                 Row("d.dcm", "3.1", ""),                             // no case key
                 "e.dcm,unreadable,not_dicom: no preamble,,,,,,,,,,,,,,,,,,,,,,"}));
  inputs.labels = folder.Write("labels.csv", "StudyInstanceUID,truth\n1,yes\n2,no\n2,yes\n9,no\n");
  auto report = Audit(inputs);
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_EQ(report->files, 5u);
  EXPECT_EQ(report->unreadable.at("not_dicom"), 1u);
  EXPECT_EQ(report->duplicate_instances, 1u);
  EXPECT_EQ(report->missing_key, 1u);
  EXPECT_EQ(report->cases, 2u);
  EXPECT_EQ(report->conflicting_cases, 1u);
  EXPECT_EQ(report->labels_without_images, 1u);
  EXPECT_EQ(report->analysed, 1u);
  EXPECT_EQ(report->columns[1].column, "PatientAge");
  EXPECT_EQ(report->columns[1].implausible, 1u);
  // Files: received = excluded + grouped into cases; cases = excluded + analysed.
  std::uint64_t files_out = 0, cases_out = 0;
  for (const auto& step : report->flow) {
    if (step.stage != "excluded") continue;
    (step.unit == "files" ? files_out : cases_out) += step.count;
  }
  EXPECT_EQ(files_out, 3u);
  EXPECT_EQ(cases_out + report->analysed, report->cases);
  ASSERT_EQ(report->case_rows.size(), 1u);
  EXPECT_EQ(report->case_rows[0][0], "1");
  EXPECT_EQ(report->case_rows[0][2], "yes");  // the agreed truth
}

TEST(Audit, LabelColumnsAreCarriedIntoTheCases) {
  TemporaryDirectory folder;
  AuditInputs inputs;
  inputs.inventory = folder.Write("inventory.csv",
                                  Inventory({Row("a.dcm", "1.1", "1"), Row("b.dcm", "2.1", "2")}));
  inputs.labels = folder.Write(
      "labels.csv", "StudyInstanceUID,truth,size_mm\n1,yes,4.5\n2,no,\n1,yes,4.5\n2,no,7\n");
  inputs.label_columns = {"size_mm"};
  auto report = Audit(inputs);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->case_columns.back(), "size_mm");
  ASSERT_EQ(report->case_rows.size(), 2u);
  EXPECT_EQ(report->case_rows[0].back(), "4.5");  // both rows of case 1 agree
  EXPECT_EQ(report->case_rows[1].back(), "");     // case 2's rows disagree: blank, counted
  EXPECT_EQ(report->label_value_conflicts.at("size_mm"), 1u);
  EXPECT_NE(AuditCasesCsv(*report).find(",size_mm\n"), std::string::npos);

  inputs.label_columns = {"vendor"};  // the case table has it from the inventory
  inputs.labels = folder.Write("labels2.csv", "StudyInstanceUID,truth,vendor\n1,yes,X\n");
  auto clash = Audit(inputs);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("label column 'vendor'"), std::string::npos);

  inputs.label_columns = {"absent"};
  auto missing = Audit(inputs);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent"), std::string::npos);
}

TEST(Audit, ALabelRowWithoutAKeyIsBadInputNamingTheLine) {
  TemporaryDirectory folder;
  AuditInputs inputs;
  inputs.inventory = folder.Write("inventory.csv", Inventory({Row("a.dcm", "1.1", "1")}));
  inputs.labels = folder.Write("labels.csv", "StudyInstanceUID,truth\n1,yes\n,no\n");
  auto report = Audit(inputs);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(report.status().message().find("line 3"), std::string::npos)
      << report.status().message();
}

TEST(Audit, AnInventoryWithoutTheKeyColumnNamesIt) {
  TemporaryDirectory folder;
  AuditInputs inputs;
  inputs.inventory = folder.Write("inventory.csv", Inventory({Row("a.dcm", "1.1", "1")}));
  inputs.image_key = "AccessionPseudonym";
  auto report = Audit(inputs);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("AccessionPseudonym"), std::string::npos);
}

}  // namespace
}  // namespace assay::data

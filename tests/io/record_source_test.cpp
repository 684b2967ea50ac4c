#include "assay/io/record_source.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace assay::io {
namespace {

using assay::testing::TemporaryDirectory;

// Reads every record's requested columns as strings ("<null>" for absent).
std::vector<std::vector<std::string>> ReadAll(const std::string& path,
                                              const std::vector<std::string>& columns) {
  auto source = OpenRecordSource(path, columns);
  EXPECT_TRUE(source.ok()) << source.status().message();
  std::vector<std::vector<std::string>> rows;
  for (;;) {
    auto more = (*source)->Next();
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !*more) break;
    std::vector<std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto value = (*source)->Value(i);
      row.push_back(value ? std::string(*value) : "<null>");
    }
    rows.push_back(row);
  }
  return rows;
}

TEST(CsvSource, ReadsQuotedFieldsWithCommasNewlinesAndQuotes) {
  TemporaryDirectory dir;
  const auto path = dir.Write("a.csv",
                              "id,note,score\n1,\"a, b\",0.5\n2,\"line1\nline2\",0.7\n"
                              "3,\"say \"\"hi\"\"\",0.9\n");
  const auto rows = ReadAll(path, {"score", "note"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"0.5", "a, b"}));
  EXPECT_EQ(rows[1][1], "line1\nline2");
  EXPECT_EQ(rows[2][1], "say \"hi\"");
}

TEST(CsvSource, ToleratesBomCrLfAndMissingFinalNewline) {
  TemporaryDirectory dir;
  const auto path = dir.Write("b.csv", "\xEF\xBB\xBFid,score\r\n1,0.25\r\n2,0.75");
  const auto rows = ReadAll(path, {"id", "score"});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "0.75"}));
}

TEST(CsvSource, ReportsLineOfRecordAfterMultilineField) {
  TemporaryDirectory dir;
  const auto path = dir.Write("c.csv", "id,note\n1,\"x\ny\"\n2,z,extra\n");
  auto source = OpenRecordSource(path, {"id"});
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(*(*source)->Next());
  EXPECT_EQ((*source)->line(), 2u);
  auto bad = (*source)->Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 4: 3 fields, but the header has 2"),
            std::string::npos)
      << bad.status().message();
}

TEST(CsvSource, MissingColumnListsTheHeader) {
  TemporaryDirectory dir;
  const auto path = dir.Write("d.csv", "id,prob\n1,0.5\n");
  auto source = OpenRecordSource(path, {"score"});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(source.status().message().find("no column 'score'; the header has 'id', 'prob'"),
            std::string::npos)
      << source.status().message();
}

TEST(CsvSource, UnclosedQuoteNamesItsLine) {
  TemporaryDirectory dir;
  const auto path = dir.Write("e.csv", "id,score\n1,0.5\n2,\"0.7\n");
  auto source = OpenRecordSource(path, {"score"});
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(*(*source)->Next());
  auto bad = (*source)->Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 3: a quoted field is never closed"),
            std::string::npos);
}

TEST(CsvSource, EmptyFileAndMissingFileAreErrors) {
  TemporaryDirectory dir;
  auto empty = OpenRecordSource(dir.Write("f.csv", ""), {"score"});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("the file is empty"), std::string::npos);
  auto missing = OpenRecordSource(dir.Path("absent.csv"), {"score"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
}

TEST(CsvSource, DuplicateHeaderNameIsAnError) {
  TemporaryDirectory dir;
  auto source = OpenRecordSource(dir.Write("g.csv", "score,score\n1,2\n"), {"score"});
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("appears twice"), std::string::npos);
}

TEST(JsonLinesSource, ReadsNumbersStringsBooleansAndNulls) {
  TemporaryDirectory dir;
  const auto path = dir.Write("a.jsonl",
                              "{\"truth\": 1, \"score\": 0.5, \"site\": \"A\"}\n\n"
                              "{\"truth\": true, \"score\": null, \"site\": \"B\"}\n"
                              "{\"truth\": \"x\", \"score\": 2}\n");
  const auto rows = ReadAll(path, {"truth", "score", "site"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "0.5", "A"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"true", "<null>", "B"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"x", "2", "<null>"}));
}

TEST(JsonLinesSource, BadJsonNamesItsLine) {
  TemporaryDirectory dir;
  const auto path = dir.Write("b.jsonl", "{\"score\": 1}\n{\"score\": \n");
  auto source = OpenRecordSource(path, {"score"});
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE(*(*source)->Next());
  auto bad = (*source)->Next();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2: not a JSON object"), std::string::npos);
}

TEST(JsonLinesSource, KeyMissingFromFirstRecordIsAnError) {
  TemporaryDirectory dir;
  auto source = OpenRecordSource(dir.Write("c.ndjson", "{\"a\": 1}\n"), {"score"});
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("no key 'score'"), std::string::npos);
}

}  // namespace
}  // namespace assay::io

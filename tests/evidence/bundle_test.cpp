#include "assay/evidence/bundle.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "assay/core/sha256.h"
#include "assay/evidence/bundle_outputs.h"
#include "test_files.h"

namespace assay::evidence {
namespace {

namespace fs = std::filesystem;
using assay::testing::TemporaryDirectory;

constexpr const char* kEvidence = "{\n  \"estimate\": 0.75\n}\n";
constexpr const char* kCases = "case,truth\n1,1\n";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> Names(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Manifest SomeManifest() {
  Manifest manifest;
  manifest.assay_version = "0.1.0";
  manifest.build_id = "abc1234";
  manifest.created = "2024-05-01T12:00:00Z";
  manifest.command_line = "assay run \"p q.toml\" --out b\\c\nsecond line";
  manifest.seed = 20240101;
  return manifest;
}

// A bundle "bundle" in `dir` with two outputs and two inputs under "inputs".
Status WriteSomeBundle(const TemporaryDirectory& dir, const std::string& evidence = kEvidence) {
  fs::create_directories(dir.Path("inputs"));
  const std::string protocol = dir.Write("inputs/protocol.toml", "title = \"T\"\n");
  const std::string cases = dir.Write("inputs/cases data.csv", "id,truth,score\na,yes,0.9\n");
  return WriteBundle(dir.Path("bundle"), {{"evidence.json", evidence}, {"cases.csv", kCases}},
                     {{"protocol", protocol}, {"cases", cases}}, SomeManifest());
}

std::vector<Difference> Verify(const TemporaryDirectory& dir) {
  auto differences = VerifyBundle(dir.Path("bundle"));
  EXPECT_TRUE(differences.ok()) << differences.status().message();
  return differences.ok() ? *differences : std::vector<Difference>{};
}

TEST(Bundle, WriteThenVerifyIsIntactAndLeavesNoTemporaryFiles) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  EXPECT_TRUE(Verify(dir).empty());
  EXPECT_EQ(Names(dir.Path("bundle")),
            (std::vector<std::string>{"MANIFEST", "cases.csv", "evidence.json"}));
  EXPECT_EQ(Names(dir.Path("")), (std::vector<std::string>{"bundle", "inputs"}));
  EXPECT_EQ(ReadText(dir.Path("bundle/evidence.json")), kEvidence);
}

TEST(Bundle, ManifestRoundTrips) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  auto manifest = ReadManifest(dir.Path("bundle"));
  ASSERT_TRUE(manifest.ok()) << manifest.status().message();
  const Manifest expected = SomeManifest();
  EXPECT_EQ(manifest->format, "assay-manifest 1");
  EXPECT_EQ(manifest->assay_version, expected.assay_version);
  EXPECT_EQ(manifest->build_id, expected.build_id);
  EXPECT_EQ(manifest->created, expected.created);
  EXPECT_EQ(manifest->command_line, expected.command_line);
  EXPECT_EQ(manifest->seed, expected.seed);
  EXPECT_EQ(manifest->platform, PlatformDescription());
  const std::string protocol = fs::absolute(dir.Path("inputs/protocol.toml")).string();
  EXPECT_EQ(manifest->protocol_path, protocol);

  ASSERT_EQ(manifest->inputs.size(), 2u);
  EXPECT_EQ(manifest->inputs[0].role, "protocol");
  EXPECT_EQ(manifest->inputs[0].path, protocol);
  EXPECT_EQ(manifest->inputs[0].sha256, Sha256("title = \"T\"\n"));
  EXPECT_EQ(manifest->inputs[0].bytes, 12u);
  EXPECT_EQ(manifest->inputs[1].role, "cases");
  EXPECT_EQ(manifest->inputs[1].path, fs::absolute(dir.Path("inputs/cases data.csv")).string());
  ASSERT_EQ(manifest->outputs.size(), 2u);
  EXPECT_EQ(manifest->outputs[0].path, "evidence.json");
  EXPECT_EQ(manifest->outputs[0].sha256, Sha256(kEvidence));
  EXPECT_EQ(manifest->outputs[1].bytes, std::string(kCases).size());

  const std::string text = ReadText(dir.Path("bundle/MANIFEST"));
  EXPECT_EQ(FormatManifest(*manifest), text);
  EXPECT_NE(text.find("command_line: assay run \"p q.toml\" --out b\\\\c\\nsecond line\n"),
            std::string::npos)
      << text;
}

TEST(Bundle, AnEditedDigitInEvidenceIsOneDifference) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  WriteText(dir.Path("bundle/evidence.json"), "{\n  \"estimate\": 0.76\n}\n");
  const auto differences = Verify(dir);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].path, "evidence.json");
  EXPECT_EQ(differences[0].what.rfind("changed (sha256 " + Sha256("{\n  \"estimate\": 0.76\n}\n") +
                                          ", MANIFEST says " + Sha256(kEvidence),
                                      0),
            0u)
      << differences[0].what;
  EXPECT_EQ(FormatDifference(differences[0]).rfind("evidence.json: changed", 0), 0u);
}

TEST(Bundle, ADeletedOutputIsMissing) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  fs::remove(dir.Path("bundle/cases.csv"));
  const auto differences = Verify(dir);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(FormatDifference(differences[0]), "cases.csv: missing");
}

TEST(Bundle, AChangedInputIsNamed) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  WriteText(dir.Path("inputs/cases data.csv"), "id,truth,score\na,yes,0.8\n");
  const auto differences = Verify(dir);
  ASSERT_EQ(differences.size(), 1u);
  const std::string cases = fs::absolute(dir.Path("inputs/cases data.csv")).string();
  EXPECT_EQ(differences[0].path, cases);
  EXPECT_EQ(differences[0].role, "cases");
  EXPECT_EQ(FormatDifference(differences[0]).rfind(cases + " (input cases): changed (sha256 ", 0),
            0u);
  fs::remove(dir.Path("inputs/protocol.toml"));
  EXPECT_EQ(Verify(dir).size(), 2u);
}

TEST(Bundle, FilesTheManifestDoesNotNameAreReported) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  WriteText(dir.Path("bundle/notes.txt"), "added later\n");
  fs::create_directory(dir.Path("bundle/extra"));
  const auto differences = Verify(dir);
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(FormatDifference(differences[0]), "extra: unexpected folder");
  EXPECT_EQ(FormatDifference(differences[1]), "notes.txt: unexpected file");
}

// Replaces line `number` (1-based) of the bundle's MANIFEST by `text`.
void EditManifestLine(const TemporaryDirectory& dir, std::size_t number, const std::string& text) {
  std::istringstream in(ReadText(dir.Path("bundle/MANIFEST")));
  std::string out;
  std::size_t at = 0;
  for (std::string line; std::getline(in, line);) {
    out += (++at == number ? text : line) + "\n";
  }
  WriteText(dir.Path("bundle/MANIFEST"), out);
}

void ExpectMalformed(std::size_t line, const std::string& text, const std::string& what) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  EditManifestLine(dir, line, text);
  auto manifest = ReadManifest(dir.Path("bundle"));
  ASSERT_FALSE(manifest.ok()) << text;
  EXPECT_EQ(manifest.status().code(), StatusCode::kInvalidInput);
  const std::string message = manifest.status().message();
  EXPECT_NE(message.find("MANIFEST line " + std::to_string(line) + ": "), std::string::npos)
      << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
  EXPECT_EQ(VerifyBundle(dir.Path("bundle")).status().code(), StatusCode::kInvalidInput);
}

TEST(Bundle, MalformedManifestNamesTheLine) {
  ExpectMalformed(1, "format: assay-manifest 2", "format 'assay-manifest 2'");
  ExpectMalformed(3, "build-id: x", "expected 'build_id: ...'");
  ExpectMalformed(5, "seed: twelve", "seed 'twelve' is not a whole number");
  ExpectMalformed(7, "command_line: bad \\q escape", "malformed escape");
  ExpectMalformed(9, "input protocol 123 12 /p.toml", "SHA-256");
  ExpectMalformed(9, "input protocol " + std::string(64, 'a') + " twelve /p.toml", "size in bytes");
  ExpectMalformed(10, "input cases " + std::string(64, 'a') + " 1 relative.csv", "not absolute");
  ExpectMalformed(11, "output " + std::string(64, 'a') + " 1 ../evidence.json",
                  "not a file name inside the bundle");
  ExpectMalformed(12, "output " + std::string(64, 'a') + " 1 evidence.json", "listed twice");
  ExpectMalformed(12, "checksum " + std::string(64, 'a'), "expected a line 'input ...'");
}

TEST(Bundle, TruncatedOrMissingManifest) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  WriteText(dir.Path("bundle/MANIFEST"), "format: assay-manifest 1\nassay_version: 1\n");
  auto manifest = ReadManifest(dir.Path("bundle"));
  ASSERT_FALSE(manifest.ok());
  EXPECT_NE(manifest.status().message().find("line 3: expected 'build_id: ...', found the end"),
            std::string::npos)
      << manifest.status().message();

  fs::remove(dir.Path("bundle/MANIFEST"));
  EXPECT_EQ(ReadManifest(dir.Path("bundle")).status().code(), StatusCode::kIoError);
  EXPECT_EQ(ReadManifest(dir.Path("no such folder")).status().code(), StatusCode::kIoError);
}

TEST(Bundle, AParentThatIsAFileFailsAndLeavesNothing) {
  TemporaryDirectory dir;
  const std::string blocker = dir.Write("blocker", "not a folder");
  const std::string input = dir.Write("protocol.toml", "x");
  const Status status = WriteBundle(blocker + "/sub/bundle", {{"evidence.json", "{}"}},
                                    {{"protocol", input}}, SomeManifest());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(Names(dir.Path("")), (std::vector<std::string>{"blocker", "protocol.toml"}));
  EXPECT_EQ(ReadText(blocker), "not a folder");
}

TEST(Bundle, AMissingInputFailsAndWritesNothing) {
  TemporaryDirectory dir;
  const Status status = WriteBundle(dir.Path("out/bundle"), {{"evidence.json", "{}"}},
                                    {{"cases", dir.Path("absent.csv")}}, SomeManifest());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("absent.csv"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir.Path("")));
}

TEST(Bundle, ReplacesAnEarlierBundleButNoOtherFolder) {
  TemporaryDirectory dir;
  ASSERT_TRUE(WriteSomeBundle(dir).ok());
  ASSERT_TRUE(WriteSomeBundle(dir, "{}\n").ok());
  EXPECT_EQ(ReadText(dir.Path("bundle/evidence.json")), "{}\n");
  EXPECT_TRUE(Verify(dir).empty());
  EXPECT_EQ(Names(dir.Path("")), (std::vector<std::string>{"bundle", "inputs"}));

  fs::remove(dir.Path("bundle/MANIFEST"));
  const Status status = WriteSomeBundle(dir);
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(ReadText(dir.Path("bundle/evidence.json")), "{}\n");
  EXPECT_EQ(Names(dir.Path("")), (std::vector<std::string>{"bundle", "inputs"}));

  fs::remove_all(dir.Path("bundle"));
  fs::create_directory(dir.Path("bundle"));
  EXPECT_TRUE(WriteSomeBundle(dir).ok()) << "an empty folder is replaced";
}

TEST(Bundle, OutputNamesMustBePlainFileNames) {
  TemporaryDirectory dir;
  for (const char* name : {"../x", "a/b", "MANIFEST", ""}) {
    const Status status = WriteBundle(dir.Path("bundle"), {{name, "x"}}, {}, SomeManifest());
    EXPECT_EQ(status.code(), StatusCode::kInternal) << name;
  }
  EXPECT_TRUE(fs::is_empty(dir.Path("")));
}

TEST(Bundle, PlatformNamesSystemAndCompiler) {
  const std::string platform = PlatformDescription();
  EXPECT_NE(platform.find(", "), std::string::npos) << platform;
  EXPECT_TRUE(platform.find("GCC") != std::string::npos ||
              platform.find("Clang") != std::string::npos)
      << platform;
}

// ---- the example study through StudyOutputs, WriteBundle and RerunBundle ----

struct ExampleRun {
  Protocol protocol;
  StudyResult study;
};

ExampleRun RunExample() {
  const std::string path =
      fs::absolute(std::string(ASSAY_SOURCE_DIR) + "/examples/triage_protocol.toml")
          .lexically_normal()
          .string();
  auto protocol = LoadProtocol(path);
  EXPECT_TRUE(protocol.ok()) << protocol.status().message();
  StudyContext context;
  context.protocol_sha256 = Sha256File(path).value();
  auto study = RunStudy(*protocol, context);
  EXPECT_TRUE(study.ok()) << study.status().message();
  return {std::move(protocol).value(), std::move(study).value()};
}

RunContext SomeRunContext(const Protocol& protocol) {
  return {"0.1.0", "2024-05-01T12:00:00Z", "assay run protocol.toml --out bundle",
          nlohmann::json{{"protocol", protocol.path}}};
}

TEST(BundleRerun, ExampleRerunsIdenticallyAndFindsAnEditedNumber) {
  TemporaryDirectory dir;
  const ExampleRun run = RunExample();
  const auto outputs = StudyOutputs(run.protocol, run.study, SomeRunContext(run.protocol));
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[0].first, "evidence.json");
  EXPECT_EQ(outputs[1].first, "cases.csv");
  EXPECT_EQ(outputs[2].first, "report.html");
  ASSERT_TRUE(WriteBundle(dir.Path("bundle"), outputs,
                          {{"protocol", run.protocol.path}, {"cases", run.protocol.cases}},
                          SomeManifest())
                  .ok());
  EXPECT_TRUE(Verify(dir).empty());
  auto rerun = RerunBundle(dir.Path("bundle"), "0.1.0");
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  for (const auto& difference : *rerun) ADD_FAILURE() << FormatDifference(difference);

  // One edited number: the hash check names the file, the rerun names the field.
  std::string evidence = outputs[0].second;
  const std::string key = "\n  \"n_positive\": ";
  const auto at = evidence.find(key) + key.size();
  evidence.insert(at, "1");
  WriteText(dir.Path("bundle/evidence.json"), evidence);
  ASSERT_EQ(Verify(dir).size(), 1u);
  rerun = RerunBundle(dir.Path("bundle"), "0.1.0");
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  ASSERT_EQ(rerun->size(), 1u);
  EXPECT_EQ((*rerun)[0].path, "evidence.json");
  EXPECT_EQ((*rerun)[0].what.rfind("rerun differs at /n_positive: 1", 0), 0u) << (*rerun)[0].what;

  // Another version of assay records another tool version, which the report shows too.
  WriteText(dir.Path("bundle/evidence.json"), outputs[0].second);
  rerun = RerunBundle(dir.Path("bundle"), "9.9.9");
  ASSERT_TRUE(rerun.ok());
  ASSERT_EQ(rerun->size(), 2u);
  EXPECT_EQ((*rerun)[0].what, "rerun differs at /tool/version: \"0.1.0\" vs \"9.9.9\"");
  EXPECT_EQ((*rerun)[1].path, "report.html");
}

TEST(BundleRerun, EditedCasesCsvAndMissingProtocol) {
  TemporaryDirectory dir;
  const ExampleRun run = RunExample();
  const auto outputs = StudyOutputs(run.protocol, run.study, SomeRunContext(run.protocol));
  ASSERT_TRUE(
      WriteBundle(dir.Path("bundle"), outputs, {{"protocol", run.protocol.path}}, SomeManifest())
          .ok());
  std::string cases = outputs[1].second;
  cases.replace(cases.find(",1,"), 3, ",0,");
  WriteText(dir.Path("bundle/cases.csv"), cases);
  auto rerun = RerunBundle(dir.Path("bundle"), "0.1.0");
  ASSERT_TRUE(rerun.ok()) << rerun.status().message();
  ASSERT_EQ(rerun->size(), 1u);
  EXPECT_EQ((*rerun)[0].path, "cases.csv");
  EXPECT_EQ((*rerun)[0].what.rfind("rerun differs at line ", 0), 0u) << (*rerun)[0].what;
  EXPECT_NE((*rerun)[0].what.find("(1 lines differ)"), std::string::npos) << (*rerun)[0].what;

  EditManifestLine(dir, 8, "protocol_path: /no/such/protocol.toml");
  rerun = RerunBundle(dir.Path("bundle"), "0.1.0");
  ASSERT_FALSE(rerun.ok());
  EXPECT_NE(rerun.status().message().find("/no/such/protocol.toml"), std::string::npos);
}

TEST(BundleRerun, SameBytesForOneAndFourThreads) {
  std::vector<std::pair<std::string, std::string>> one, four;
  {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
    const ExampleRun run = RunExample();
    one = StudyOutputs(run.protocol, run.study, SomeRunContext(run.protocol));
  }
  {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 4);
    const ExampleRun run = RunExample();
    four = StudyOutputs(run.protocol, run.study, SomeRunContext(run.protocol));
  }
  EXPECT_TRUE(one == four);
}

}  // namespace
}  // namespace assay::evidence

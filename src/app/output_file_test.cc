// WriteOutputFile (issue 15, item 9): a regular target is replaced whole through a unique
// temporary file; a device, a FIFO or a symbolic link is written in place and stays what it
// was; two writers at once both succeed and leave one whole output and no temporary file.

#include "app/output_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace vd {
namespace {

namespace fs = std::filesystem;

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vd-output-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // Every entry of the folder but `keep`.
  std::vector<std::string> Others(const std::vector<std::string>& keep) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (std::find(keep.begin(), keep.end(), name) == keep.end()) out.push_back(name);
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(OutputFileTest, ANewFileIsWrittenWholeWithNoTemporaryLeft) {
  const fs::path target = dir_ / "report.html";
  ASSERT_TRUE(WriteOutputFile(target.string(), "<p>new</p>"));
  EXPECT_EQ(Slurp(target), "<p>new</p>");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(target)));
  EXPECT_TRUE(Others({"report.html"}).empty());
}

TEST_F(OutputFileTest, ARegularFileIsReplacedByRenameKeepingItsMode) {
  const fs::path target = dir_ / "report.csv";
  { std::ofstream(target) << "old contents that are longer than the new"; }
  ASSERT_EQ(::chmod(target.c_str(), 0640), 0);
  struct stat before {};
  ASSERT_EQ(::stat(target.c_str(), &before), 0);
  // A reader holding the old file keeps reading the old bytes: the new file is another inode.
  std::ifstream reader(target);
  ASSERT_TRUE(WriteOutputFile(target.string(), "new"));
  struct stat after {};
  ASSERT_EQ(::stat(target.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(Slurp(target), "new");
  std::string old;
  std::getline(reader, old);
  EXPECT_EQ(old, "old contents that are longer than the new");
  EXPECT_TRUE(Others({"report.csv"}).empty());
}

TEST_F(OutputFileTest, DevNullIsWrittenInPlaceAndStaysADevice) {
  ASSERT_TRUE(WriteOutputFile("/dev/null", "discarded"));
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // And nothing was left in /dev (as root the old code renamed /dev/null.tmp over it).
  EXPECT_FALSE(fs::exists("/dev/null.tmp"));
}

TEST_F(OutputFileTest, AFifoIsWrittenInPlaceForItsReader) {
  const fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = Slurp(fifo); });
  ASSERT_TRUE(WriteOutputFile(fifo.string(), "through the pipe"));
  reader.join();
  EXPECT_EQ(got, "through the pipe");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_TRUE(Others({"pipe"}).empty());
}

TEST_F(OutputFileTest, ASymbolicLinkLikeDevStdoutIsWrittenThroughAndKept) {
  const fs::path file = dir_ / "captured";
  const fs::path link = dir_ / "stdout";
  { std::ofstream(file) << "previous, longer output"; }
  fs::create_symlink(file, link);
  ASSERT_TRUE(WriteOutputFile(link.string(), "report"));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_EQ(Slurp(file), "report");
  EXPECT_TRUE(Others({"captured", "stdout"}).empty());
}

TEST_F(OutputFileTest, TwoWritersAtOnceNeverClash) {
  const fs::path target = dir_ / "report.json";
  const std::string a(1 << 20, 'a'), b(1 << 20, 'b');
  for (int round = 0; round < 10; ++round) {
    Status ra, rb;
    std::thread ta([&] { ra = WriteOutputFile(target.string(), a); });
    std::thread tb([&] { rb = WriteOutputFile(target.string(), b); });
    ta.join();
    tb.join();
    EXPECT_TRUE(ra) << ra.error().detail;
    EXPECT_TRUE(rb) << rb.error().detail;
    const std::string got = Slurp(target);
    EXPECT_TRUE(got == a || got == b) << "round " << round << ": " << got.size() << " bytes";
  }
  EXPECT_TRUE(Others({"report.json"}).empty());
}

TEST_F(OutputFileTest, AFolderThatDoesNotExistFailsClearlyAndLeavesNothing) {
  Status s = WriteOutputFile((dir_ / "missing" / "report.html").string(), "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kStorage);
  EXPECT_NE(s.error().detail.find("missing/report.html"), std::string::npos);
  Status d = WriteOutputFile(dir_.string(), "x");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().detail.find("Is a directory"), std::string::npos);
  EXPECT_TRUE(Others({}).empty());
}

}  // namespace
}  // namespace vd

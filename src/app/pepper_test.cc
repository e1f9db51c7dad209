#include "app/pepper.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "app/config.h"

namespace vd {
namespace {

class PepperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    dir_ = std::filesystem::temp_directory_path() / ("vd-pepper-" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "pepper.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& bytes, mode_t mode) {
    std::ofstream(path_, std::ios::binary) << bytes;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  // The message of a refused load; it names the file and never holds its bytes.
  std::string Refusal(const std::string& content) {
    Result<SecretBytes> p = LoadPepper(path_);
    EXPECT_FALSE(p.has_value());
    if (p) return "";
    EXPECT_EQ(p.error().detail.find(path_), 0u + std::string("pepper file ").size());
    if (!content.empty()) {
      EXPECT_EQ(p.error().detail.find(content), std::string::npos);
    }
    return p.error().detail;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(PepperTest, CreateWritesThirtyTwoPrivateBytesThatLoadBack) {
  ::umask(0);  // whatever the umask, the file is 0600
  Result<SecretBytes> made = CreatePepper(path_);
  ::umask(022);
  ASSERT_TRUE(made.has_value()) << made.error().detail;
  EXPECT_EQ(made->size(), kPepperBytes);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  Result<SecretBytes> loaded = LoadPepper(path_);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().detail;
  EXPECT_EQ(loaded->view(), made->view());
}

TEST_F(PepperTest, CreateNeverReplacesAnExistingFile) {
  ASSERT_TRUE(CreatePepper(path_));
  Result<SecretBytes> first = LoadPepper(path_);
  EXPECT_FALSE(CreatePepper(path_).has_value());
  EXPECT_EQ(LoadPepper(path_)->view(), first->view());
}

TEST_F(PepperTest, RefusesAMissingFile) {
  EXPECT_NE(Refusal("").find("missing"), std::string::npos);
}

TEST_F(PepperTest, RefusesAFileOthersCanRead) {
  const std::string bytes(32, 'k');
  Write(bytes, 0644);
  EXPECT_NE(Refusal(bytes).find("mode 0644"), std::string::npos);
  Write(bytes, 0640);
  EXPECT_NE(Refusal(bytes).find("mode 0640"), std::string::npos);
  Write(bytes, 0600);
  EXPECT_TRUE(LoadPepper(path_).has_value());
}

TEST_F(PepperTest, RefusesTheWrongSize) {
  Write(std::string(31, 'k'), 0600);
  EXPECT_NE(Refusal(std::string(31, 'k')).find("has 31 bytes, not 32"), std::string::npos);
  Write(std::string(33, 'k'), 0600);
  EXPECT_NE(Refusal(std::string(33, 'k')).find("has 33 bytes"), std::string::npos);
  Write("", 0600);
  EXPECT_NE(Refusal("").find("has 0 bytes"), std::string::npos);
}

TEST_F(PepperTest, RefusesADirectory) {
  std::filesystem::create_directory(path_);
  ::chmod(path_.c_str(), 0700);
  EXPECT_NE(Refusal("").find("not a regular file"), std::string::npos);
}

TEST(PepperPathTest, BesideTheConfigurationOrInTheDataFolder) {
  Config c = DefaultConfig();
  c.data_dir = "/var/lib/vertrouwd";
  EXPECT_EQ(c.PepperPath(), "/var/lib/vertrouwd/pepper.key");
  c.config_dir = "/etc/vertrouwd";
  EXPECT_EQ(c.PepperPath(), "/etc/vertrouwd/pepper.key");
  ASSERT_TRUE(ApplyTomlText("[crypto]\npepper_file = \"keys/p.key\"\n", c));
  EXPECT_EQ(c.PepperPath(), "/etc/vertrouwd/keys/p.key");
  ASSERT_TRUE(ApplyTomlText("[crypto]\npepper_file = \"/run/credentials/p.key\"\n", c));
  EXPECT_EQ(c.PepperPath(), "/run/credentials/p.key");
  EXPECT_FALSE(ApplyTomlText("[crypto]\npepper_file = \"\"\n", c).has_value());
}

}  // namespace
}  // namespace vd

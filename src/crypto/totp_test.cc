#include "crypto/totp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace vd {
namespace {

class TotpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().has_value());
    ASSERT_TRUE(InitTotp().has_value());
  }

  // The RFC 6238 appendix B SHA-1 secret.
  static SecretBytes RfcSecret() {
    const std::string s = "12345678901234567890";
    return SecretBytes(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  }

  const SecretBytes secret_ = RfcSecret();
};

TEST_F(TotpTest, Rfc6238Sha1Vectors) {
  // The RFC lists 8-digit codes; a 6-digit code is the same value modulo 10^6.
  struct Vector {
    int64_t time;
    const char* code;
  };
  const Vector vectors[] = {
      {59, "287082"},           // 94287082
      {1111111109, "081804"},   // 07081804
      {1111111111, "050471"},   // 14050471
      {1234567890, "005924"},   // 89005924
      {2000000000, "279037"},   // 69279037
      {20000000000, "353130"},  // 65353130
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(TotpCode(secret_, v.time), v.code) << "T=" << v.time;
    std::optional<int64_t> step = VerifyTotp(secret_, v.code, v.time);
    ASSERT_TRUE(step.has_value()) << "T=" << v.time;
    EXPECT_EQ(*step, v.time / 30);
  }
}

TEST_F(TotpTest, CodeIsConstantWithinAStep) {
  EXPECT_EQ(TotpCode(secret_, 1111111080), TotpCode(secret_, 1111111109));
  EXPECT_NE(TotpCode(secret_, 1111111109), TotpCode(secret_, 1111111110));
}

TEST_F(TotpTest, AcceptsOneStepEitherSide) {
  const int64_t now = 1234567890;
  const int64_t step = now / 30;
  std::optional<int64_t> previous = VerifyTotp(secret_, TotpCode(secret_, now - 30), now);
  std::optional<int64_t> current = VerifyTotp(secret_, TotpCode(secret_, now), now);
  std::optional<int64_t> next = VerifyTotp(secret_, TotpCode(secret_, now + 30), now);
  ASSERT_TRUE(previous && current && next);
  EXPECT_EQ(*previous, step - 1);
  EXPECT_EQ(*current, step);
  EXPECT_EQ(*next, step + 1);
}

TEST_F(TotpTest, RejectsCodesOutsideTheWindow) {
  const int64_t now = 1234567890;
  // Precondition: these codes differ from all three accepted ones, or the test proves nothing.
  std::vector<std::string> window = {TotpCode(secret_, now - 30), TotpCode(secret_, now),
                                     TotpCode(secret_, now + 30)};
  for (int64_t offset : {-90, -60, 60, 90, 3600}) {
    std::string code = TotpCode(secret_, now + offset);
    ASSERT_EQ(std::count(window.begin(), window.end(), code), 0) << offset;
    EXPECT_FALSE(VerifyTotp(secret_, code, now).has_value()) << offset;
  }
}

TEST_F(TotpTest, RejectsWrongCodes) {
  const int64_t now = 1111111109;
  std::string good = TotpCode(secret_, now);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>('0' + (bad[i] - '0' + 1) % 10);
    EXPECT_FALSE(VerifyTotp(secret_, bad, now).has_value()) << bad;
  }
  // The right code under another secret.
  SecretBytes other = NewTotpSecret();
  EXPECT_FALSE(VerifyTotp(other, good, now).has_value());
}

TEST_F(TotpTest, RejectsNonDigitInputAndAllowsSpaces) {
  const int64_t now = 59;
  EXPECT_TRUE(VerifyTotp(secret_, "287 082", now).has_value());
  EXPECT_TRUE(VerifyTotp(secret_, " 287082 ", now).has_value());
  std::vector<std::string> bad = {
      "",
      "28708",     // 5 digits
      "2870820",   // 7 digits
      "94287082",  // the 8-digit code
      "28708a",
      "287-082",
      "+87082",
      "287082\n",
      std::string("287082\0", 7),
      "\xd9\xa2\xd9\xa8\xd9\xa7\xd9\xa0\xd9\xa8\xd9\xa2",  // Arabic-Indic 287082
      "287082" + std::string(40, ' '),
  };
  for (const std::string& code : bad) {
    EXPECT_FALSE(VerifyTotp(secret_, code, now).has_value()) << code;
  }
}

TEST_F(TotpTest, NewSecretsAreTwentyFreshBytes) {
  SecretBytes a = NewTotpSecret();
  SecretBytes b = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a.view(), b.view());
}

TEST_F(TotpTest, Base32) {
  EXPECT_EQ(TotpSecretBase32(secret_), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  Result<SecretBytes> back = TotpSecretFromBase32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->view(), secret_.view());
  // What people and apps produce.
  EXPECT_EQ(TotpSecretFromBase32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")->view(),
            secret_.view());
  // A length that needs padding.
  const std::string sixteen = "0123456789abcdef";
  SecretBytes s16(reinterpret_cast<const unsigned char*>(sixteen.data()), sixteen.size());
  std::string encoded = TotpSecretBase32(s16);
  EXPECT_EQ(encoded.find('='), std::string::npos);
  EXPECT_EQ(TotpSecretFromBase32(encoded)->view(), sixteen);
  EXPECT_EQ(TotpSecretFromBase32(encoded + "======")->view(), sixteen);

  for (int i = 0; i < 20; ++i) {
    SecretBytes fresh = NewTotpSecret();
    EXPECT_EQ(TotpSecretFromBase32(TotpSecretBase32(fresh))->view(), fresh.view());
  }
}

TEST_F(TotpTest, Base32RejectsGarbage) {
  std::vector<std::string> bad = {
      "",
      "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",  // 1 is not RFC 4648 base32
      "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ8",
      "GEZD-GNBV-GY3T-QOJQ",
      "GEZDGNBV",  // 5 bytes: too short to be a secret
      std::string(300, 'A'),
  };
  for (const std::string& b : bad) {
    Result<SecretBytes> r = TotpSecretFromBase32(b);
    ASSERT_FALSE(r.has_value()) << b;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST_F(TotpTest, OtpauthUri) {
  EXPECT_EQ(OtpauthUri("Vertrouwd", "advisor7", secret_),
            "otpauth://totp/Vertrouwd:advisor7?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Vertrouwd");
  EXPECT_EQ(OtpauthUri("Hulp & Recht", "a:b@c/é", secret_),
            "otpauth://totp/Hulp%20%26%20Recht:a%3Ab%40c%2F%C3%A9"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Hulp%20%26%20Recht");
}

}  // namespace
}  // namespace vd

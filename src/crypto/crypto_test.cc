#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace vd {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(InitCrypto().has_value()); }

  static SecretBytes FixedKey(unsigned char fill) {
    SecretBytes key(32);
    for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<unsigned char>(fill + i);
    return key;
  }

  static std::string FlipByte(const std::string& b64, size_t index) {
    std::string raw = *Base64Decode(b64);
    raw[index % raw.size()] ^= 0x01;
    return Base64Encode(raw);
  }

  const PwhashParams kFast = PwhashParams::Minimum();
  const std::string kSalt = "0123456789abcdef";  // 16 bytes
};

// --- SecretBytes ---------------------------------------------------------------------------

TEST_F(CryptoTest, SecretBytesHoldsWhatItWasGiven) {
  const unsigned char raw[] = {1, 2, 3, 4, 5};
  SecretBytes s(raw, sizeof raw);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.view(), std::string_view("\x01\x02\x03\x04\x05", 5));
  SecretBytes zeros(7);
  EXPECT_EQ(zeros.view(), std::string(7, '\0'));
  EXPECT_TRUE(SecretBytes().empty());
}

TEST_F(CryptoTest, SecretBytesMoveLeavesSourceEmptyAndDoesNotCopy) {
  SecretBytes source = FixedKey(7);
  const unsigned char* block = source.data();
  std::string expected(source.view());

  SecretBytes moved(std::move(source));
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_EQ(source.size(), 0u);
  EXPECT_EQ(moved.view(), expected);
  // The same heap block changed hands: no second copy of the secret was left behind.
  EXPECT_EQ(moved.data(), block);

  SecretBytes target = FixedKey(100);
  target = std::move(moved);
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.view(), expected);
  EXPECT_EQ(target.data(), block);
}

TEST_F(CryptoTest, SecretBytesCloneIsIndependent) {
  SecretBytes a = FixedKey(1);
  SecretBytes b = a.Clone();
  EXPECT_EQ(a.view(), b.view());
  EXPECT_NE(a.data(), b.data());
  b.data()[0] ^= 0xff;
  EXPECT_NE(a.view(), b.view());
}

TEST_F(CryptoTest, SecretBytesLiveInGuardedMemory) {
  for (size_t n : {size_t{1}, size_t{32}, size_t{4095}, size_t{4097}, size_t{70000}}) {
    SecretBytes s(n);
    EXPECT_TRUE(s.guarded()) << n;
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.view(), std::string(n, '\0')) << "not zero-filled at " << n;
    s.data()[n - 1] = 0x5a;  // the whole range is writable
  }
  EXPECT_FALSE(SecretBytes().guarded());
  EXPECT_EQ(SecretBytes().data(), nullptr);
  SecretBytes a = FixedKey(9);
  SecretBytes b = std::move(a);
  EXPECT_TRUE(b.guarded());
  EXPECT_FALSE(a.guarded());  // NOLINT(bugprone-use-after-move)
}

TEST_F(CryptoTest, SecretBytesOverrunFaultsInsteadOfReadingANeighbour) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        SecretBytes s(32);
        volatile unsigned char* past = s.data() + s.size();  // the guard page after it
        *past = 1;
      },
      "");
}

TEST_F(CryptoTest, SecretBytesSurviveSelfMoveAndReassignment) {
  SecretBytes s = FixedKey(4);
  const std::string expected(s.view());
  SecretBytes& alias = s;
  s = std::move(alias);
  EXPECT_EQ(s.view(), expected);
  s = SecretBytes(3);
  EXPECT_EQ(s.view(), std::string(3, '\0'));
  s = SecretBytes();
  EXPECT_TRUE(s.empty());
}

TEST_F(CryptoTest, ManySecretBytesAtOnceStayWithinTheMappingLimit) {
  // A request holds a few dozen at most; a few thousand live at once must still work.
  std::vector<SecretBytes> many;
  for (int i = 0; i < 4000; ++i) many.push_back(FixedKey(static_cast<unsigned char>(i)));
  for (int i = 0; i < 4000; ++i) ASSERT_EQ(many[i].data()[0], static_cast<unsigned char>(i));
}

TEST_F(CryptoTest, WipeZeroesAStringInPlace) {
  std::string s = "otpauth://totp/secret-in-a-string";
  const char* at = s.data();
  Wipe(s);
  EXPECT_EQ(s, std::string(33, '\0'));
  EXPECT_EQ(s.data(), at);
  std::string empty;
  Wipe(empty);
  EXPECT_TRUE(empty.empty());
}

// --- Encoding, randomness, comparison -------------------------------------------------------

TEST_F(CryptoTest, Base64IsUrlSafeWithoutPadding) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(*Base64Decode("aGVsbG8"), "hello");
  EXPECT_EQ(*Base64Decode("-_8"), "\xfb\xff");
  EXPECT_EQ(*Base64Decode(""), "");
}

TEST_F(CryptoTest, Base64RoundTripsAllLengths) {
  for (size_t n = 0; n < 70; ++n) {
    std::string bytes = RandomBytes(n);
    Result<std::string> back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST_F(CryptoTest, Base64RejectsGarbage) {
  for (std::string_view bad : {"aGVsbG8=", "a+b/", "!!!!", "a", "aGVs bG8", "\xd9\xa1"}) {
    Result<std::string> r = Base64Decode(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().user_message, "error.invalid");
  }
}

TEST_F(CryptoTest, HexEncode) {
  EXPECT_EQ(HexEncode(std::string_view("\x01\xab\x00\xff", 4)), "01ab00ff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST_F(CryptoTest, RandomTokenIsUrlSafeAndFresh) {
  std::string a = RandomToken();
  std::string b = RandomToken();
  EXPECT_EQ(a.size(), 43u);  // 32 bytes, no padding
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(Base64Decode(RandomToken(16))->size(), 16u);
  EXPECT_EQ(RandomBytes(24).size(), 24u);
}

TEST_F(CryptoTest, RandomBelowStaysInRange) {
  std::array<int, 3> seen{};
  for (int i = 0; i < 3000; ++i) {
    uint32_t v = RandomBelow(3);
    ASSERT_LT(v, 3u);
    ++seen[v];
  }
  for (int count : seen) EXPECT_GT(count, 800);
}

TEST_F(CryptoTest, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("", ""));  // an unset secret matches nothing
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEqual("", "a"));
}

// --- KeyedHash ------------------------------------------------------------------------------

TEST_F(CryptoTest, KeyedHashFollowsTheDocumentedConstruction) {
  SecretBytes key = FixedKey(3);
  std::string out = KeyedHash(key.view(), "vd.test", "message");
  ASSERT_EQ(out.size(), 32u);

  unsigned char subkey[32];
  const std::string context = "vd.test";
  const std::string message = "message";
  crypto_generichash(subkey, 32, reinterpret_cast<const unsigned char*>(context.data()),
                     context.size(), key.data(), key.size());
  unsigned char expected[32];
  crypto_generichash(expected, 32, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size(), subkey, 32);
  EXPECT_EQ(out, std::string(reinterpret_cast<const char*>(expected), 32));
}

TEST_F(CryptoTest, KeyedHashSeparatesContextsMessagesAndKeys) {
  SecretBytes key = FixedKey(3);
  std::string base = KeyedHash(key.view(), "vd.a", "m");
  EXPECT_EQ(base, KeyedHash(key.view(), "vd.a", "m"));
  EXPECT_NE(base, KeyedHash(key.view(), "vd.b", "m"));
  EXPECT_NE(base, KeyedHash(key.view(), "vd.a", "n"));
  EXPECT_NE(base, KeyedHash(FixedKey(4).view(), "vd.a", "m"));
  // No ambiguity between where the context ends and the message starts.
  EXPECT_NE(KeyedHash(key.view(), "vd.ab", ""), KeyedHash(key.view(), "vd.a", "b"));
}

// --- Key pairs and sealed boxes -------------------------------------------------------------

TEST_F(CryptoTest, GeneratedKeyPairsAreDistinctAndRecoverable) {
  KeyPair a = GenerateKeyPair();
  KeyPair b = GenerateKeyPair();
  EXPECT_EQ(a.public_key.size(), 32u);
  EXPECT_EQ(a.secret_key.size(), 32u);
  EXPECT_NE(a.public_key, b.public_key);

  std::string public_key = a.public_key;
  Result<KeyPair> again = KeyPairFromSecret(a.secret_key.Clone());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key, public_key);
  EXPECT_EQ(again->secret_key.view(), a.secret_key.view());
}

TEST_F(CryptoTest, KeyPairFromSecretRejectsWrongSize) {
  for (size_t n : {0, 16, 31, 33, 64}) {
    Result<KeyPair> r = KeyPairFromSecret(SecretBytes(n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

TEST_F(CryptoTest, SealRoundTrip) {
  KeyPair pair = GenerateKeyPair();
  for (std::string plain : {std::string(), std::string("x"), std::string(5000, 'm')}) {
    std::string sealed = SealTo(pair.public_key, plain);
    EXPECT_EQ(Base64Decode(sealed)->size(), plain.size() + crypto_box_SEALBYTES);
    Result<SecretBytes> opened = OpenSealed(pair, sealed);
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(opened->view(), plain);
  }
  // Each seal uses a fresh ephemeral key, so equal plaintexts do not look equal.
  EXPECT_NE(SealTo(pair.public_key, "same"), SealTo(pair.public_key, "same"));
}

TEST_F(CryptoTest, SealDetectsEveryFlippedByte) {
  KeyPair pair = GenerateKeyPair();
  std::string sealed = SealTo(pair.public_key, "the conversation secret key");
  size_t raw_size = Base64Decode(sealed)->size();
  for (size_t i = 0; i < raw_size; ++i) {
    Result<SecretBytes> r = OpenSealed(pair, FlipByte(sealed, i));
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code, ErrorCode::kCrypto);
    EXPECT_EQ(r.error().user_message, "error.internal");
  }
}

TEST_F(CryptoTest, SealRejectsWrongKeyTruncationAndGarbage) {
  KeyPair pair = GenerateKeyPair();
  KeyPair other = GenerateKeyPair();
  std::string sealed = SealTo(pair.public_key, "secret");

  Result<SecretBytes> wrong = OpenSealed(other, sealed);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kCrypto);

  std::string raw = *Base64Decode(sealed);
  EXPECT_FALSE(OpenSealed(pair, Base64Encode(raw.substr(0, raw.size() - 1))).has_value());
  EXPECT_FALSE(OpenSealed(pair, Base64Encode(raw.substr(0, 10))).has_value());
  EXPECT_FALSE(OpenSealed(pair, "").has_value());
  Result<SecretBytes> garbage = OpenSealed(pair, "not base64!");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().code, ErrorCode::kCrypto);
}

// --- Wrap -----------------------------------------------------------------------------------

TEST_F(CryptoTest, WrapRoundTrip) {
  SecretBytes key = FixedKey(9);
  for (std::string plain : {std::string(), std::string(32, 's'), std::string(3000, 'z')}) {
    std::string wrapped = Wrap(key, plain);
    EXPECT_EQ(Base64Decode(wrapped)->size(),
              crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
    Result<SecretBytes> back = Unwrap(key, wrapped);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->view(), plain);
  }
  // Random nonce: wrapping twice never gives the same text.
  EXPECT_NE(Wrap(key, "same"), Wrap(key, "same"));
}

TEST_F(CryptoTest, WrapDetectsEveryFlippedByte) {
  SecretBytes key = FixedKey(9);
  std::string wrapped = Wrap(key, "an advisor's secret key");
  size_t raw_size = Base64Decode(wrapped)->size();
  for (size_t i = 0; i < raw_size; ++i) {  // nonce, MAC and ciphertext alike
    Result<SecretBytes> r = Unwrap(key, FlipByte(wrapped, i));
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code, ErrorCode::kCrypto);
  }
}

TEST_F(CryptoTest, UnwrapRejectsWrongKeyAndMalformedInput) {
  SecretBytes key = FixedKey(9);
  std::string wrapped = Wrap(key, "secret");
  Result<SecretBytes> wrong = Unwrap(FixedKey(10), wrapped);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kCrypto);

  EXPECT_FALSE(Unwrap(SecretBytes(16), wrapped).has_value());
  EXPECT_FALSE(Unwrap(key, "").has_value());
  EXPECT_FALSE(Unwrap(key, Base64Encode(std::string(39, 'a'))).has_value());
  Result<SecretBytes> garbage = Unwrap(key, "***");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().code, ErrorCode::kCrypto);
}

// --- Argon2id and password keys -------------------------------------------------------------

TEST_F(CryptoTest, MinimumParamsAreLibsodiumsMinimum) {
  EXPECT_EQ(kFast.ops_limit, crypto_pwhash_OPSLIMIT_MIN);
  EXPECT_EQ(kFast.mem_limit, crypto_pwhash_MEMLIMIT_MIN);
  PwhashParams production;
  EXPECT_GE(production.ops_limit, crypto_pwhash_OPSLIMIT_MODERATE);
  EXPECT_GE(production.mem_limit, crypto_pwhash_MEMLIMIT_MODERATE);
}

TEST_F(CryptoTest, Argon2idIsDeterministicAndSaltSensitive) {
  Result<SecretBytes> a = Argon2id("password", kSalt, kFast);
  Result<SecretBytes> b = Argon2id("password", kSalt, kFast);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_EQ(a->view(), b->view());
  EXPECT_NE(a->view(), Argon2id("passwore", kSalt, kFast)->view());
  EXPECT_NE(a->view(), Argon2id("password", "0123456789abcdeg", kFast)->view());
  // It really is Argon2id with these parameters and this salt.
  unsigned char direct[32];
  ASSERT_EQ(
      crypto_pwhash(direct, 32, "password", 8, reinterpret_cast<const unsigned char*>(kSalt.data()),
                    kFast.ops_limit, kFast.mem_limit, crypto_pwhash_ALG_ARGON2ID13),
      0);
  EXPECT_EQ(a->view(), std::string_view(reinterpret_cast<const char*>(direct), 32));
}

TEST_F(CryptoTest, Argon2idAcceptsSaltsOfOtherLengths) {
  Result<SecretBytes> short_salt = Argon2id("pw", "salt", kFast);
  Result<SecretBytes> long_salt = Argon2id("pw", std::string(40, 's'), kFast);
  ASSERT_TRUE(short_salt && long_salt);
  EXPECT_EQ(short_salt->size(), 32u);
  EXPECT_NE(short_salt->view(), long_salt->view());
  EXPECT_EQ(short_salt->view(), Argon2id("pw", "salt", kFast)->view());
}

TEST_F(CryptoTest, Argon2idRejectsParamsOutsideLibsodiumRange) {
  PwhashParams bad = kFast;
  bad.mem_limit = 1;
  Result<SecretBytes> r = Argon2id("pw", kSalt, bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
}

TEST_F(CryptoTest, NewSaltIsSixteenFreshBytes) {
  EXPECT_EQ(NewSalt().size(), 16u);
  EXPECT_NE(NewSalt(), NewSalt());
}

TEST_F(CryptoTest, PasswordKeys) {
  Result<PasswordKeys> a = DerivePasswordKeys("correct horse", kSalt, kFast);
  Result<PasswordKeys> b = DerivePasswordKeys("correct horse", kSalt, kFast);
  Result<PasswordKeys> wrong = DerivePasswordKeys("correct horsf", kSalt, kFast);
  Result<PasswordKeys> salted = DerivePasswordKeys("correct horse", NewSalt(), kFast);
  ASSERT_TRUE(a && b && wrong && salted);
  EXPECT_EQ(a->verifier.size(), 32u);
  EXPECT_EQ(a->wrap_key.size(), 32u);
  EXPECT_EQ(a->verifier, b->verifier);
  EXPECT_EQ(a->wrap_key.view(), b->wrap_key.view());
  EXPECT_NE(a->verifier, wrong->verifier);
  EXPECT_NE(a->wrap_key.view(), wrong->wrap_key.view());
  EXPECT_NE(a->verifier, salted->verifier);
  // The stored verifier must not reveal the wrap key.
  EXPECT_NE(a->verifier, a->wrap_key.view());
  SecretBytes master = *Argon2id("correct horse", kSalt, kFast);
  EXPECT_EQ(a->verifier, KeyedHash(master.view(), "vd.pw.verifier", ""));
  EXPECT_EQ(a->wrap_key.view(), KeyedHash(master.view(), "vd.pw.wrap", ""));
  // And the wrap key actually wraps.
  EXPECT_EQ(Unwrap(b->wrap_key, Wrap(a->wrap_key, "sk"))->view(), "sk");
}

// --- Recovery keys --------------------------------------------------------------------------

TEST_F(CryptoTest, RecoveryKeyDisplayShape) {
  RecoveryKey key = NewRecoveryKey();
  ASSERT_EQ(key.display.size(), 39u);  // 8 groups of 4, 7 dashes
  for (size_t i = 0; i < key.display.size(); ++i) {
    if (i % 5 == 4) {
      EXPECT_EQ(key.display[i], '-') << key.display;
    } else {
      EXPECT_NE(std::string_view("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(key.display[i]),
                std::string_view::npos)
          << key.display;
    }
  }
  EXPECT_EQ(key.wrap_key.size(), 32u);
  EXPECT_NE(NewRecoveryKey().display, key.display);
}

TEST_F(CryptoTest, RecoveryKeyRoundTrip) {
  for (int i = 0; i < 50; ++i) {
    RecoveryKey key = NewRecoveryKey();
    Result<SecretBytes> again = RecoveryWrapKey(key.display);
    ASSERT_TRUE(again.has_value()) << key.display;
    EXPECT_EQ(again->view(), key.wrap_key.view());
  }
}

TEST_F(CryptoTest, RecoveryKeyToleratesHowPeopleTypeIt) {
  RecoveryKey key = NewRecoveryKey();
  std::string lower;
  std::string spaced;
  for (char c : key.display) {
    if (c == '-') {
      spaced += "  ";
      continue;
    }
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    spaced.push_back(c);
  }
  EXPECT_EQ(RecoveryWrapKey(lower)->view(), key.wrap_key.view());
  EXPECT_EQ(RecoveryWrapKey(spaced)->view(), key.wrap_key.view());

  // O reads as 0, I and L read as 1.
  auto key_for = [](const std::string& typed) -> std::string {
    Result<SecretBytes> r = RecoveryWrapKey(typed);
    return r ? std::string(r->view()) : "rejected";
  };
  const std::string rest = key.display.substr(1);
  ASSERT_NE(key_for("0" + rest), "rejected");
  ASSERT_NE(key_for("1" + rest), "rejected");
  EXPECT_EQ(key_for("O" + rest), key_for("0" + rest));
  EXPECT_EQ(key_for("o" + rest), key_for("0" + rest));
  EXPECT_EQ(key_for("I" + rest), key_for("1" + rest));
  EXPECT_EQ(key_for("l" + rest), key_for("1" + rest));
  EXPECT_NE(key_for("0" + rest), key_for("1" + rest));
}

TEST_F(CryptoTest, EnrolmentCodesHashAsTypedAndDifferFromRecoveryKeys) {
  EnrolmentCode code = NewEnrolmentCode();
  ASSERT_EQ(code.display.size(), 39u);  // 32 characters and 7 dashes
  EXPECT_EQ(code.hash.size(), 32u);
  EXPECT_EQ(code.hash.find(code.display), std::string::npos);
  std::string typed = code.display;
  std::ranges::replace(typed, '-', ' ');
  std::ranges::transform(typed, typed.begin(), [](char c) { return std::tolower(c); });
  EXPECT_EQ(*EnrolmentCodeHash(typed), code.hash);
  EXPECT_NE(*EnrolmentCodeHash(NewEnrolmentCode().display), code.hash);
  // The same characters as a recovery key derive something else (another context).
  EXPECT_NE(std::string(RecoveryWrapKey(code.display)->view()), code.hash);
  for (const std::string& bad : {std::string(), code.display.substr(1), code.display + "A",
                                 std::string(5000, 'A')}) {
    Result<std::string> h = EnrolmentCodeHash(bad);
    ASSERT_FALSE(h.has_value()) << bad;
    EXPECT_EQ(h.error().user_message, "staff_error.enrolment_invalid");
  }
}

TEST_F(CryptoTest, RecoveryKeyRejectsMalformedInput) {
  std::string good = NewRecoveryKey().display;
  std::vector<std::string> bad = {
      "",
      good.substr(0, good.size() - 1),  // 31 characters
      good + "A",                       // 33 characters
      "U" + good.substr(1),             // U is not Crockford
      "!" + good.substr(1),
      good.substr(0, 4) + "_" + good.substr(5),  // wrong separator
      std::string(200, '-') + good,              // absurdly long
  };
  for (const std::string& b : bad) {
    Result<SecretBytes> r = RecoveryWrapKey(b);
    ASSERT_FALSE(r.has_value()) << b;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
}

// --- Receipts -------------------------------------------------------------------------------

TEST_F(CryptoTest, ParseReceiptAcceptsWhatPeopleType) {
  const std::string digits = "1234567890123456";
  for (std::string_view typed : {"1234567890123456", "1234 5678-9012.3456", "1234 5678 9012 3456",
                                 " 1234-5678-9012-3456 ", "1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6"}) {
    Result<std::string> r = ParseReceipt(typed);
    ASSERT_TRUE(r.has_value()) << typed;
    EXPECT_EQ(*r, digits);
  }
  // 64 bytes is still fine.
  std::string padded = digits + std::string(48, ' ');
  ASSERT_EQ(padded.size(), 64u);
  EXPECT_TRUE(ParseReceipt(padded).has_value());
}

TEST_F(CryptoTest, ParseReceiptRejectsEverythingElse) {
  std::vector<std::string> bad = {
      "",
      "123456789012345",      // 15 digits
      "12345678901234567",    // 17 digits
      "1234 5678 9012 345a",  // a letter
      "1234_5678_9012_3456",  // other punctuation
      "1234/5678/9012/3456",
      "1234\t5678\t9012\t3456",
      "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8"
      "\xd9\xa9\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",  // Arabic-Indic digits
      "\xef\xbc\x91"
      "234567890123456",                          // a full-width 1
      "1234567890123456" + std::string(84, ' '),  // 100 bytes
      std::string(100, '1'),
      std::string("1234567890123456\0", 17),
      "-----",
  };
  for (const std::string& b : bad) {
    Result<std::string> r = ParseReceipt(b);
    ASSERT_FALSE(r.has_value()) << b;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(r.error().user_message, "error.receipt_format");
    // Nothing typed ends up in the operator's log.
    EXPECT_EQ(r.error().detail.find_first_of("0123456789"), std::string::npos);
  }
}

TEST_F(CryptoTest, GroupReceipt) {
  EXPECT_EQ(GroupReceipt("1234567890123456"), "1234 5678 9012 3456");
  EXPECT_EQ(*ParseReceipt(GroupReceipt("0000111122223333")), "0000111122223333");
}

TEST_F(CryptoTest, NewReceiptLooksUniformlyRandom) {
  constexpr int kCount = 10000;
  std::set<std::string> seen;
  std::array<int, 10> freq{};
  for (int i = 0; i < kCount; ++i) {
    std::string r = NewReceipt();
    ASSERT_EQ(r.size(), 16u);
    for (char c : r) {
      ASSERT_TRUE(c >= '0' && c <= '9') << r;
      ++freq[c - '0'];
    }
    EXPECT_TRUE(ParseReceipt(r).has_value());
    seen.insert(r);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  // 160,000 digits: 16,000 expected per digit, standard deviation 120. 1,000 is ~8 sigma.
  for (int d = 0; d < 10; ++d) {
    EXPECT_NEAR(freq[d], 16000, 1000) << "digit " << d;
  }
}

TEST_F(CryptoTest, ReceiptKeysAreDeterministicAndSeparated) {
  const std::string receipt = "1234567890123456";
  Result<ReceiptKeys> a = DeriveReceiptKeys(receipt, kSalt, kFast);
  Result<ReceiptKeys> b = DeriveReceiptKeys(receipt, kSalt, kFast);
  Result<ReceiptKeys> grouped = DeriveReceiptKeys(GroupReceipt(receipt), kSalt, kFast);
  Result<ReceiptKeys> other = DeriveReceiptKeys("1234567890123457", kSalt, kFast);
  Result<ReceiptKeys> resalted = DeriveReceiptKeys(receipt, "fedcba9876543210", kFast);
  ASSERT_TRUE(a && b && grouped && other && resalted);

  EXPECT_EQ(Base64Decode(a->lookup)->size(), 32u);
  EXPECT_EQ(a->wrap_key.size(), 32u);
  EXPECT_EQ(a->lookup, b->lookup);
  EXPECT_EQ(a->wrap_key.view(), b->wrap_key.view());
  EXPECT_EQ(a->lookup, grouped->lookup);
  EXPECT_EQ(a->wrap_key.view(), grouped->wrap_key.view());
  EXPECT_NE(a->lookup, other->lookup);
  EXPECT_NE(a->wrap_key.view(), other->wrap_key.view());
  EXPECT_NE(a->lookup, resalted->lookup);
  EXPECT_NE(a->wrap_key.view(), resalted->wrap_key.view());
  // What is stored (lookup) must not be the key that opens the conversation.
  EXPECT_NE(*Base64Decode(a->lookup), a->wrap_key.view());
  EXPECT_EQ(Unwrap(b->wrap_key, Wrap(a->wrap_key, "conversation sk"))->view(), "conversation sk");
  EXPECT_FALSE(Unwrap(other->wrap_key, Wrap(a->wrap_key, "conversation sk")).has_value());
}

TEST_F(CryptoTest, ReceiptKeysRejectNonReceipts) {
  Result<ReceiptKeys> r = DeriveReceiptKeys("12345", kSalt, kFast);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
}

TEST_F(CryptoTest, KdfTextRoundTrips) {
  const KdfParams production{PwhashParams{}, true};
  EXPECT_EQ(KdfText(production), "argon2id13:t=3,m=262144:p1");
  EXPECT_EQ(*ParseKdf("argon2id13:t=3,m=262144:p1"), production);
  const KdfParams legacy{kFast, false};
  Result<KdfParams> back = ParseKdf(KdfText(legacy));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, legacy);
  EXPECT_FALSE(back->peppered);
}

TEST_F(CryptoTest, ParseKdfRefusesWhatKdfTextNeverWrites) {
  for (std::string_view bad :
       {"", "argon2id13", "argon2i13:t=3,m=262144:p1", "argon2id13:t=3,m=262144",
        "argon2id13:t=3,m=262144:p2", "argon2id13:t=03,m=262144:p1", "argon2id13:t=3,m=-1:p1",
        "argon2id13:t=0,m=262144:p1", "argon2id13:t=3,m=1:p1", "argon2id13:t=3:m=262144:p1",
        "argon2id13:t=3,m=262144:p1 ", "argon2id13:t=99999999999999999999,m=8:p1"}) {
    EXPECT_FALSE(ParseKdf(bad).has_value()) << bad;
  }
}

TEST_F(CryptoTest, PepperedPasswordKeysNeedThePepper) {
  const SecretBytes pepper(reinterpret_cast<const unsigned char*>(std::string(32, 'p').data()), 32);
  const SecretBytes other(reinterpret_cast<const unsigned char*>(std::string(32, 'q').data()), 32);
  const KdfParams kdf{kFast, true};
  Result<PasswordKeys> a = DerivePasswordKeys("correct horse", kSalt, kdf, pepper);
  Result<PasswordKeys> b = DerivePasswordKeys("correct horse", kSalt, kdf, pepper);
  Result<PasswordKeys> thief = DerivePasswordKeys("correct horse", kSalt, kdf, other);
  Result<PasswordKeys> plain = DerivePasswordKeys("correct horse", kSalt, kFast);
  ASSERT_TRUE(a && b && thief && plain);
  EXPECT_EQ(a->verifier, b->verifier);
  EXPECT_EQ(a->wrap_key.view(), b->wrap_key.view());
  // Both what is stored and what unwraps depend on the pepper.
  EXPECT_NE(a->verifier, thief->verifier);
  EXPECT_NE(a->wrap_key.view(), thief->wrap_key.view());
  EXPECT_NE(a->verifier, plain->verifier);
  EXPECT_NE(a->wrap_key.view(), plain->wrap_key.view());
  SecretBytes master = *Argon2id("correct horse", kSalt, kFast);
  const std::string mixed = KeyedHash(pepper.view(), "vd.pw.pepper", master.view());
  EXPECT_EQ(a->verifier, KeyedHash(mixed, "vd.pw.verifier", ""));
  EXPECT_EQ(a->wrap_key.view(), KeyedHash(mixed, "vd.pw.wrap", ""));
  // An unpeppered kdf ignores the pepper: the keys of a password stored before it existed.
  Result<PasswordKeys> legacy = DerivePasswordKeys("correct horse", kSalt, KdfParams{kFast, false}, pepper);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->verifier, plain->verifier);
  EXPECT_EQ(legacy->wrap_key.view(), plain->wrap_key.view());
  // A peppered kdf without a pepper is refused, never silently unpeppered.
  Result<PasswordKeys> none = DerivePasswordKeys("correct horse", kSalt, kdf, SecretBytes());
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kInternal);
}

TEST_F(CryptoTest, PepperedReceiptKeysNeedThePepper) {
  const std::string receipt = "1234567890123456";
  const SecretBytes pepper(reinterpret_cast<const unsigned char*>(std::string(32, 'p').data()), 32);
  const SecretBytes other(reinterpret_cast<const unsigned char*>(std::string(32, 'q').data()), 32);
  const KdfParams kdf{kFast, true};
  Result<ReceiptKeys> a = DeriveReceiptKeys(receipt, kSalt, kdf, pepper);
  Result<ReceiptKeys> grouped = DeriveReceiptKeys(GroupReceipt(receipt), kSalt, kdf, pepper);
  Result<ReceiptKeys> thief = DeriveReceiptKeys(receipt, kSalt, kdf, other);
  Result<ReceiptKeys> plain = DeriveReceiptKeys(receipt, kSalt, kFast);
  Result<ReceiptKeys> costlier = DeriveReceiptKeys(receipt, kSalt, KdfParams{{2, kFast.mem_limit}, true}, pepper);
  ASSERT_TRUE(a && grouped && thief && plain && costlier);
  EXPECT_EQ(a->lookup, grouped->lookup);
  EXPECT_NE(a->lookup, thief->lookup);
  EXPECT_NE(a->wrap_key.view(), thief->wrap_key.view());
  EXPECT_NE(a->lookup, plain->lookup);
  EXPECT_NE(a->wrap_key.view(), plain->wrap_key.view());
  EXPECT_NE(a->lookup, costlier->lookup);
  SecretBytes master = *Argon2id(receipt, kSalt, kFast);
  const std::string mixed = KeyedHash(pepper.view(), "vd.receipt.pepper", master.view());
  EXPECT_EQ(a->lookup, Base64Encode(KeyedHash(mixed, "vd.receipt.lookup", "")));
  EXPECT_EQ(a->wrap_key.view(), KeyedHash(mixed, "vd.receipt.wrap", ""));
  Result<ReceiptKeys> legacy = DeriveReceiptKeys(receipt, kSalt, KdfParams{kFast, false}, pepper);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->lookup, plain->lookup);
  EXPECT_FALSE(DeriveReceiptKeys(receipt, kSalt, kdf, SecretBytes(16)).has_value());
}

}  // namespace
}  // namespace vd

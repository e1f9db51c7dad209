#include "crypto/totp.h"

#include <liboath/oath.h>
#include <sodium.h>

#include <array>
#include <cstdlib>

namespace vd {
namespace {

constexpr unsigned kStepSeconds = 30;
constexpr unsigned kDigits = 6;
constexpr size_t kSecretBytes = 20;
constexpr size_t kMinSecretBytes = 10;  // RFC 4226 minimum of 128 bits is advised; 80 is seen
constexpr size_t kMaxSecretBytes = 64;
constexpr size_t kMaxBase32Input = 256;
constexpr size_t kMaxCodeInput = 32;

const char* Chars(const SecretBytes& s) { return reinterpret_cast<const char*>(s.data()); }

// liboath hands back malloc'ed buffers; these can hold secrets, so wipe before free.
void WipeAndFree(char* p, size_t n) {
  if (p == nullptr) return;
  sodium_memzero(p, n);
  std::free(p);
}

// Unreserved characters (RFC 3986) stay; everything else becomes %XX.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Floor division, so that a step number is well defined for any clock value.
int64_t StepOf(int64_t unix_time) {
  int64_t q = unix_time / kStepSeconds;
  return (unix_time % kStepSeconds < 0) ? q - 1 : q;
}

}  // namespace

Status InitTotp() {
  if (oath_init() != OATH_OK) {
    return Fail(ErrorCode::kInternal, "error.internal", "oath_init failed");
  }
  return {};
}

SecretBytes NewTotpSecret() {
  SecretBytes secret(kSecretBytes);
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string TotpSecretBase32(const SecretBytes& secret) {
  char* encoded = nullptr;
  size_t encoded_len = 0;
  if (secret.empty() ||
      oath_base32_encode(Chars(secret), secret.size(), &encoded, &encoded_len) != OATH_OK) {
    return {};
  }
  std::string out(encoded, encoded_len);
  WipeAndFree(encoded, encoded_len);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

Result<SecretBytes> TotpSecretFromBase32(std::string_view base32) {
  auto invalid = [] { return Fail(ErrorCode::kInvalidInput, "error.invalid", "totp base32"); };
  if (base32.size() > kMaxBase32Input) return invalid();
  // Normalise what apps and people produce: lower case, spaces, trailing padding.
  std::string clean;
  clean.reserve(base32.size());
  for (char c : base32) {
    if (c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    clean.push_back(c);
  }
  while (!clean.empty() && clean.back() == '=') clean.pop_back();
  for (char c : clean) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) {
      sodium_memzero(clean.data(), clean.size());
      return invalid();
    }
  }
  char* decoded = nullptr;
  size_t decoded_len = 0;
  int rc = oath_base32_decode(clean.data(), clean.size(), &decoded, &decoded_len);
  sodium_memzero(clean.data(), clean.size());
  if (rc != OATH_OK) {
    WipeAndFree(decoded, decoded_len);
    return invalid();
  }
  if (decoded_len < kMinSecretBytes || decoded_len > kMaxSecretBytes) {
    WipeAndFree(decoded, decoded_len);
    return invalid();
  }
  SecretBytes secret(reinterpret_cast<const unsigned char*>(decoded), decoded_len);
  WipeAndFree(decoded, decoded_len);
  return secret;
}

std::string TotpCode(const SecretBytes& secret, int64_t unix_time) {
  std::array<char, kDigits + 1> code{};
  if (secret.empty()) return {};
  if (oath_totp_generate(Chars(secret), secret.size(), static_cast<time_t>(unix_time), kStepSeconds,
                         0, kDigits, code.data()) != OATH_OK) {
    return {};  // never matches a typed code
  }
  return std::string(code.data(), kDigits);
}

std::optional<int64_t> VerifyTotp(const SecretBytes& secret, std::string_view code,
                                  int64_t unix_time) {
  if (code.size() > kMaxCodeInput || unix_time < kStepSeconds) return std::nullopt;
  std::string digits;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() != kDigits) return std::nullopt;

  // liboath generates; the comparison is ours, in constant time and without an early exit,
  // because oath_totp_validate compares with strcmp. The current step is preferred.
  std::optional<int64_t> matched;
  for (int offset : {0, -1, 1}) {
    std::string expected = TotpCode(secret, unix_time + offset * int64_t{kStepSeconds});
    if (ConstantTimeEqual(expected, digits) && !matched) {
      matched = StepOf(unix_time) + offset;
    }
  }
  return matched;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       const SecretBytes& secret) {
  const std::string enc_issuer = PercentEncode(issuer);
  const std::string enc_account = PercentEncode(account);
  std::string b32 = TotpSecretBase32(secret);
  // One buffer, reserved up front: no reallocation leaves a copy of the secret behind.
  std::string uri;
  uri.reserve(64 + 2 * enc_issuer.size() + enc_account.size() + b32.size());
  uri.append("otpauth://totp/").append(enc_issuer).append(":").append(enc_account);
  uri.append("?secret=").append(b32).append("&issuer=").append(enc_issuer);
  Wipe(b32);
  return uri;
}

}  // namespace vd

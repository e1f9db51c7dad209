#include "crypto/crypto.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

namespace vd {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kReceiptDigits = 16;
constexpr size_t kMaxReceiptInput = 64;
constexpr size_t kRecoveryKeyBytes = 20;
constexpr size_t kRecoveryKeyChars = 32;  // 20 bytes * 8 / 5
constexpr size_t kMaxRecoveryInput = 128;
// Crockford's base32 alphabet: no I, L, O or U, so what is written down reads back.
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static_assert(crypto_secretbox_KEYBYTES == kKeyBytes);
static_assert(crypto_box_SECRETKEYBYTES == kKeyBytes);
static_assert(crypto_box_PUBLICKEYBYTES == kKeyBytes);
static_assert(crypto_pwhash_SALTBYTES == 16);

// A violated precondition is a bug; carrying on could seal data nobody can open.
[[noreturn]] void Die(const char* what) {
  std::fputs("vd::crypto precondition failed: ", stderr);
  std::fputs(what, stderr);
  std::fputs("\n", stderr);
  std::abort();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// libsodium wants a writable pointer even for zero-length output; an empty vector has none.
unsigned char* OutPtr(SecretBytes& s, unsigned char* scratch) {
  return s.empty() ? scratch : s.data();
}

std::unexpected<Error> CryptoFail(const char* detail) {
  return Fail(ErrorCode::kCrypto, "error.internal", detail);
}

// Writes the 32-byte KeyedHash into `out`; the intermediate subkey never leaves the stack.
void KeyedHashInto(unsigned char* out, std::string_view key, std::string_view context,
                   std::string_view message) {
  if (key.size() < crypto_generichash_KEYBYTES_MIN ||
      key.size() > crypto_generichash_KEYBYTES_MAX) {
    Die("KeyedHash key length");
  }
  unsigned char subkey[kKeyBytes];
  crypto_generichash(subkey, sizeof subkey, Bytes(context), context.size(), Bytes(key), key.size());
  crypto_generichash(out, kKeyBytes, Bytes(message), message.size(), subkey, sizeof subkey);
  sodium_memzero(subkey, sizeof subkey);
}

SecretBytes KeyedHashSecret(const SecretBytes& key, std::string_view context) {
  SecretBytes out(kKeyBytes);
  KeyedHashInto(out.data(), key.view(), context, "");
  return out;
}

std::string EncodeCrockford(const unsigned char* data, size_t size) {
  std::string out;
  out.reserve((size * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kCrockford[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kCrockford[(buffer << (5 - bits)) & 31]);
  sodium_memzero(&buffer, sizeof buffer);
  return out;
}

// The Crockford value of an already upper-cased character, or -1.
int CrockfordValue(char c) {
  if (c == 'O') return 0;
  if (c == 'I' || c == 'L') return 1;
  size_t pos = kCrockford.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

Status InitCrypto() {
  if (sodium_init() < 0) {
    return Fail(ErrorCode::kInternal, "error.internal", "sodium_init failed");
  }
  return {};
}

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size == 0) return;
  data_ = static_cast<unsigned char*>(sodium_malloc(size));
  guarded_ = data_ != nullptr;
  if (!guarded_) data_ = new unsigned char[size];  // throws bad_alloc as a vector would
  std::memset(data_, 0, size);  // sodium_malloc fills with garbage bytes
}

SecretBytes::SecretBytes(const unsigned char* data, size_t size) : SecretBytes(size) {
  if (size > 0) std::memcpy(data_, data, size);
}

void SecretBytes::Release() noexcept {
  if (data_ == nullptr) return;
  sodium_memzero(data_, size_);
  if (guarded_) {
    sodium_free(data_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = 0;
  guarded_ = false;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      guarded_(std::exchange(other.guarded_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    guarded_ = std::exchange(other.guarded_, false);
  }
  return *this;
}

void Wipe(std::string& s) { sodium_memzero(s.data(), s.size()); }

std::string Base64Encode(std::string_view bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), Bytes(bytes), bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the encoded length counts the terminating NUL
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t out_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &out_len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return Fail(ErrorCode::kInvalidInput, "error.invalid", "base64");
  }
  out.resize(out_len);
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), Bytes(bytes), bytes.size());
  out.resize(bytes.size() * 2);
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

void FillRandom(SecretBytes& out) {
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

std::string RandomToken(size_t bytes) { return Base64Encode(RandomBytes(bytes)); }

uint32_t RandomBelow(uint32_t upper) { return randombytes_uniform(upper); }

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string KeyedHash(std::string_view key, std::string_view context, std::string_view message) {
  std::string out(kKeyBytes, '\0');
  KeyedHashInto(reinterpret_cast<unsigned char*>(out.data()), key, context, message);
  return out;
}

SecretBytes KeyedHashKey(std::string_view key, std::string_view context, std::string_view message) {
  SecretBytes out(kKeyBytes);
  KeyedHashInto(out.data(), key, context, message);
  return out;
}

KeyPair GenerateKeyPair() {
  KeyPair pair{std::string(crypto_box_PUBLICKEYBYTES, '\0'),
               SecretBytes(crypto_box_SECRETKEYBYTES)};
  crypto_box_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                     pair.secret_key.data());
  return pair;
}

Result<KeyPair> KeyPairFromSecret(SecretBytes secret_key) {
  if (secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return Fail(ErrorCode::kInvalidInput, "error.invalid", "secret key length");
  }
  std::string public_key(crypto_box_PUBLICKEYBYTES, '\0');
  if (crypto_scalarmult_base(reinterpret_cast<unsigned char*>(public_key.data()),
                             secret_key.data()) != 0) {
    return CryptoFail("scalarmult_base");
  }
  return KeyPair{std::move(public_key), std::move(secret_key)};
}

std::string SealTo(std::string_view public_key, std::string_view plaintext) {
  if (public_key.size() != crypto_box_PUBLICKEYBYTES) Die("SealTo public key length");
  std::string sealed(plaintext.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()), Bytes(plaintext),
                      plaintext.size(), Bytes(public_key)) != 0) {
    Die("crypto_box_seal");
  }
  return Base64Encode(sealed);
}

Result<SecretBytes> OpenSealed(const KeyPair& key_pair, std::string_view sealed_b64) {
  if (key_pair.public_key.size() != crypto_box_PUBLICKEYBYTES ||
      key_pair.secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return CryptoFail("sealed box key length");
  }
  Result<std::string> sealed = Base64Decode(sealed_b64);
  if (!sealed) return CryptoFail("sealed box base64");
  if (sealed->size() < crypto_box_SEALBYTES) return CryptoFail("sealed box too short");
  SecretBytes plain(sealed->size() - crypto_box_SEALBYTES);
  unsigned char scratch[1];
  if (crypto_box_seal_open(OutPtr(plain, scratch), Bytes(*sealed), sealed->size(),
                           Bytes(key_pair.public_key), key_pair.secret_key.data()) != 0) {
    return CryptoFail("sealed box open");
  }
  return plain;
}

std::string Wrap(const SecretBytes& key, std::string_view plaintext) {
  if (key.size() != crypto_secretbox_KEYBYTES) Die("Wrap key length");
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, Bytes(plaintext), plaintext.size(),
                        nonce, key.data());
  return Base64Encode(out);
}

Result<SecretBytes> Unwrap(const SecretBytes& key, std::string_view wrapped_b64) {
  if (key.size() != crypto_secretbox_KEYBYTES) return CryptoFail("unwrap key length");
  Result<std::string> wrapped = Base64Decode(wrapped_b64);
  if (!wrapped) return CryptoFail("wrap base64");
  if (wrapped->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return CryptoFail("wrap too short");
  }
  const unsigned char* nonce = Bytes(*wrapped);
  const unsigned char* box = nonce + crypto_secretbox_NONCEBYTES;
  size_t box_len = wrapped->size() - crypto_secretbox_NONCEBYTES;
  SecretBytes plain(box_len - crypto_secretbox_MACBYTES);
  unsigned char scratch[1];
  if (crypto_secretbox_open_easy(OutPtr(plain, scratch), box, box_len, nonce, key.data()) != 0) {
    return CryptoFail("unwrap");
  }
  return plain;
}

PwhashParams PwhashParams::Minimum() {
  return PwhashParams{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<SecretBytes> Argon2id(std::string_view secret, std::string_view salt,
                             const PwhashParams& params) {
  if (params.ops_limit < crypto_pwhash_OPSLIMIT_MIN ||
      params.ops_limit > crypto_pwhash_OPSLIMIT_MAX ||
      params.mem_limit < crypto_pwhash_MEMLIMIT_MIN ||
      params.mem_limit > crypto_pwhash_MEMLIMIT_MAX || secret.size() > crypto_pwhash_PASSWD_MAX) {
    return Fail(ErrorCode::kInternal, "error.internal", "argon2id parameters out of range");
  }
  unsigned char salt16[crypto_pwhash_SALTBYTES];
  if (salt.size() == sizeof salt16) {
    std::copy(salt.begin(), salt.end(), salt16);
  } else {
    crypto_generichash(salt16, sizeof salt16, Bytes(salt), salt.size(), nullptr, 0);
  }
  SecretBytes out(kKeyBytes);
  if (crypto_pwhash(out.data(), out.size(), secret.data(), secret.size(), salt16, params.ops_limit,
                    params.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::kInternal, "error.internal", "argon2id out of memory");
  }
  return out;
}

std::string NewSalt() { return RandomBytes(crypto_pwhash_SALTBYTES); }

namespace {

// The Argon2id output of a peppered kdf mixed with the pepper (one BLAKE2b, keyed by the
// pepper); an unpeppered kdf's output as it is.
Result<SecretBytes> Peppered(Result<SecretBytes> master, const KdfParams& kdf,
                             const SecretBytes& pepper, std::string_view context) {
  if (!master || !kdf.peppered) return master;
  if (pepper.size() != kPepperBytes) {
    return Fail(ErrorCode::kInternal, "error.internal", "no pepper loaded");
  }
  SecretBytes mixed(kKeyBytes);
  KeyedHashInto(mixed.data(), pepper.view(), context, master->view());
  return mixed;  // master wipes itself here
}

PasswordKeys PasswordKeysFrom(const SecretBytes& master) {
  return PasswordKeys{KeyedHash(master.view(), "vd.pw.verifier", ""),
                      KeyedHashSecret(master, "vd.pw.wrap")};
}

ReceiptKeys ReceiptKeysFrom(const SecretBytes& master) {
  return ReceiptKeys{Base64Encode(KeyedHash(master.view(), "vd.receipt.lookup", "")),
                     KeyedHashSecret(master, "vd.receipt.wrap")};
}

// Strict unsigned decimal, no sign, no leading zero (one spelling per value).
std::optional<uint64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

std::string KdfText(const KdfParams& kdf) {
  return "argon2id13:t=" + std::to_string(kdf.pwhash.ops_limit) +
         ",m=" + std::to_string(kdf.pwhash.mem_limit / 1024) + (kdf.peppered ? ":p1" : ":p0");
}

Result<KdfParams> ParseKdf(std::string_view text) {
  auto invalid = [] { return Fail(ErrorCode::kInvalidInput, "error.internal", "kdf text"); };
  constexpr std::string_view kPrefix = "argon2id13:t=";
  if (text.size() > 64 || !text.starts_with(kPrefix)) return invalid();
  text.remove_prefix(kPrefix.size());
  const size_t comma = text.find(",m=");
  const size_t colon = text.rfind(':');
  if (comma == std::string_view::npos || colon == std::string_view::npos || colon < comma) {
    return invalid();
  }
  std::optional<uint64_t> t = ParseDecimal(text.substr(0, comma));
  std::optional<uint64_t> m = ParseDecimal(text.substr(comma + 3, colon - comma - 3));
  const std::string_view pepper = text.substr(colon + 1);
  if (!t || !m || (pepper != "p1" && pepper != "p0")) return invalid();
  if (*t < crypto_pwhash_OPSLIMIT_MIN || *t > crypto_pwhash_OPSLIMIT_MAX ||
      *m > crypto_pwhash_MEMLIMIT_MAX / 1024 || *m * 1024 < crypto_pwhash_MEMLIMIT_MIN) {
    return invalid();
  }
  return KdfParams{PwhashParams{*t, static_cast<size_t>(*m * 1024)}, pepper == "p1"};
}

Result<PasswordKeys> DerivePasswordKeys(std::string_view password, std::string_view salt,
                                        const PwhashParams& params) {
  Result<SecretBytes> master = Argon2id(password, salt, params);
  if (!master) return std::unexpected(std::move(master.error()));
  return PasswordKeysFrom(*master);  // master wipes itself here
}

Result<PasswordKeys> DerivePasswordKeys(std::string_view password, std::string_view salt,
                                        const KdfParams& kdf, const SecretBytes& pepper) {
  Result<SecretBytes> master =
      Peppered(Argon2id(password, salt, kdf.pwhash), kdf, pepper, "vd.pw.pepper");
  if (!master) return std::unexpected(std::move(master.error()));
  return PasswordKeysFrom(*master);
}

namespace {

// 20 random bytes as 32 Crockford base32 characters in groups of 4 (recovery keys and
// enrolment codes look alike: one way to write them down and type them).
std::string GroupedCrockford(const SecretBytes& raw) {
  std::string chars = EncodeCrockford(raw.data(), raw.size());
  std::string display;
  display.reserve(kRecoveryKeyChars + kRecoveryKeyChars / 4);
  for (size_t i = 0; i < chars.size(); ++i) {
    if (i > 0 && i % 4 == 0) display.push_back('-');
    display.push_back(chars[i]);
  }
  sodium_memzero(chars.data(), chars.size());
  return display;
}

// The 20 bytes of what a person typed; nullopt unless exactly 32 valid characters remain.
std::optional<SecretBytes> ParseGroupedCrockford(std::string_view display) {
  if (display.size() > kMaxRecoveryInput) return std::nullopt;
  SecretBytes raw(kRecoveryKeyBytes);
  size_t chars = 0;
  size_t out = 0;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : display) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    int value = CrockfordValue(c);
    if (value < 0 || ++chars > kRecoveryKeyChars) {
      sodium_memzero(&buffer, sizeof buffer);
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      raw.data()[out++] = static_cast<unsigned char>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  sodium_memzero(&buffer, sizeof buffer);
  // 32 characters carry exactly 160 bits, so nothing may be left over.
  if (chars != kRecoveryKeyChars || out != kRecoveryKeyBytes || bits != 0) return std::nullopt;
  return raw;
}

}  // namespace

RecoveryKey NewRecoveryKey() {
  SecretBytes raw(kRecoveryKeyBytes);
  randombytes_buf(raw.data(), raw.size());
  return RecoveryKey{GroupedCrockford(raw), KeyedHashSecret(raw, "vd.recovery.wrap")};
}

Result<SecretBytes> RecoveryWrapKey(std::string_view display) {
  std::optional<SecretBytes> raw = ParseGroupedCrockford(display);
  if (!raw) return Fail(ErrorCode::kInvalidInput, "error.recovery_key_format", "recovery key format");
  return KeyedHashSecret(*raw, "vd.recovery.wrap");
}

EnrolmentCode NewEnrolmentCode() {
  SecretBytes raw(kRecoveryKeyBytes);
  randombytes_buf(raw.data(), raw.size());
  return EnrolmentCode{GroupedCrockford(raw), KeyedHash(raw.view(), "vd.enrol", "")};
}

Result<std::string> EnrolmentCodeHash(std::string_view display) {
  std::optional<SecretBytes> raw = ParseGroupedCrockford(display);
  if (!raw) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.enrolment_invalid", "enrolment code format");
  }
  return KeyedHash(raw->view(), "vd.enrol", "");
}

std::string NewReceipt() {
  std::string receipt(kReceiptDigits, '0');
  for (char& c : receipt) c = static_cast<char>('0' + randombytes_uniform(10));
  return receipt;
}

Result<std::string> ParseReceipt(std::string_view typed) {
  auto invalid = [] {
    return Fail(ErrorCode::kInvalidInput, "error.receipt_format", "receipt format");
  };
  if (typed.size() > kMaxReceiptInput) return invalid();
  std::string digits;
  digits.reserve(kReceiptDigits);
  for (char c : typed) {
    if (c >= '0' && c <= '9') {
      if (digits.size() == kReceiptDigits) return invalid();
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.') {
      return invalid();
    }
  }
  if (digits.size() != kReceiptDigits) return invalid();
  return digits;
}

std::string GroupReceipt(std::string_view receipt) {
  std::string out;
  out.reserve(receipt.size() + receipt.size() / 4);
  for (size_t i = 0; i < receipt.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(receipt[i]);
  }
  return out;
}

Result<ReceiptKeys> DeriveReceiptKeys(std::string_view receipt, std::string_view site_salt,
                                      const PwhashParams& params) {
  return DeriveReceiptKeys(receipt, site_salt, KdfParams{params, false}, SecretBytes());
}

Result<ReceiptKeys> DeriveReceiptKeys(std::string_view receipt, std::string_view site_salt,
                                      const KdfParams& kdf, const SecretBytes& pepper) {
  Result<std::string> digits = ParseReceipt(receipt);
  if (!digits) return std::unexpected(std::move(digits.error()));
  Result<SecretBytes> master =
      Peppered(Argon2id(*digits, site_salt, kdf.pwhash), kdf, pepper, "vd.receipt.pepper");
  sodium_memzero(digits->data(), digits->size());
  if (!master) return std::unexpected(std::move(master.error()));
  return ReceiptKeysFrom(*master);  // master wipes itself here
}

}  // namespace vd

#pragma once
// libsodium wrappers: secrets, key pairs, sealing, Argon2id, wrapping, receipts.
// All functions are thread-safe once InitCrypto() has returned. Secrets live in
// SecretBytes, which is move-only and wipes itself. Binary values cross module
// boundaries as base64 (URL-safe, no padding) strings so every store can keep them as TEXT.
// Nothing here logs; errors carry no secret material.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vd {

// Must be called once before anything else here; fails only if libsodium cannot start.
Status InitCrypto();

// A move-only byte buffer for key material. It lives in sodium_malloc() memory: its own
// pages, between guard pages (an overrun faults instead of reading a neighbour), locked
// against swap when RLIMIT_MEMLOCK allows (libsodium goes on unlocked when it does not) and
// left out of core dumps; sodium_free() wipes it. Should sodium_malloc fail (address space
// or mappings exhausted), the ordinary heap stands in and the bytes are still wiped with
// sodium_memzero. A move hands over the buffer, never copies it; a moved-from SecretBytes is
// empty. Each non-empty one costs a few pages of address space and a handful of system
// calls: fine for keys, not for bulk data. New buffers are zero-filled.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size);
  SecretBytes(const unsigned char* data, size_t size);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  // A deliberate copy, for the rare place that needs one.
  SecretBytes Clone() const { return SecretBytes(data(), size()); }
  // Whether the bytes are in sodium_malloc memory (false when empty, or when the heap stood in).
  bool guarded() const { return guarded_; }

 private:
  void Release() noexcept;
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
  bool guarded_ = false;
};

// Overwrites a std::string that held a secret briefly (sodium_memzero; the size stays). For
// the places a library or a page needs one; prefer SecretBytes.
void Wipe(std::string& s);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);
std::string HexEncode(std::string_view bytes);

// Cryptographically random bytes, and a random URL-safe token of `bytes` random bytes.
std::string RandomBytes(size_t n);
void FillRandom(SecretBytes& out);  // every byte of `out` from the CSPRNG
std::string RandomToken(size_t bytes = 32);
// Uniform in [0, upper) (libsodium randombytes_uniform).
uint32_t RandomBelow(uint32_t upper);

// Constant-time comparison of secrets: true only for equal, non-empty strings (false if the
// lengths differ). Every caller compares a secret with what was sent; an unset secret must
// never match an unsent one.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Keyed BLAKE2b-256 (crypto_generichash) of `message` under `key` (16..64 bytes),
// domain-separated by `context` so one key can derive many independent values:
// subkey = BLAKE2b-256(key, context), result = BLAKE2b-256(subkey, message). Returns 32 raw
// bytes. A key of another length is a programming error and aborts.
std::string KeyedHash(std::string_view key, std::string_view context, std::string_view message);
// The same, for a result that is itself a key: written straight into guarded memory.
SecretBytes KeyedHashKey(std::string_view key, std::string_view context, std::string_view message);

// X25519 key pair for sealed boxes. public_key is raw 32 bytes.
struct KeyPair {
  std::string public_key;
  SecretBytes secret_key;
};
KeyPair GenerateKeyPair();
// Recreates the key pair whose secret key is `secret_key` (32 bytes).
Result<KeyPair> KeyPairFromSecret(SecretBytes secret_key);

// Anonymous sealed box (crypto_box_seal) to `public_key` (32 raw bytes; any other length
// is a programming error and aborts). Returns base64 ciphertext.
std::string SealTo(std::string_view public_key, std::string_view plaintext);
// Opens a SealTo() ciphertext. kCrypto on tampering, bad base64 or the wrong key.
Result<SecretBytes> OpenSealed(const KeyPair& key_pair, std::string_view sealed_b64);

// Symmetric authenticated wrap (crypto_secretbox, random nonce prepended) under a 32-byte key
// (Wrap aborts on another key length: a programming error). Returns base64. Unwrap fails
// with kCrypto on tampering, bad base64 or a wrong key.
std::string Wrap(const SecretBytes& key, std::string_view plaintext);
Result<SecretBytes> Unwrap(const SecretBytes& key, std::string_view wrapped_b64);

// Argon2id cost. Production defaults follow libsodium's "moderate" level; tests use Minimum().
struct PwhashParams {
  uint64_t ops_limit = 3;
  size_t mem_limit = 256u * 1024 * 1024;
  static PwhashParams Minimum();  // crypto_pwhash_OPSLIMIT_MIN / MEMLIMIT_MIN
  bool operator==(const PwhashParams&) const = default;
};

// How a stored hash was made (issue 14): Argon2id's cost, and whether the pepper (a key kept
// in a file outside the database) was mixed into its output. Kept as text beside each hash,
// so that a change of the [crypto] settings leaves every older receipt and password working.
struct KdfParams {
  PwhashParams pwhash;
  bool peppered = true;
  bool operator==(const KdfParams&) const = default;
};
// "argon2id13:t=3,m=262144:p1": passes, memory in KiB, p1 peppered (p0: from before the
// pepper). Memory is written in whole KiB; a mem_limit that is not is rounded down.
std::string KdfText(const KdfParams& params);
// The inverse of KdfText; kInvalidInput for any other text or a cost outside libsodium's range.
Result<KdfParams> ParseKdf(std::string_view text);

// The pepper is 32 random bytes; a shorter or longer one is refused where it is loaded.
inline constexpr size_t kPepperBytes = 32;

// Argon2id (crypto_pwhash_ALG_ARGON2ID13) of `secret` with a 16-byte `salt`: 32 bytes out.
// A salt of any other length is first hashed down to 16 bytes (BLAKE2b-128).
// kInternal (out of memory, or limits outside libsodium's range) is the only failure.
Result<SecretBytes> Argon2id(std::string_view secret, std::string_view salt,
                             const PwhashParams& params);
std::string NewSalt();  // 16 random bytes

// A staff password turned into what is stored and what stays in memory. One Argon2id run
// yields a master key; from it come a verifier (stored, compared in constant time) and a
// wrap key (never stored) that wraps the staff member's secret key and TOTP secret.
struct PasswordKeys {
  std::string verifier;  // raw 32 bytes
  SecretBytes wrap_key;  // 32 bytes
};
// Unpeppered: the keys of a password stored before the pepper existed.
Result<PasswordKeys> DerivePasswordKeys(std::string_view password, std::string_view salt,
                                        const PwhashParams& params);
// With `kdf` as stored: if it is peppered, the Argon2id output is first mixed with the pepper,
// KeyedHash(pepper, "vd.pw.pepper", output), so that verifier and wrap key both depend on a
// key the database does not hold. kInternal if a peppered kdf meets a pepper that is not 32
// bytes (a start-up bug: the server refuses to start without one).
Result<PasswordKeys> DerivePasswordKeys(std::string_view password, std::string_view salt,
                                        const KdfParams& kdf, const SecretBytes& pepper);

// A one-time recovery key shown to the staff member once: 20 random bytes (160 bits),
// displayed as 32 Crockford base32 characters in 8 groups of 4 ("7KQ2-..."); its own wrap of
// the staff secret key. The wrap key is KeyedHash(bytes, "vd.recovery.wrap", ""); no
// Argon2id, the key's entropy makes guessing hopeless anyway.
struct RecoveryKey {
  std::string display;   // what the person writes down
  SecretBytes wrap_key;  // 32 bytes derived from it
};
RecoveryKey NewRecoveryKey();
// Accepts what a person types: any case, '-' and spaces anywhere, O for 0, I and L for 1.
// kInvalidInput ("error.recovery_key_format") unless exactly 32 valid characters remain.
Result<SecretBytes> RecoveryWrapKey(std::string_view display);

// A one-time enrolment code (issue 14): how a new staff member sets her own password. 20
// random bytes written as a recovery key is; only `hash` (raw 32 bytes, KeyedHash(bytes,
// "vd.enrol", "")) is stored, and the code's entropy makes guessing it hopeless.
struct EnrolmentCode {
  std::string display;  // shown once, to whoever hands it over in person
  std::string hash;
};
EnrolmentCode NewEnrolmentCode();
// The stored hash of what a person typed (same leniency as RecoveryWrapKey); kInvalidInput
// ("staff_error.enrolment_invalid") unless it has the form of a code.
Result<std::string> EnrolmentCodeHash(std::string_view display);

// Receipts: 16 decimal digits from the CSPRNG (about 53 bits).
std::string NewReceipt();
// Accepts what a person types: ASCII digits with any spaces, dashes or dots between them.
// kInvalidInput ("error.receipt_format") for any other character, input over 64 bytes, or
// unless exactly 16 digits remain. Returns the 16 digits.
Result<std::string> ParseReceipt(std::string_view typed);
// "1234 5678 9012 3456" (a space after every 4 characters).
std::string GroupReceipt(std::string_view receipt);

// One Argon2id run over the receipt with the site salt, split into a lookup value
// (stored, unique index) and a wrap key (never stored) for the conversation's secret key.
// The receipt goes through ParseReceipt first, so "1234 5678 ..." and "12345678..." give the
// same keys; kInvalidInput if it is not a receipt.
struct ReceiptKeys {
  std::string lookup;    // base64 of 32 bytes
  SecretBytes wrap_key;  // 32 bytes
};
// Unpeppered: the keys of a receipt handed out before the pepper existed.
Result<ReceiptKeys> DeriveReceiptKeys(std::string_view receipt, std::string_view site_salt,
                                      const PwhashParams& params);
// With `kdf` as stored, peppered as DerivePasswordKeys is (context "vd.receipt.pepper"): a
// stolen database without the pepper file allows no offline guessing of receipts at all.
Result<ReceiptKeys> DeriveReceiptKeys(std::string_view receipt, std::string_view site_salt,
                                      const KdfParams& kdf, const SecretBytes& pepper);

}  // namespace vd

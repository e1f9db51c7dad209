#pragma once
// TOTP (RFC 6238, SHA-1, 6 digits, 30-second steps) through liboath, for staff 2FA.
// Thread-safe after InitTotp(). Secrets are raw bytes in SecretBytes; codes are strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/crypto.h"

namespace vd {

Status InitTotp();  // oath_init(); call once at start-up

SecretBytes NewTotpSecret();  // 20 random bytes
// RFC 4648 base32 without padding, as authenticator apps expect (the caller Wipe()s it). FromBase32 accepts lower
// case, spaces and padding; kInvalidInput otherwise or unless it decodes to 10..64 bytes.
std::string TotpSecretBase32(const SecretBytes& secret);
Result<SecretBytes> TotpSecretFromBase32(std::string_view base32);

// The code valid at `unix_time` (6 digits; empty only for an empty secret, never a match).
std::string TotpCode(const SecretBytes& secret, int64_t unix_time);

// Checks `code` (6 digits, spaces allowed) against steps now-1, now, now+1.
// Returns the matched time step (unix_time / 30 for the matching window), or nullopt.
// Comparison is constant-time; replay protection (step > last used step) is the caller's.
std::optional<int64_t> VerifyTotp(const SecretBytes& secret, std::string_view code,
                                  int64_t unix_time);

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER (percent-encoded). It holds the
// secret: the caller Wipe()s it once the QR code is made.
std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       const SecretBytes& secret);

}  // namespace vd

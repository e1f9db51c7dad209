#pragma once
// QR codes as inline SVG, for TOTP enrolment pages. Pure function, thread-safe (libqrencode
// is built with pthread support). The SVG has no script, no style attribute and no external
// reference, so it renders under CSP default-src 'none'. It is safe to embed unescaped.

#include <string>
#include <string_view>

namespace vd {

// Encodes `text` (any bytes, 8-bit mode, error correction level M) as an <svg> element with
// a 4-module quiet zone: a white <rect> and one black <path>, shape-rendering="crispEdges",
// role="img". `label`, if given, becomes the aria-label (escaped here); pass a translated
// text such as "QR code for your authenticator app" so that screen readers name the image.
// Returns an empty string if `text` is empty or too long for a QR code (about 2,300 bytes
// at level M); an otpauth URI is far below that.
std::string QrSvg(std::string_view text, std::string_view label = {});

}  // namespace vd

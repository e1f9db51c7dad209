#pragma once
// How a client address is counted, by the HTTP server's per-address caps and by the
// throttles alike. Held in memory only, never logged or stored.

#include <string>
#include <string_view>

namespace vd {

// The bucket key for a client address. An IPv4 address (or IPv4-mapped IPv6) stands for
// itself. An IPv6 client usually holds a whole /64 and can send from any address in it, so
// its key is the /64 prefix; unique-local addresses (fc00::/7) never arrive from the
// internet, only from our own proxies (Tor gives each circuit one, see the onion service
// in docs/operations.md), and stand for themselves. Anything else is its own key.
std::string ThrottleKey(std::string_view address);

}  // namespace vd

#pragma once
// One request/response exchange on the wire, shared by a connection (http.cc) and
// ServeBytes (the fuzzers' and tests' way in): parser limits, our checks on a parsed header
// on top of Beast's, calling the handlers so that nothing they throw reaches the client,
// refusal pages, and the response's bytes. Internal to src/web; stateless, thread-safe.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "web/http.h"

namespace vd::wire {

namespace beast = boost::beast;
namespace http = beast::http;

using RequestParser = http::request_parser<http::string_body>;

// Reads hand out at most this many bytes at a time.
inline constexpr size_t kReadChunk = 4096;
inline constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// What a parsed header is refused with, if anything.
struct Refusal {
  unsigned status;
  ErrorCode code;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view TrimOws(std::string_view s);
std::string NewRequestId();
// Errors that mean the bytes on the wire were not HTTP, as opposed to the peer going away.
bool IsParseError(const beast::error_code& ec);
void ResetRequestParser(std::optional<RequestParser>& parser, const HttpOptions& options);

// The raw header bytes, checked before Beast sees them, because Beast quietly accepts what
// a proxy in front may read differently (request smuggling, RFC 9112 5.2, 2.2): obsolete
// line folding, a bare LF or CR, whitespace before a field's colon, a line without one.
enum class HeaderScan { kIncomplete, kComplete, kMalformed, kTooLarge };
// Scans what is buffered so far. kComplete sets `length` to the header's size, blank line
// included; kTooLarge once `limit` bytes hold no complete header.
HeaderScan ScanHeader(std::string_view buffered, size_t limit, size_t& length);
// Feeds exactly the header (as ScanHeader measured it) to the parser; Beast's verdict.
beast::error_code ParseHeader(RequestParser& parser, std::string_view header);
// Method, target and headers of the parsed header, for the handler or a refusal page.
void CopyHeader(const RequestParser& parser, Request& request);
// After a complete header: copies it into `request` and applies our own checks on top of
// Beast's. Returns the refusal, if the request must not reach the handler.
std::optional<Refusal> AcceptHeader(const RequestParser& parser, const HttpOptions& options,
                                    Request& request, std::string& log_path);
bool WantsContinue(const RequestParser& parser);
// The handler's answer, or nullopt when it threw or produced something unsendable.
std::optional<Response> CallHandler(const Handler& handler, const Request& request);
// The memory handler's answer, if it gave a sendable one; otherwise nullopt.
std::optional<Response> CallMemoryHandler(const MemoryHandler& handler, const Request& request);
// The application's page for a refusal, with the status we decide (a plain fallback if the
// renderer throws or returns unsafe headers).
Response RenderRefusal(const RefusalRenderer& refusal, const Request& request, unsigned status,
                       ErrorCode code);
// The wire form of `response`; a handler's "Connection: close" sets `close`.
std::string SerializeResponse(Response response, unsigned version, bool head, bool& close);

}  // namespace vd::wire

#include "web/http_exchange.h"

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstdio>
#include <iterator>
#include <limits>
#include <random>

namespace vd::wire {
namespace {

namespace asio = boost::asio;

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Byte classes for response headers, as a table: every response's headers pass through
// IsSafeHeader, and a per-byte search was a visible share of the landing page's cost.
struct HeaderBytes {
  std::array<bool, 256> token{};  // RFC 9110 token characters: what a header name may hold
  std::array<bool, 256> value{};  // what a field value may hold: no controls but tab
  constexpr HeaderBytes() {
    for (int c = '0'; c <= '9'; ++c) token[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) token[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) token[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) token[static_cast<unsigned char>(c)] = true;
    for (int c = 0x20; c < 256; ++c) value[c] = c != 0x7f;
    value['\t'] = true;
  }
};
constexpr HeaderBytes kHeaderBytes;

// Response headers come from application code; a CR or LF in them would let a value that
// echoes input split the response. Such a response is a bug and becomes a 500.
bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!kHeaderBytes.token[static_cast<unsigned char>(c)]) return false;
  }
  for (char c : value) {
    if (!kHeaderBytes.value[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool IsValidResponse(const Response& response) {
  // 1xx would need protocol support we do not have; above 599 is not HTTP.
  if (response.status < 200 || response.status > 599) return false;
  return std::all_of(response.headers.begin(), response.headers.end(),
                     [](const auto& h) { return IsSafeHeader(h.first, h.second); });
}

std::string NewRequestId() {
  // Request ids only correlate a log line with an error page; they need to be unique,
  // not secret.
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(rng()));
  return std::string(out, 16);
}

// Errors that mean the bytes on the wire were not HTTP, as opposed to the peer going away.
bool IsParseError(const beast::error_code& ec) {
  static const boost::system::error_category& kHttpCategory =
      http::make_error_code(http::error::bad_method).category();
  return ec.category() == kHttpCategory && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

void ResetRequestParser(std::optional<RequestParser>& parser, const HttpOptions& options) {
  parser.emplace();
  parser->header_limit(static_cast<uint32_t>(
      std::min<size_t>(options.header_limit, std::numeric_limits<uint32_t>::max())));
  parser->body_limit(static_cast<uint64_t>(options.body_limit));
}

HeaderScan ScanHeader(std::string_view buffered, size_t limit, size_t& length) {
  size_t line_start = 0;
  bool request_line = true;
  for (size_t i = 0; i < buffered.size(); ++i) {
    if (i >= limit) return HeaderScan::kTooLarge;
    const auto c = static_cast<unsigned char>(buffered[i]);
    if (c == '\r') {
      // Only as the first half of CRLF (a CR at the end waits for the next byte).
      if (i + 1 < buffered.size() && buffered[i + 1] != '\n') return HeaderScan::kMalformed;
      continue;
    }
    // No control character but tab belongs in a header (RFC 9110 5.5): refuse as soon as one
    // arrives, not when a header that never ends times out.
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) return HeaderScan::kMalformed;
    if (c != '\n') continue;
    if (i == line_start || buffered[i - 1] != '\r') return HeaderScan::kMalformed;  // bare LF
    const std::string_view line = buffered.substr(line_start, i - 1 - line_start);
    if (line.empty()) {
      if (request_line) return HeaderScan::kMalformed;  // no request line
      length = i + 1;
      return HeaderScan::kComplete;
    }
    if (!request_line) {
      if (line.front() == ' ' || line.front() == '\t') return HeaderScan::kMalformed;  // obs-fold
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return HeaderScan::kMalformed;
      if (line[colon - 1] == ' ' || line[colon - 1] == '\t') return HeaderScan::kMalformed;
    }
    request_line = false;
    line_start = i + 1;
  }
  return buffered.size() >= limit ? HeaderScan::kTooLarge : HeaderScan::kIncomplete;
}

beast::error_code ParseHeader(RequestParser& parser, std::string_view header) {
  beast::error_code ec;
  parser.put(asio::buffer(header.data(), header.size()), ec);
  if (!ec && !parser.is_header_done()) ec = http::error::bad_field;  // cannot happen: whole header
  return ec;
}

// Exactly one Host (RFC 9112 3.2: an HTTP/1.1 request without one, or any request with two,
// gets 400). HTTP/1.0 may leave it out.
bool HasOneHost(const RequestParser& parser) {
  const auto& message = parser.get();
  const size_t hosts = message.count(http::field::host);
  return hosts == 1 || (hosts == 0 && message.version() < 11);
}

// Method, target and headers of the parsed header, for the handler or a refusal page.
void CopyHeader(const RequestParser& parser, Request& request) {
  const auto& message = parser.get();
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.headers.clear();
  for (const auto& field : message.base()) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), AsciiLower);
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
}

// Beast treats a Transfer-Encoding without a final "chunked" as "no body", which in a
// request is how smuggling starts (RFC 9112 6.3 says 400). We accept exactly "chunked".
bool HasAcceptableTransferEncoding(const RequestParser& parser) {
  const auto& message = parser.get();
  size_t count = 0;
  for (const auto& field : message.base()) {
    if (field.name() != http::field::transfer_encoding) continue;
    if (++count > 1 || !EqualsIgnoreCase(TrimOws(field.value()), "chunked")) return false;
  }
  return count == 0 || parser.chunked();
}

bool ParseTarget(Request& request, std::string& log_path) {
  boost::urls::result<boost::urls::url_view> parsed =
      boost::urls::parse_origin_form(request.target);
  if (!parsed) return false;
  const boost::urls::url_view& url = *parsed;
  std::string path = url.path();
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\0') != std::string::npos) return false;
  request.path = std::move(path);
  request.query.clear();
  if (url.has_query()) {
    for (const auto& param : url.params(boost::urls::encoding_opts(/*space_as_plus=*/true))) {
      if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2"
      request.query.emplace_back(param.key, param.has_value ? param.value : std::string());
    }
  }
  log_path = std::string(url.encoded_path());
  return true;
}

// After a complete header: copies it into `request` and applies our own checks on top of
// Beast's. Returns the refusal, if the request must not reach the handler.
std::optional<Refusal> AcceptHeader(const RequestParser& parser, const HttpOptions& options,
                                    Request& request, std::string& log_path) {
  CopyHeader(parser, request);
  const auto& message = parser.get();
  size_t field_count =
      static_cast<size_t>(std::distance(message.base().begin(), message.base().end()));
  if (field_count > options.max_header_count) return Refusal{431, ErrorCode::kTooLarge};
  if (!HasAcceptableTransferEncoding(parser)) return Refusal{400, ErrorCode::kInvalidInput};
  if (!HasOneHost(parser)) return Refusal{400, ErrorCode::kInvalidInput};
  if (!ParseTarget(request, log_path)) return Refusal{400, ErrorCode::kInvalidInput};
  return std::nullopt;
}

bool WantsContinue(const RequestParser& parser) {
  const auto& message = parser.get();
  auto expect = message.find(http::field::expect);
  return expect != message.end() && message.version() >= 11 &&
         EqualsIgnoreCase(TrimOws(expect->value()), "100-continue");
}

// What `handler` answered (a Response, or an optional one), or nullopt when it threw or
// produced something unsendable. The exception's text must never reach the client.
template <class Fn>
std::optional<Response> CallSafely(const Fn& handler, const Request& request) {
  std::optional<Response> response;
  try {
    response = handler(request);
  } catch (...) {
    response.reset();
  }
  if (response && !IsValidResponse(*response)) response.reset();
  return response;
}

std::optional<Response> CallHandler(const Handler& handler, const Request& request) {
  return CallSafely(handler, request);
}

// The memory handler's answer, if it gave a sendable one; otherwise the worker's handler
// gets the request and deals with it.
std::optional<Response> CallMemoryHandler(const MemoryHandler& handler, const Request& request) {
  if (!handler) return std::nullopt;
  return CallSafely(handler, request);
}

// The application's page for a refusal, with the status we decide. A renderer that throws
// or returns unsafe headers gets a plain fallback instead.
Response RenderRefusal(const RefusalRenderer& refusal, const Request& request, unsigned status,
                       ErrorCode code) {
  Response response;
  bool rendered = false;
  if (refusal) {
    try {
      response = refusal(request, code);
      rendered = true;
    } catch (...) {
    }
  }
  if (!rendered || !std::all_of(response.headers.begin(), response.headers.end(),
                                [](const auto& h) { return IsSafeHeader(h.first, h.second); })) {
    response = Response{};
    response.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                        {"Cache-Control", "no-store"}};
    response.body = "Error " + std::to_string(status) + "\n";
  }
  response.status = status;
  return response;
}

// The wire form of `response`: status line, headers and body in one buffer, so that one
// write (one sendmsg, no scatter list of header fields) carries it. Framing headers are ours;
// a handler's "Connection: close" sets `close`. Byte for byte what Beast's serializer wrote
// for the same message: fields in order, then Content-Length, then Connection.
std::string SerializeResponse(Response response, unsigned version, bool head, bool& close) {
  const bool bodiless_status = response.status == 204 || response.status == 304;
  const std::string_view reason = http::obsolete_reason(http::int_to_status(response.status));
  size_t size = 64 + reason.size() + (head || bodiless_status ? 0 : response.body.size());
  for (const auto& [name, value] : response.headers) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += reason;
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;  // framing is ours
    }
    if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(TrimOws(value), "close")) close = true;
      continue;
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!bodiless_status) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes it unless told.
  if (version != 10 && close) out += "Connection: close\r\n";
  if (version == 10 && !close) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!bodiless_status && !head) out += response.body;
  return out;
}

}  // namespace vd::wire

namespace vd {

using namespace wire;
namespace asio = boost::asio;

namespace {

// A synchronous stream over a fixed byte string, for ServeBytes: reads hand out at most
// kReadChunk bytes at a time (like a socket read), then end of stream.
class BytesStream {
 public:
  using executor_type = asio::any_io_executor;
  explicit BytesStream(std::string_view bytes) : rest_(bytes) {}
  bool empty() const { return rest_.empty(); }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    if (rest_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    size_t want = std::min(asio::buffer_size(buffers), kReadChunk);
    size_t n = asio::buffer_copy(buffers, asio::buffer(rest_.data(), std::min(want, rest_.size())));
    rest_.remove_prefix(n);
    return n;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view rest_;
};

}  // namespace

std::string ServeBytes(std::string_view bytes, const HttpOptions& options, const Handler& handler,
                       const RefusalRenderer& refusal, std::vector<unsigned>* statuses) {
  // Mirrors Session: ReadHeader -> OnHeader -> ReadBody -> OnBody -> Dispatch -> Write.
  BytesStream stream(bytes);
  beast::flat_buffer buffer;
  std::optional<RequestParser> parser;
  std::string out;
  constexpr int kMaxPipelined = 64;
  for (int n = 0; n < kMaxPipelined; ++n) {
    if (buffer.size() == 0 && stream.empty()) break;  // idle connection closed by the peer
    ResetRequestParser(parser, options);
    Request request;
    request.client_address = "127.0.0.1";
    request.request_id = NewRequestId();
    std::string log_path;
    unsigned version = 11;
    bool head = false;
    bool close = false;
    std::optional<Response> response;
    auto refuse = [&](unsigned status, ErrorCode code) {
      response = RenderRefusal(refusal, request, status, code);
      close = true;
    };
    beast::error_code ec;
    size_t length = 0;
    HeaderScan scan = HeaderScan::kIncomplete;
    for (;;) {
      scan = ScanHeader(std::string_view(static_cast<const char*>(buffer.data().data()),
                                         buffer.size()),
                        options.header_limit, length);
      if (scan != HeaderScan::kIncomplete) break;
      const size_t n = stream.read_some(buffer.prepare(kReadChunk), ec);
      buffer.commit(n);
      if (ec) break;
    }
    if (scan == HeaderScan::kIncomplete) break;  // the peer went away mid-header: no answer
    if (scan == HeaderScan::kComplete) {
      ec = ParseHeader(*parser, std::string_view(static_cast<const char*>(buffer.data().data()),
                                                 length));
      buffer.consume(length);
    }
    if (scan == HeaderScan::kTooLarge || ec == http::error::header_limit) {
      refuse(431, ErrorCode::kTooLarge);
    } else if (ec == http::error::body_limit) {
      CopyHeader(*parser, request);
      refuse(413, ErrorCode::kTooLarge);
    } else if (scan == HeaderScan::kMalformed || ec) {
      refuse(400, ErrorCode::kInvalidInput);
    } else {
      version = parser->get().version();
      head = parser->get().method() == http::verb::head;
      if (auto r = AcceptHeader(*parser, options, request, log_path)) {
        refuse(r->status, r->code);
      } else if (!parser->is_done()) {
        if (WantsContinue(*parser)) out += kContinue;
        http::read(stream, buffer, *parser, ec);
        if (ec == http::error::body_limit) {
          refuse(413, ErrorCode::kTooLarge);
        } else if (ec) {
          if (!IsParseError(ec)) break;
          refuse(400, ErrorCode::kInvalidInput);
        }
      }
      if (!response) {
        auto message = parser->release();
        close = !message.keep_alive();
        request.body = std::move(message.body());
        response = CallMemoryHandler(options.memory_handler, request);
        if (!response) response = CallHandler(handler, request);
        if (!response) response = RenderRefusal(refusal, request, 500, ErrorCode::kInternal);
      }
    }
    if (statuses) statuses->push_back(response->status);
    out += SerializeResponse(std::move(*response), version, head, close);
    if (close) break;
  }
  return out;
}

}  // namespace vd

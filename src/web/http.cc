#include "web/http.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <iterator>
#include <limits>
#include <mutex>
#include <random>
#include <system_error>

#include <sys/socket.h>
#include <thread>
#include <unordered_map>

namespace vd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// After a response that ends the connection the server half-closes and reads (and drops)
// what the client still sends for a little while, so that a client still uploading a body
// we refused reads our answer instead of a TCP reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 256 * 1024;
constexpr size_t kReadChunk = 4096;
// Back-off after accept() fails for reasons such as EMFILE, so the loop does not spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

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

using RequestParser = http::request_parser<http::string_body>;

// What a parsed header is refused with, if anything. Shared by a connection and ServeBytes.
struct Refusal {
  unsigned status;
  ErrorCode code;
};

void ResetRequestParser(std::optional<RequestParser>& parser, const HttpOptions& options) {
  parser.emplace();
  parser->header_limit(static_cast<uint32_t>(
      std::min<size_t>(options.header_limit, std::numeric_limits<uint32_t>::max())));
  parser->body_limit(static_cast<uint64_t>(options.body_limit));
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

// A fixed set of threads draining a bounded FIFO. TrySubmit never blocks: when max_queue
// jobs are waiting it refuses and the caller answers 503. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue) : thread_count_(threads), max_queue_(max_queue) {}
  ~WorkerPool() { Stop(); }

  // Throws std::system_error if a thread cannot be started (caught by HttpServer::Start).
  void Start() {
    for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
  }

  // `job` must not throw.
  bool TrySubmit(std::function<void()> job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= max_queue_) return false;
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }

  // Drops queued jobs, waits for running ones, joins. Idempotent.
  void Stop() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      dropped.swap(queue_);
    }
    cv_.notify_all();
    dropped.clear();  // outside the lock: jobs own sessions whose destructors take locks
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  size_t depth() const {
    std::lock_guard lock(mu_);
    return queue_.size() + running_;
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
      }
      job();
      job = nullptr;
      std::lock_guard lock(mu_);
      --running_;
    }
  }

  const int thread_count_;
  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Whether the client closed (or reset) its connection. Called from a worker while the session
// has no operation pending on the socket, so nothing else touches the descriptor; a peek
// reads nothing away. Data still waiting (a pipelined request) means the client is there;
// nothing waiting gives EAGAIN. A client that shut down only its sending side and still
// waits for the answer looks gone too; browsers do not do that, and nginx treats it alike.
bool PeerHasLeft(int fd) {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// The access-log status for a request whose client left before its handler ran (nginx's).
constexpr unsigned kClientClosedRequest = 499;

class Session;

// Everything HttpServer owns. Sessions hold a reference to it; the member order matters:
// io_context_ is destroyed before the members sessions touch from their destructors.
class Server {
 public:
  Server(HttpOptions options, Handler handler, RefusalRenderer refusal)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        refusal_(std::move(refusal)),
        pool_(std::max(1, options_.worker_threads), options_.max_queue),
        io_context_(std::max(1, options_.io_threads)),
        acceptor_(io_context_),
        accept_timer_(io_context_) {}
  ~Server() { Stop(); }

  Result<uint16_t> Start();
  void Stop();
  void Wait();
  size_t queue_depth() const { return pool_.depth(); }

  const HttpOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  const RefusalRenderer& refusal() const { return refusal_; }
  WorkerPool& pool() { return pool_; }
  void OnSessionGone(uint64_t id);

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void StartSession(tcp::socket socket);
  void CloseEverything();

  const HttpOptions options_;
  const Handler handler_;
  const RefusalRenderer refusal_;
  WorkerPool pool_;

  std::atomic<size_t> connections_{0};
  std::atomic<bool> stopping_{false};

  std::mutex sessions_mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
  uint64_t next_session_id_ = 0;  // touched by the accept loop only

  std::mutex stop_mu_;  // serialises Start and Stop
  std::mutex state_mu_;
  std::condition_variable stopped_cv_;
  bool started_ = false;
  bool stopped_ = false;

  asio::io_context io_context_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;
  std::vector<std::thread> io_threads_;
};

// One connection. Every step runs on the connection's strand (the stream's executor);
// the handler runs on a worker and posts its response back to that strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, uint64_t id, tcp::socket socket, std::string peer)
      : server_(server), id_(id), stream_(std::move(socket)), peer_(std::move(peer)) {}
  ~Session() { server_.OnSessionGone(id_); }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // Only while no I/O thread runs (HttpServer::Stop).
  void CloseNow() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  const HttpOptions& options() const { return server_.options(); }

  // Between keep-alive requests: wait at most keep_alive_seconds for the first byte, then
  // give the whole header header_timeout_seconds.
  void WaitForRequest() {
    if (buffer_.size() > 0) return ReadHeader();  // pipelined request already buffered
    stream_.expires_after(std::chrono::seconds(options().keep_alive_seconds));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Session::OnIdleRead, shared_from_this()));
  }

  void OnIdleRead(beast::error_code ec, size_t bytes) {
    buffer_.commit(bytes);
    if (ec && bytes == 0) return Close();  // idle timeout or peer gone: close silently
    ReadHeader();
  }

  void ReadHeader() {
    ResetRequestParser(parser_, options());
    request_ = Request{};
    request_.client_address = peer_;
    request_.request_id = NewRequestId();
    log_path_.clear();
    head_ = false;
    keep_alive_ = false;
    version_ = 11;
    start_ = Clock::now();
    stream_.expires_after(std::chrono::seconds(options().header_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t /*bytes*/) {
    start_ = Clock::now();
    // tcp_stream has already closed the socket when it reports a timeout, so there is no
    // 408 to send; a slow-loris client just loses its connection.
    if (ec == beast::error::timeout) return Close();
    if (ec == http::error::header_limit) return Refuse(431, ErrorCode::kTooLarge);
    if (ec == http::error::body_limit) {  // declared Content-Length above the limit
      CopyHeader(*parser_, request_);
      return Refuse(413, ErrorCode::kTooLarge);
    }
    if (ec) {
      if (IsParseError(ec)) return Refuse(400, ErrorCode::kInvalidInput);
      return Close();
    }

    const auto& message = parser_->get();
    version_ = message.version();
    head_ = message.method() == http::verb::head;
    if (auto refusal = AcceptHeader(*parser_, options(), request_, log_path_)) {
      return Refuse(refusal->status, refusal->code);
    }

    if (parser_->is_done()) return Dispatch();
    if (WantsContinue(*parser_)) {
      stream_.expires_after(std::chrono::seconds(options().write_timeout_seconds));
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        beast::bind_front_handler(&Session::OnContinue, shared_from_this()));
      return;
    }
    ReadBody();
  }

  void OnContinue(beast::error_code ec, size_t /*bytes*/) {
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(std::chrono::seconds(options().body_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t /*bytes*/) {
    if (ec == beast::error::timeout) return Close();  // socket already closed: no 408
    if (ec == http::error::body_limit) return Refuse(413, ErrorCode::kTooLarge);
    if (ec) {
      if (IsParseError(ec)) return Refuse(400, ErrorCode::kInvalidInput);
      return Close();
    }
    Dispatch();
  }

  void Dispatch() {
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    request_.body = std::move(message.body());
    parser_.reset();

    if (std::optional<Response> response = CallMemoryHandler(options().memory_handler, request_)) {
      return Write(std::move(*response), /*close=*/!keep_alive_);
    }
    auto request = std::make_shared<Request>(std::move(request_));
    auto self = shared_from_this();
    auto executor = stream_.get_executor();
    const int fd = stream_.socket().native_handle();
    bool queued = server_.pool().TrySubmit([self, request, executor, fd] {
      // A visitor who gave up while the request waited (a closed tab after a burst) would
      // still cost a worker, and an Argon2id hash: skip the handler, as nginx does (499).
      if (PeerHasLeft(fd)) {
        asio::post(executor, [self, request]() mutable { self->OnPeerLeft(std::move(*request)); });
        return;
      }
      std::optional<Response> response = CallHandler(self->server_.handler(), *request);
      asio::post(executor, [self, request, response = std::move(response)]() mutable {
        self->OnHandlerDone(std::move(*request), std::move(response));
      });
    });
    if (!queued) {
      request_ = std::move(*request);
      Refuse(503, ErrorCode::kUnavailable);
    }
  }

  void OnPeerLeft(Request request) {
    request_ = std::move(request);
    status_ = kClientClosedRequest;
    LogAccess();
    Close();
  }

  void OnHandlerDone(Request request, std::optional<Response> response) {
    request_ = std::move(request);
    if (!response) {
      return Write(Render(500, ErrorCode::kInternal), /*close=*/!keep_alive_);
    }
    Write(std::move(*response), /*close=*/!keep_alive_);
  }

  Response Render(unsigned status, ErrorCode code) {
    return RenderRefusal(server_.refusal(), request_, status, code);
  }

  // A refusal ends the connection: the rest of the request may still be on the wire.
  void Refuse(unsigned status, ErrorCode code) {
    parser_.reset();
    Write(Render(status, code), /*close=*/true);
  }

  void Write(Response response, bool close) {
    status_ = response.status;
    out_ = SerializeResponse(std::move(response), version_, head_, close);
    stream_.expires_after(std::chrono::seconds(options().write_timeout_seconds));
    asio::async_write(stream_, asio::buffer(out_),
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code ec, size_t /*bytes*/) {
    LogAccess();
    out_.clear();
    if (ec) return Close();
    if (close) return Linger();
    WaitForRequest();
  }

  void LogAccess() {
    const auto& log = options().access_log;
    if (!log) return;
    AccessLogEntry entry;
    entry.method = request_.method;
    entry.path = log_path_;
    entry.status = status_;
    entry.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
    entry.request_id = request_.request_id;
    try {
      log(entry);
    } catch (...) {
    }
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kLingerTime);
    DoLinger();
  }

  void DoLinger() {
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
  }

  void OnLinger(beast::error_code ec, size_t bytes) {
    lingered_ += bytes;
    buffer_.clear();
    if (ec || lingered_ > kLingerBytes) return Close();
    DoLinger();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  Server& server_;
  const uint64_t id_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;  // the response being written
  const std::string peer_;
  Request request_;
  std::string log_path_;
  bool head_ = false;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  unsigned status_ = 0;
  size_t lingered_ = 0;
  Clock::time_point start_;
};

Result<uint16_t> Server::Start() {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(state_mu_);
    if (started_ || stopped_)
      return Fail(ErrorCode::kInternal, "error.internal", "http: started twice");
  }
  if (options_.io_threads < 1 || options_.worker_threads < 1 ||
      options_.header_timeout_seconds < 1 || options_.body_timeout_seconds < 1 ||
      options_.write_timeout_seconds < 1 || options_.keep_alive_seconds < 1 ||
      options_.header_limit > std::numeric_limits<uint32_t>::max()) {
    return Fail(ErrorCode::kInvalidInput, "error.internal", "http: invalid options");
  }
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec)
    return Fail(ErrorCode::kInvalidInput, "error.internal", "http: host is not an IP literal");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor_.local_endpoint(ec);
  if (ec) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    // Name the address: with two servers on one machine, "Address already in use" alone does
    // not say which of the listeners (the service, the metrics) collided.
    return Fail(ErrorCode::kInternal, "error.internal",
                "http: cannot listen on " + endpoint.address().to_string() + ":" +
                    std::to_string(endpoint.port()) + ": " + ec.message());
  }

  work_.emplace(io_context_.get_executor());
  DoAccept();
  try {
    pool_.Start();
    for (int i = 0; i < options_.io_threads; ++i) {
      io_threads_.emplace_back([this] {
        // A throwing completion handler is a bug; keep serving the other connections.
        for (;;) {
          try {
            io_context_.run();
            return;
          } catch (...) {
          }
        }
      });
    }
  } catch (const std::system_error&) {
    {
      std::lock_guard lock(state_mu_);
      started_ = true;
    }
    // Stop() takes stop_mu_, which we hold; do its work here.
    CloseEverything();
    return Fail(ErrorCode::kInternal, "error.internal", "http: cannot start threads");
  }
  std::lock_guard lock(state_mu_);
  started_ = true;
  return bound.port();
}

void Server::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  CloseEverything();
}

// Caller holds stop_mu_.
void Server::CloseEverything() {
  {
    std::lock_guard lock(state_mu_);
    if (stopped_) return;
  }
  stopping_ = true;
  work_.reset();
  io_context_.stop();
  for (std::thread& t : io_threads_) {
    if (t.joinable()) t.join();
  }
  io_threads_.clear();

  // No I/O thread runs any more, so the acceptor and the sockets may be touched here.
  beast::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (auto& session : live) session->CloseNow();
  live.clear();  // may run ~Session, which takes sessions_mu_
  pool_.Stop();
  // Completion handlers still queued in io_context_ own the remaining sessions; they are
  // destroyed with it.

  std::lock_guard lock(state_mu_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void Server::Wait() {
  std::unique_lock lock(state_mu_);
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

void Server::OnSessionGone(uint64_t id) {
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(id);
  }
  connections_.fetch_sub(1);
}

void Server::DoAccept() {
  // Each connection gets its own strand; the accept loop itself is a single chain.
  acceptor_.async_accept(asio::make_strand(io_context_),
                         beast::bind_front_handler(&Server::OnAccept, this));
}

void Server::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    accept_timer_.expires_after(kAcceptBackoff);
    accept_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping_) DoAccept();
    });
    return;
  }
  StartSession(std::move(socket));
  DoAccept();
}

void Server::StartSession(tcp::socket socket) {
  beast::error_code ec;
  if (connections_.load() >= options_.max_connections) {
    socket.close(ec);
    return;
  }
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) {
    socket.close(ec);
    return;
  }
  asio::ip::address address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; throttle them as IPv4.
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  connections_.fetch_add(1);  // undone by ~Session
  uint64_t id = next_session_id_++;
  auto session = std::make_shared<Session>(*this, id, std::move(socket), address.to_string());
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(id, session);
  }
  session->Start();
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpOptions options, Handler handler, RefusalRenderer refusal)
      : server(std::move(options), std::move(handler), std::move(refusal)) {}
  Server server;
};

HttpServer::HttpServer(HttpOptions options, Handler handler, RefusalRenderer refusal)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(refusal))) {}

HttpServer::~HttpServer() { Stop(); }

Result<uint16_t> HttpServer::Start() {
  try {
    return impl_->server.Start();
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInternal, "error.internal", "http: start failed");
  }
}

void HttpServer::Stop() { impl_->server.Stop(); }

void HttpServer::Wait() { impl_->server.Wait(); }

size_t HttpServer::queue_depth() const { return impl_->server.queue_depth(); }

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
    http::read_header(stream, buffer, *parser, ec);
    if (ec == http::error::header_limit) {
      refuse(431, ErrorCode::kTooLarge);
    } else if (ec == http::error::body_limit) {
      CopyHeader(*parser, request);
      refuse(413, ErrorCode::kTooLarge);
    } else if (ec) {
      if (!IsParseError(ec)) break;  // the peer went away mid-header: no answer
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

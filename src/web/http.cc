#include "web/http.h"
#include "web/http_exchange.h"
#include "web/address_key.h"
#include "web/worker_pool.h"

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
// Back-off after accept() fails for reasons such as EMFILE, so the loop does not spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);
// Retry-After for a refusal over a per-address cap or a full worker queue.
constexpr int kRetryAfterSeconds = 10;

using namespace wire;

// Beyond 3/4 of the global cap, only addresses holding fewer than this many get another.
constexpr size_t kFewConnections = 4;

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
        pool_(std::max(1, options_.worker_threads), options_.max_queue, 0),
        hashing_(std::max(1, options_.hashing_threads), options_.hashing_queue,
                 options_.hashing_queue_per_address),
        io_context_(std::max(1, options_.io_threads)),
        acceptor_(io_context_),
        accept_timer_(io_context_) {}
  ~Server() { Stop(); }

  Result<uint16_t> Start();
  void Stop();
  void Wait();
  size_t queue_depth() const { return pool_.depth(); }
  size_t hashing_queue_depth() const { return hashing_.depth(); }

  const HttpOptions& options() const { return options_; }
  const Handler& handler() const { return handler_; }
  const RefusalRenderer& refusal() const { return refusal_; }
  WorkerPool& pool(Lane lane) { return lane == Lane::kGeneral ? pool_ : hashing_; }
  void OnSessionGone(uint64_t id, const std::string& peer_key);
  // The per-address cap on requests in flight; a taken one is given back by ~Flight.
  bool TakeFlight(const std::string& client_key) {
    return flights_.TryTake(client_key, options_.max_in_flight_per_address,
                            [](size_t) { return true; });
  }
  void GiveFlight(const std::string& client_key) { flights_.Give(client_key); }

 private:
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void StartSession(tcp::socket socket);
  bool AdmitConnection(const std::string& peer_key);
  void CloseEverything();

  const HttpOptions options_;
  const Handler handler_;
  const RefusalRenderer refusal_;
  WorkerPool pool_;
  WorkerPool hashing_;
  AddressCounts flights_;  // requests in flight per client key
  AddressCounts peers_;    // open connections per TCP peer (ThrottleKey)
  std::string refused_connection_;  // the 429 page for a connection over the cap, as sent

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
  Session(Server& server, uint64_t id, tcp::socket socket, std::string peer, std::string peer_key)
      : server_(server),
        id_(id),
        stream_(std::move(socket)),
        peer_(std::move(peer)),
        peer_key_(std::move(peer_key)) {}
  ~Session() { server_.OnSessionGone(id_, peer_key_); }

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
    // One deadline for the whole header, however many reads it takes.
    stream_.expires_after(std::chrono::seconds(options().header_timeout_seconds));
    ReadHeaderBytes();
  }

  // Reads until the buffer holds a whole header, checks its raw bytes (ScanHeader), then
  // hands exactly those bytes to the parser.
  void ReadHeaderBytes() {
    const std::string_view buffered(static_cast<const char*>(buffer_.data().data()),
                                    buffer_.size());
    size_t length = 0;
    switch (ScanHeader(buffered, options().header_limit, length)) {
      case HeaderScan::kIncomplete:
        stream_.async_read_some(
            buffer_.prepare(kReadChunk),
            beast::bind_front_handler(&Session::OnHeaderBytes, shared_from_this()));
        return;
      case HeaderScan::kTooLarge: return OnHeader(http::error::header_limit, 0);
      case HeaderScan::kMalformed: return OnHeader(http::error::bad_field, 0);
      case HeaderScan::kComplete: break;
    }
    const beast::error_code ec = ParseHeader(*parser_, buffered.substr(0, length));
    buffer_.consume(length);
    OnHeader(ec, length);
  }

  void OnHeaderBytes(beast::error_code ec, size_t bytes) {
    buffer_.commit(bytes);
    // A timeout (tcp_stream has closed the socket) or the peer gone mid-header: no answer.
    if (ec) return Close();
    ReadHeaderBytes();
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
    const Placement place = Place();
    if (!server_.TakeFlight(place.client_key)) return Refuse(429, ErrorCode::kTooManyRequests);
    // Gives the in-flight place back when the job is done or dropped, whatever happens.
    auto flight = std::shared_ptr<void>(nullptr, [server = &server_, key = place.client_key](void*) {
      server->GiveFlight(key);
    });
    auto request = std::make_shared<Request>(std::move(request_));
    auto self = shared_from_this();
    auto executor = stream_.get_executor();
    const int fd = stream_.socket().native_handle();
    bool queued = server_.pool(place.lane).TrySubmit(
        place.client_key, place.lane == Lane::kHashingFirst, [self, request, executor, fd, flight] {
          // A visitor who gave up while the request waited (a closed tab after a burst) would
          // still cost a worker, and an Argon2id hash: skip the handler, as nginx does (499).
          if (PeerHasLeft(fd)) {
            asio::post(executor,
                       [self, request]() mutable { self->OnPeerLeft(std::move(*request)); });
            return;
          }
          std::optional<Response> response = CallHandler(self->server_.handler(), *request);
          asio::post(executor, [self, request, response = std::move(response)]() mutable {
            self->OnHandlerDone(std::move(*request), std::move(response));
          });
        });
    if (!queued) {
      request_ = std::move(*request);
      // A full hashing lane is the hashing flood's own problem: "busy, try again in a
      // minute", never a 503 for the pages that do not hash.
      if (place.lane != Lane::kGeneral) return Refuse(429, ErrorCode::kBusy);
      Refuse(503, ErrorCode::kUnavailable);
    }
  }

  // Where the request waits, and whose share it counts against.
  Placement Place() const {
    const Placer& placer = server_.options().placer;
    if (placer) {
      try {
        Placement place = placer(request_);
        if (!place.client_key.empty()) return place;
      } catch (...) {
      }
    }
    return Placement{Lane::kGeneral, ThrottleKey(peer_)};
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
    Response response = RenderRefusal(server_.refusal(), request_, status, code);
    if ((status == 429 || status == 503) && !response.Get("Retry-After")) {
      response.Set("Retry-After", std::to_string(code == ErrorCode::kBusy
                                                      ? options().busy_retry_after_seconds
                                                      : kRetryAfterSeconds));
    }
    return response;
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
  const std::string peer_key_;  // empty for an unlimited peer: not counted
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

  {
    Response page = RenderRefusal(refusal_, Request{}, 429, ErrorCode::kTooManyRequests);
    page.Set("Retry-After", std::to_string(kRetryAfterSeconds));
    bool close = true;
    refused_connection_ = SerializeResponse(std::move(page), 11, false, close);
  }
  work_.emplace(io_context_.get_executor());
  DoAccept();
  try {
    pool_.Start();
    hashing_.Start();
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
  hashing_.Stop();
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

void Server::OnSessionGone(uint64_t id, const std::string& peer_key) {
  {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(id);
  }
  if (!peer_key.empty()) peers_.Give(peer_key);
  connections_.fetch_sub(1);
}

// Whether a new connection from `peer_key` may stay: under the global cap, under the
// per-address cap, and past 3/4 of the global cap only for a peer that holds few.
bool Server::AdmitConnection(const std::string& peer_key) {
  const size_t total = connections_.load();
  if (total >= options_.max_connections) return false;
  if (peer_key.empty()) return true;  // an unlimited peer (the trusted proxy)
  const bool crowded = total >= options_.max_connections - options_.max_connections / 4;
  return peers_.TryTake(peer_key, options_.max_connections_per_address,
                        [crowded](size_t held) { return !crowded || held < kFewConnections; });
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
  std::string peer = address.to_string();
  const auto& unlimited = options_.unlimited_peers;
  std::string peer_key = std::find(unlimited.begin(), unlimited.end(), peer) != unlimited.end()
                             ? std::string()
                             : ThrottleKey(peer);
  if (!AdmitConnection(peer_key)) {
    // The 429 page, written at once without waiting (a fresh socket's send buffer takes
    // it), then closed: a client holding too many connections reads why.
    socket.non_blocking(true, ec);
    if (!ec) socket.write_some(asio::buffer(refused_connection_), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  connections_.fetch_add(1);  // undone by ~Session
  uint64_t id = next_session_id_++;
  auto session = std::make_shared<Session>(*this, id, std::move(socket), std::move(peer),
                                           std::move(peer_key));
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

size_t HttpServer::hashing_queue_depth() const { return impl_->server.hashing_queue_depth(); }

}  // namespace vd

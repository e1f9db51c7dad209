// Tests drive the server over real TCP with plain POSIX sockets, the way a client (or an
// attacker) would, and assert on the bytes that come back.

#include "web/http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <sstream>

#include <algorithm>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace vd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  bool complete = false;
};

// A blocking TCP client with poll()-based timeouts.
class RawClient {
 public:
  // `source`: an IPv4 loopback address to connect from (127.0.0.2 is "another client").
  explicit RawClient(uint16_t port, bool ipv6 = false, const char* source = nullptr) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (source != nullptr && !ipv6) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) return;
    }
    if (ipv6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      addr.sin6_addr = in6addr_loopback;
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // False if the server closed or reset the connection.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Appends to the pending buffer; false on EOF, error or timeout.
  bool ReadMore(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // Reads one response. With `head`, no body is expected whatever Content-Length says.
  RawResponse ReadResponse(milliseconds timeout = milliseconds(5000), bool head = false) {
    RawResponse response;
    auto deadline = Clock::now() + timeout;
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadMore(deadline)) return response;
    }
    std::string header = pending_.substr(0, header_end + 2);
    pending_.erase(0, header_end + 4);
    size_t line_end = header.find("\r\n");
    std::string status_line = header.substr(0, line_end);
    if (status_line.size() < 12) return response;
    response.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
    size_t pos = line_end + 2;
    while (pos < header.size()) {
      size_t end = header.find("\r\n", pos);
      std::string line = header.substr(pos, end - pos);
      pos = end + 2;
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers[name] = value;
    }
    size_t length = 0;
    if (auto it = response.headers.find("content-length"); it != response.headers.end()) {
      length = std::stoul(it->second);
    }
    if (head || response.status == 204 || response.status == 304) length = 0;
    while (pending_.size() < length) {
      if (!ReadMore(deadline)) return response;
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    response.complete = true;
    return response;
  }

  // True if the server closes the connection before the timeout; what it sent is dropped.
  bool WaitForClose(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!eof_) {
      if (!ReadMore(deadline) && !eof_) return false;
    }
    return true;
  }

  // Whether any byte arrives within the timeout (without consuming the pending buffer).
  bool HasExtraBytes(milliseconds timeout) {
    if (!pending_.empty()) return true;
    return ReadMore(Clock::now() + timeout);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string pending_;
};

Response TextResponse(unsigned status, std::string body) {
  Response response;
  response.status = status;
  response.Set("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}

// The application's refusal page stand-in: shows the code, nothing else.
Response TestRefusal(const Request& request, ErrorCode code) {
  return TextResponse(999, "refused:" + std::string(ErrorCodeName(code)));
}

// Echoes what the server parsed, so tests can assert on it.
Response Echo(const Request& request) {
  std::string body = request.method + "|" + request.path + "|";
  for (const auto& [key, value] : request.query) body += key + "=" + value + ";";
  body += "|" + request.body;
  return TextResponse(200, body);
}

class HttpServerTest : public ::testing::Test {
 protected:
  static HttpOptions SmallOptions() {
    HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.worker_threads = 2;
    options.header_limit = 2048;
    options.max_header_count = 16;
    options.body_limit = 4096;
    options.header_timeout_seconds = 5;
    options.body_timeout_seconds = 5;
    options.write_timeout_seconds = 5;
    options.keep_alive_seconds = 5;
    return options;
  }

  void StartServer(HttpOptions options, Handler handler = Echo,
                   RefusalRenderer refusal = TestRefusal) {
    server_ =
        std::make_unique<HttpServer>(std::move(options), std::move(handler), std::move(refusal));
    Result<uint16_t> port = server_->Start();
    ASSERT_TRUE(port.has_value()) << port.error().detail;
    ASSERT_NE(*port, 0);
    port_ = *port;
  }

  RawResponse RoundTrip(std::string_view raw, bool head = false) {
    RawClient client(port_);
    EXPECT_TRUE(client.connected());
    client.Send(raw);
    return client.ReadResponse(milliseconds(5000), head);
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, GetReturnsHandlerResponseWithoutServerHeader) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(res.complete);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "GET|/hello||");
  EXPECT_EQ(res.headers["content-length"], std::to_string(res.body.size()));
  EXPECT_EQ(res.headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(res.headers.count("server"), 0u);
}

TEST_F(HttpServerTest, PostBodyReachesHandler) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip(
      "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
      "hello world");
  ASSERT_TRUE(res.complete);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "POST|/form||hello world");
}

TEST_F(HttpServerTest, ChunkedBodyIsDecoded) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip(
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(res.complete);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "POST|/c||hello world");
}

TEST_F(HttpServerTest, RequestFieldsAreFilledIn) {
  Request seen;
  std::mutex mu;
  StartServer(SmallOptions(), [&](const Request& request) {
    std::lock_guard lock(mu);
    seen = request;
    return TextResponse(200, "ok");
  });
  RawResponse res = RoundTrip("GET /x HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: Value\r\n\r\n");
  ASSERT_EQ(res.status, 200u);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.target, "/x");
  EXPECT_EQ(seen.Header("x-mixed-case"), "Value");
  EXPECT_EQ(seen.Header("host"), "x");
  EXPECT_EQ(seen.client_address, "127.0.0.1");
  ASSERT_EQ(seen.request_id.size(), 16u);
  EXPECT_EQ(seen.request_id.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(HttpServerTest, RequestIdsDiffer) {
  std::mutex mu;
  std::vector<std::string> ids;
  StartServer(SmallOptions(), [&](const Request& request) {
    std::lock_guard lock(mu);
    ids.push_back(request.request_id);
    return TextResponse(200, "ok");
  });
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(RoundTrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, 200u);
  std::lock_guard lock(mu);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TEST_F(HttpServerTest, AnyMethodReachesHandler) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip("PROPFIND /x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "PROPFIND|/x||");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse first = client.ReadResponse();
  ASSERT_TRUE(first.complete);
  EXPECT_EQ(first.body, "GET|/one||");
  ASSERT_TRUE(client.Send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse second = client.ReadResponse();
  ASSERT_TRUE(second.complete);
  EXPECT_EQ(second.body, "GET|/two||");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(
      client.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().body, "GET|/one||");
  EXPECT_EQ(client.ReadResponse().body, "GET|/two||");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  RawResponse res = client.ReadResponse();
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.headers["connection"], "close");
  EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveCloses) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.0\r\n\r\n"));
  RawResponse res = client.ReadResponse();
  EXPECT_EQ(res.status, 200u);
  EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
}

TEST_F(HttpServerTest, HandlerConnectionCloseIsHonoured) {
  StartServer(SmallOptions(), [](const Request&) {
    Response res = TextResponse(200, "bye");
    res.Set("Connection", "close");
    return res;
  });
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().body, "bye");
  EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
}

TEST_F(HttpServerTest, HeadSendsContentLengthButNoBody) {
  StartServer(SmallOptions(),
              [](const Request& request) { return TextResponse(200, "hello body"); });
  RawClient client(port_);
  ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse res = client.ReadResponse(milliseconds(5000), /*head=*/true);
  ASSERT_TRUE(res.complete);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.headers["content-length"], "10");
  EXPECT_FALSE(client.HasExtraBytes(milliseconds(300)));
  // The connection is still in step: the next response parses.
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().body, "hello body");
}

TEST_F(HttpServerTest, NoContentHasNoContentLength) {
  StartServer(SmallOptions(), [](const Request&) { return TextResponse(204, "ignored"); });
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse res = client.ReadResponse();
  EXPECT_EQ(res.status, 204u);
  EXPECT_EQ(res.headers.count("content-length"), 0u);
  EXPECT_FALSE(client.HasExtraBytes(milliseconds(200)));
}

TEST_F(HttpServerTest, Expect100ContinueGetsContinueThenResponse) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(client.Send(
      "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  RawResponse interim = client.ReadResponse();
  EXPECT_EQ(interim.status, 100u);
  ASSERT_TRUE(client.Send("abc"));
  RawResponse res = client.ReadResponse();
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "POST|/e||abc");
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  StartServer(SmallOptions());
  RawResponse res =
      RoundTrip("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_EQ(res.status, 431u);
  EXPECT_EQ(res.body, "refused:too_large");
  EXPECT_EQ(res.headers["connection"], "close");
}

TEST_F(HttpServerTest, TooManyHeadersIs431) {
  StartServer(SmallOptions());
  std::string raw = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 20; ++i) raw += "X-H" + std::to_string(i) + ": v\r\n";
  RawResponse res = RoundTrip(raw + "\r\n");
  EXPECT_EQ(res.status, 431u);
  EXPECT_EQ(res.body, "refused:too_large");
}

TEST_F(HttpServerTest, ExactlyMaxHeaderCountIsAccepted) {
  StartServer(SmallOptions());
  std::string raw = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 15; ++i) raw += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(RoundTrip(raw + "\r\n").status, 200u);
}

TEST_F(HttpServerTest, DeclaredOversizedBodyIs413BeforeItIsSent) {
  std::atomic<int> calls{0};
  StartServer(SmallOptions(), [&](const Request& request) {
    ++calls;
    return TextResponse(200, "ok");
  });
  RawClient client(port_);
  // Ten megabytes announced, a hundred bytes sent: the answer must not wait for the rest.
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" +
                          std::string(100, 'b')));
  auto started = Clock::now();
  RawResponse res = client.ReadResponse(milliseconds(3000));
  EXPECT_LT(Clock::now() - started, milliseconds(1000));
  EXPECT_EQ(res.status, 413u);
  EXPECT_EQ(res.body, "refused:too_large");
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  StartServer(SmallOptions());
  std::string chunk(3000, 'c');
  RawResponse res = RoundTrip(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "bb8\r\n" +
      chunk + "\r\nbb8\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(res.status, 413u);
}

class BadChunkTest : public HttpServerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BadChunkTest, Is400) {
  StartServer(SmallOptions());
  RawResponse res =
      RoundTrip(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") +
                GetParam() + "\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(res.status, 400u);
  EXPECT_EQ(res.body, "refused:invalid_input");
}

INSTANTIATE_TEST_SUITE_P(ChunkSizes, BadChunkTest,
                         ::testing::Values("zz", "-5", "ffffffffffffffffff"));

TEST_F(HttpServerTest, UnsupportedTransferEncodingIs400) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled "
      "HTTP/1.1\r\n\r\n");
  EXPECT_EQ(res.status, 400u);
}

TEST_F(HttpServerTest, ContentLengthWithChunkedIs400) {
  StartServer(SmallOptions());
  RawResponse res = RoundTrip(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  EXPECT_EQ(res.status, 400u);
}

TEST_F(HttpServerTest, GarbageRequestLineIs400) {
  StartServer(SmallOptions());
  EXPECT_EQ(RoundTrip("HELLO\r\n\r\n").status, 400u);
}

TEST_F(HttpServerTest, SlowHeaderIsCutOffAfterHeaderTimeout) {
  HttpOptions options = SmallOptions();
  options.header_timeout_seconds = 1;
  StartServer(options);
  RawClient client(port_);
  auto started = Clock::now();
  // Half a header, then silence; a trickle of bytes must not extend the deadline either.
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(milliseconds(400));
  client.Send("X-A: 1\r\n");
  // The timed-out socket is already closed, so the server sends nothing (no 408).
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
  auto elapsed = Clock::now() - started;
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, milliseconds(2500));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedSilently) {
  HttpOptions options = SmallOptions();
  options.keep_alive_seconds = 1;
  StartServer(options);
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(client.ReadResponse().status, 200u);
  auto started = Clock::now();
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
  EXPECT_GE(Clock::now() - started, milliseconds(900));
  EXPECT_FALSE(client.HasExtraBytes(milliseconds(10)));
}

TEST_F(HttpServerTest, SlowBodyIsCutOffAfterBodyTimeout) {
  HttpOptions options = SmallOptions();
  options.body_timeout_seconds = 1;
  StartServer(options);
  RawClient client(port_);
  auto started = Clock::now();
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"));
  EXPECT_TRUE(client.WaitForClose(milliseconds(3000)));
  auto elapsed = Clock::now() - started;
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, milliseconds(2500));
}

TEST_F(HttpServerTest, FiftySlowClientsDoNotStarveANormalOne) {
  HttpOptions options = SmallOptions();
  options.io_threads = 1;
  StartServer(options);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 50; ++i) {
    // From five addresses, under the per-address cap: slow phones, not one robot.
    const std::string source = "127.0.1." + std::to_string(10 + i % 5);
    slow.push_back(std::make_unique<RawClient>(port_, false, source.c_str()));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->Send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  }
  auto started = Clock::now();
  RawResponse res = RoundTrip("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_LT(Clock::now() - started, milliseconds(1000));
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "GET|/fast||");
}

TEST_F(HttpServerTest, ConnectionsBeyondMaxAreClosed) {
  HttpOptions options = SmallOptions();
  options.max_connections = 2;
  StartServer(options);
  RawClient a(port_), b(port_);
  ASSERT_TRUE(a.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(b.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(a.ReadResponse().status, 200u);
  ASSERT_EQ(b.ReadResponse().status, 200u);
  RawClient c(port_);
  c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(c.WaitForClose(milliseconds(2000)));
}

TEST_F(HttpServerTest, ThrowingHandlerGives500WithoutExceptionText) {
  StartServer(SmallOptions(), [](const Request&) -> Response {
    throw std::runtime_error("secret-detail-db-password");
  });
  RawResponse res = RoundTrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.status, 500u);
  EXPECT_EQ(res.body, "refused:internal");
  for (const auto& [name, value] : res.headers) {
    EXPECT_EQ(value.find("secret"), std::string::npos) << name;
  }
}

TEST_F(HttpServerTest, ThrowingRendererGivesPlainFallback) {
  StartServer(
      SmallOptions(), [](const Request&) -> Response { throw std::runtime_error("boom"); },
      [](const Request&, ErrorCode) -> Response { throw std::runtime_error("renderer-boom"); });
  RawResponse res = RoundTrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.status, 500u);
  EXPECT_EQ(res.body.find("boom"), std::string::npos);
}

TEST_F(HttpServerTest, HeaderWithNewlineBecomes500) {
  StartServer(SmallOptions(), [](const Request& request) {
    Response res = TextResponse(200, "ok");
    res.Set("X-Echo", "a\r\nSet-Cookie: evil=1");
    return res;
  });
  RawResponse res = RoundTrip("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.status, 500u);
  EXPECT_EQ(res.headers.count("set-cookie"), 0u);
}

// RFC 9112 says reject; behind a proxy each of these is request-smuggling material. Every
// one is a 400 that closes the connection, and what follows on it is never answered.
TEST_F(HttpServerTest, StrictHttpRefusesAmbiguousHeaders) {
  StartServer(SmallOptions());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no Host", "GET / HTTP/1.1\r\n\r\n"},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"two Hosts, other case", "GET / HTTP/1.1\r\nHost: a\r\nhOsT: a\r\n\r\n"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"},
      {"obs-fold with tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n"},
      {"fold into Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n 5\r\n\r\nhello"},
      {"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n"},
      {"tab before colon", "GET / HTTP/1.1\r\nHost: x\r\nX-A\t: 1\r\n\r\n"},
      {"line without colon", "GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n"},
      {"bare LF", "GET / HTTP/1.1\nHost: x\n\n"},
      {"bare LF in a field", "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n"},
      {"bare CR", "GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n"},
      {"absolute-form to another host", "GET http://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"Transfer-Encoding with Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n"},
      {"two Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                              "Content-Length: 2\r\n\r\nab"},
      {"empty line first", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    RawClient client(port_);
    ASSERT_TRUE(client.connected());
    client.Send(bytes + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    RawResponse res = client.ReadResponse();
    EXPECT_EQ(res.status, 400u) << name;
    EXPECT_EQ(res.headers["connection"], "close") << name;
    EXPECT_EQ(res.body, "refused:invalid_input") << name;
    EXPECT_TRUE(client.WaitForClose(milliseconds(3000))) << name;
  }
  // What is allowed stays allowed: HTTP/1.0 without Host, OWS after the colon, a header
  // that arrives a byte at a time.
  EXPECT_EQ(RoundTrip("GET /ok HTTP/1.0\r\n\r\n").status, 200u);
  EXPECT_EQ(RoundTrip("GET /ok HTTP/1.1\r\nHost:x\r\nX-A: \t1\t \r\n\r\n").status, 200u);
  RawClient slow(port_);
  for (char c : std::string("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")) {
    ASSERT_TRUE(slow.Send(std::string(1, c)));
  }
  RawResponse res = slow.ReadResponse();
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(res.body, "GET|/slow||");
}

TEST_F(HttpServerTest, OneAddressCannotHoldEveryConnection) {
  HttpOptions options = SmallOptions();
  options.max_connections_per_address = 4;
  StartServer(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(port_, false, "127.0.0.2"));
    ASSERT_TRUE(held.back()->connected());
  }
  // The connections are counted once the server has accepted them.
  std::this_thread::sleep_for(milliseconds(200));
  RawClient fifth(port_, false, "127.0.0.2");
  RawResponse refused = fifth.ReadResponse();
  EXPECT_EQ(refused.status, 429u);
  EXPECT_EQ(refused.body, "refused:too_many_requests");
  EXPECT_EQ(refused.headers["retry-after"], "10");
  EXPECT_EQ(refused.headers["connection"], "close");
  // Another address is served at once, and the held ones still work.
  RawClient other(port_, false, "127.0.0.3");
  ASSERT_TRUE(other.Send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(other.ReadResponse().status, 200u);
  ASSERT_TRUE(held[0]->Send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(held[0]->ReadResponse().status, 200u);
  // Closing one frees its place.
  held.pop_back();
  std::this_thread::sleep_for(milliseconds(200));
  RawClient again(port_, false, "127.0.0.2");
  ASSERT_TRUE(again.Send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(again.ReadResponse().status, 200u);
}

TEST_F(HttpServerTest, TheLastQuarterOfConnectionsIsForAddressesHoldingFew) {
  HttpOptions options = SmallOptions();
  options.max_connections = 16;
  options.max_connections_per_address = 0;  // no per-address cap: the crowding rule alone
  StartServer(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 12; ++i) {
    held.push_back(std::make_unique<RawClient>(port_, false, "127.0.0.2"));
    ASSERT_TRUE(held.back()->connected());
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::this_thread::sleep_for(milliseconds(200));
  RawClient thirteenth(port_, false, "127.0.0.2");
  EXPECT_EQ(thirteenth.ReadResponse().status, 429u);
  for (int i = 0; i < 3; ++i) {
    RawClient other(port_, false, "127.0.0.3");
    ASSERT_TRUE(other.Send("GET /few HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(other.ReadResponse().status, 200u) << i;
  }
}

TEST_F(HttpServerTest, UnlimitedPeersAreNotCapped) {
  HttpOptions options = SmallOptions();
  options.max_connections_per_address = 2;
  options.unlimited_peers = {"127.0.0.2"};
  StartServer(options);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 6; ++i) held.push_back(std::make_unique<RawClient>(port_, false, "127.0.0.2"));
  std::this_thread::sleep_for(milliseconds(200));
  for (auto& c : held) {
    ASSERT_TRUE(c->Send("GET /proxy HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(c->ReadResponse().status, 200u);
  }
}

// A handler that waits until released, counting who entered, for the lane tests.
struct Gatekeeper {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex mu;
  std::vector<std::string> order;  // paths, in the order handlers started
  Response Handle(const Request& request) {
    {
      std::lock_guard lock(mu);
      order.push_back(request.path);
    }
    if (request.path.starts_with("/hash")) released.wait();
    return TextResponse(200, request.path);
  }
  size_t entered() {
    std::lock_guard lock(mu);
    return order.size();
  }
};

// Requests under /hash go to the hashing lane (/hash-first ahead), keyed by the X-Key header
// the way the application keys them by client address.
Placement TestPlacer(const Request& request) {
  Placement place;
  place.client_key = std::string(request.Header("x-key").value_or("none"));
  if (request.path.starts_with("/hash-first")) {
    place.lane = Lane::kHashingFirst;
  } else if (request.path.starts_with("/hash")) {
    place.lane = Lane::kHashing;
  }
  return place;
}

// One hashing thread, the test placer, and no in-flight cap in the way.
HttpOptions LaneOptions(size_t queue, size_t per_address) {
  HttpOptions options;
  options.port = 0;
  options.hashing_threads = 1;
  options.hashing_queue = queue;
  options.hashing_queue_per_address = per_address;
  options.max_in_flight_per_address = 100;
  options.placer = TestPlacer;
  return options;
}

// Sends POST `path` as client `key` on a new connection, then waits until the hashing lane
// holds `depth` jobs (one at a time: connections are not ordered among themselves).
std::unique_ptr<RawClient> PostToLane(HttpServer& server, uint16_t port, const std::string& path,
                                      const std::string& key, size_t depth) {
  auto client = std::make_unique<RawClient>(port);
  EXPECT_TRUE(client->Send("POST " + path + " HTTP/1.1\r\nHost: x\r\nX-Key: " + key +
                           "\r\nContent-Length: 0\r\n\r\n"));
  for (int i = 0; i < 400 && server.hashing_queue_depth() < depth; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(server.hashing_queue_depth(), depth) << path;
  return client;
}

TEST_F(HttpServerTest, AHashingFloodGets429AndNeverDelaysOtherPages) {
  HttpOptions options = LaneOptions(4, 2);
  options.worker_threads = 1;
  Gatekeeper gate;
  StartServer(options, [&](const Request& r) { return gate.Handle(r); });
  // One hashing job runs (and blocks), then four wait: two for each of two keys.
  std::vector<std::unique_ptr<RawClient>> flood;
  size_t depth = 0;
  for (const auto& [path, key] : std::vector<std::pair<std::string, std::string>>{
           {"/hash/run", "a"}, {"/hash/1", "a"}, {"/hash/2", "a"}, {"/hash/3", "b"},
           {"/hash/4", "b"}}) {
    flood.push_back(PostToLane(*server_, port_, path, key, ++depth));
  }
  ASSERT_EQ(server_->hashing_queue_depth(), 5u);
  // A third for "a" is over its share; one for "c" finds the lane full. Both: 429 busy.
  for (const char* key : {"a", "c"}) {
    RawClient over(port_);
    over.Send(std::string("POST /hash/over HTTP/1.1\r\nHost: x\r\nX-Key: ") + key +
              "\r\nContent-Length: 0\r\n\r\n");
    RawResponse res = over.ReadResponse();
    EXPECT_EQ(res.status, 429u) << key;
    EXPECT_EQ(res.body, "refused:busy") << key;
    EXPECT_EQ(res.headers["retry-after"], "60") << key;
  }
  // Pages that do not hash are answered at once, on the one worker thread.
  for (int i = 0; i < 20; ++i) {
    auto started = Clock::now();
    RawResponse page = RoundTrip("GET /page HTTP/1.1\r\nHost: x\r\nX-Key: a\r\n\r\n");
    EXPECT_EQ(page.status, 200u);
    EXPECT_LT(Clock::now() - started, milliseconds(1000));
  }
  gate.release.set_value();
  for (auto& c : flood) EXPECT_EQ(c->ReadResponse().status, 200u);
  // Served in turn: a, b, a, b, not a, a, b, b.
  std::vector<std::string> hashed;
  {
    std::lock_guard lock(gate.mu);
    for (const std::string& p : gate.order) {
      if (p.starts_with("/hash")) hashed.push_back(p);
    }
  }
  EXPECT_EQ(hashed, (std::vector<std::string>{"/hash/run", "/hash/1", "/hash/3", "/hash/2",
                                               "/hash/4"}));
}

TEST_F(HttpServerTest, HashingFirstJobsGoAheadThreeInFour) {
  Gatekeeper gate;
  StartServer(LaneOptions(32, 0), [&](const Request& r) { return gate.Handle(r); });
  std::vector<std::unique_ptr<RawClient>> clients;
  size_t depth = 0;
  for (const char* path : {"/hash/run", "/hash/1", "/hash/2", "/hash-first/1", "/hash-first/2",
                           "/hash-first/3", "/hash-first/4"}) {
    clients.push_back(PostToLane(*server_, port_, path, "k", ++depth));
  }
  ASSERT_EQ(server_->hashing_queue_depth(), 7u);
  gate.release.set_value();
  for (auto& c : clients) EXPECT_EQ(c->ReadResponse().status, 200u);
  std::lock_guard lock(gate.mu);
  EXPECT_EQ(gate.order,
            (std::vector<std::string>{"/hash/run", "/hash-first/1", "/hash-first/2",
                                      "/hash-first/3", "/hash/1", "/hash-first/4", "/hash/2"}));
}

TEST_F(HttpServerTest, RequestsInFlightAreCappedPerClientKey) {
  HttpOptions options = SmallOptions();
  options.worker_threads = 4;
  options.max_in_flight_per_address = 2;
  Gatekeeper gate;
  // /hash paths block; here they run in the worker pool (the placer sends only POSTs to
  // the lane, and these are GETs).
  options.placer = [](const Request& r) {
    return Placement{Lane::kGeneral, std::string(r.Header("x-key").value_or("none"))};
  };
  StartServer(options, [&](const Request& r) { return gate.Handle(r); });
  RawClient one(port_), two(port_);
  ASSERT_TRUE(one.Send("GET /hash/1 HTTP/1.1\r\nHost: x\r\nX-Key: a\r\n\r\n"));
  ASSERT_TRUE(two.Send("GET /hash/2 HTTP/1.1\r\nHost: x\r\nX-Key: a\r\n\r\n"));
  for (int i = 0; i < 200 && gate.entered() < 2; ++i) std::this_thread::sleep_for(milliseconds(5));
  RawResponse third = RoundTrip("GET /third HTTP/1.1\r\nHost: x\r\nX-Key: a\r\n\r\n");
  EXPECT_EQ(third.status, 429u);
  EXPECT_EQ(third.body, "refused:too_many_requests");
  EXPECT_EQ(RoundTrip("GET /b HTTP/1.1\r\nHost: x\r\nX-Key: b\r\n\r\n").status, 200u);
  gate.release.set_value();
  EXPECT_EQ(one.ReadResponse().status, 200u);
  EXPECT_EQ(two.ReadResponse().status, 200u);
  EXPECT_EQ(RoundTrip("GET /after HTTP/1.1\r\nHost: x\r\nX-Key: a\r\n\r\n").status, 200u);
}

TEST_F(HttpServerTest, FullQueueAnswers503AtOnce) {
  HttpOptions options = SmallOptions();
  options.worker_threads = 1;
  options.max_queue = 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  StartServer(options, [&, released](const Request& request) {
    ++entered;
    released.wait();
    return TextResponse(200, "done");
  });

  RawClient running(port_);
  ASSERT_TRUE(running.Send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && entered.load() == 0; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(entered.load(), 1);

  RawClient queued(port_);
  ASSERT_TRUE(queued.Send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && server_->queue_depth() < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(server_->queue_depth(), 2u);

  auto started = Clock::now();
  RawResponse refused = RoundTrip("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_LT(Clock::now() - started, milliseconds(1000));
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.body, "refused:unavailable");

  release.set_value();
  EXPECT_EQ(running.ReadResponse().body, "done");
  EXPECT_EQ(queued.ReadResponse().body, "done");
  for (int i = 0; i < 200 && server_->queue_depth() > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server_->queue_depth(), 0u);
}

TEST_F(HttpServerTest, MemoryHandlerAnswersWhileEveryWorkerIsBusy) {
  HttpOptions options = SmallOptions();
  options.worker_threads = 1;
  options.memory_handler = [](const Request& request) -> std::optional<Response> {
    if (request.path == "/memory") return TextResponse(200, "from memory");
    if (request.path == "/throws") throw std::runtime_error("memory handler bug");
    if (request.path == "/unsendable") {
      Response bad = TextResponse(200, "x");
      bad.Set("X-Bad", "a\r\nInjected: 1");
      return bad;
    }
    return std::nullopt;
  };
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  StartServer(options, [&, released](const Request& request) {
    if (request.path == "/block") {
      ++entered;
      released.wait();
    }
    return TextResponse(200, "worker " + request.path);
  });

  RawClient blocked(port_);
  ASSERT_TRUE(blocked.Send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && entered.load() == 0; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(entered.load(), 1);

  // The only worker is stuck; the memory handler still answers, on the I/O thread.
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET /memory HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawResponse fast = client.ReadResponse(milliseconds(2000));
  EXPECT_EQ(fast.status, 200u);
  EXPECT_EQ(fast.body, "from memory");
  // Everything else waits for a worker: nullopt, a throw and an unsendable answer alike.
  RawClient passed(port_);
  ASSERT_TRUE(passed.Send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /throws HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /unsendable HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(passed.ReadResponse(milliseconds(300)).complete);

  release.set_value();
  EXPECT_EQ(blocked.ReadResponse().body, "worker /block");
  EXPECT_EQ(passed.ReadResponse().body, "worker /other");
  EXPECT_EQ(passed.ReadResponse().body, "worker /throws");
  EXPECT_EQ(passed.ReadResponse().body, "worker /unsendable");

  // ServeBytes takes the same path.
  const std::string bytes = ServeBytes(
      "GET /memory HTTP/1.1\r\nHost: x\r\n\r\nGET /throws HTTP/1.1\r\nHost: x\r\n\r\n",
      options, [](const Request& r) { return TextResponse(200, "worker " + r.path); }, nullptr);
  EXPECT_NE(bytes.find("from memory"), std::string::npos);
  EXPECT_NE(bytes.find("worker /throws"), std::string::npos);
}

TEST_F(HttpServerTest, QueuedRequestOfAClientThatLeftIsNotHandled) {
  HttpOptions options = SmallOptions();
  options.worker_threads = 1;
  std::mutex log_mu;
  std::vector<std::pair<std::string, unsigned>> logged;
  options.access_log = [&](const AccessLogEntry& entry) {
    std::lock_guard lock(log_mu);
    logged.emplace_back(std::string(entry.path), entry.status);
  };
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex seen_mu;
  std::vector<std::string> handled;
  StartServer(options, [&, released](const Request& request) {
    {
      std::lock_guard lock(seen_mu);
      handled.push_back(request.path);
    }
    if (request.path == "/block") released.wait();
    return TextResponse(200, "done " + request.path);
  });

  RawClient blocked(port_);
  ASSERT_TRUE(blocked.Send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && server_->queue_depth() < 1; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  auto gone = std::make_unique<RawClient>(port_);
  ASSERT_TRUE(gone->Send("GET /gone HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawClient staying(port_);
  ASSERT_TRUE(staying.Send("GET /staying HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && server_->queue_depth() < 3; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  ASSERT_EQ(server_->queue_depth(), 3u);
  gone.reset();  // the visitor closes the tab while the request waits
  std::this_thread::sleep_for(milliseconds(50));

  release.set_value();
  EXPECT_EQ(blocked.ReadResponse().body, "done /block");
  EXPECT_EQ(staying.ReadResponse().body, "done /staying");
  {
    std::lock_guard lock(seen_mu);
    EXPECT_EQ(handled, (std::vector<std::string>{"/block", "/staying"}));
  }
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(log_mu);
      if (logged.size() == 3) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::lock_guard lock(log_mu);
  EXPECT_NE(std::find(logged.begin(), logged.end(), std::pair<std::string, unsigned>{"/gone", 499}),
            logged.end());
}

TEST_F(HttpServerTest, PathAndQueryAreDecoded) {
  StartServer(SmallOptions());
  RawResponse res =
      RoundTrip("GET /a%20b/c+d?x=1+2&y=%C3%A9%26&&x=3&flag HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(res.status, 200u);
  // '+' is a space in the query only, never in the path.
  EXPECT_EQ(res.body, "GET|/a b/c+d|x=1 2;y=\xC3\xA9&;x=3;flag=;|");
}

TEST_F(HttpServerTest, NulInPathIs400) {
  std::atomic<int> calls{0};
  StartServer(SmallOptions(), [&](const Request&) {
    ++calls;
    return TextResponse(200, "ok");
  });
  EXPECT_EQ(RoundTrip("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(HttpServerTest, BadPercentEscapeInTargetIs400) {
  StartServer(SmallOptions());
  EXPECT_EQ(RoundTrip("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  EXPECT_EQ(RoundTrip("GET /a?q=%4 HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
}

TEST_F(HttpServerTest, NonOriginFormTargetsAre400) {
  StartServer(SmallOptions());
  EXPECT_EQ(RoundTrip("GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  EXPECT_EQ(RoundTrip("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  EXPECT_EQ(RoundTrip("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  EXPECT_EQ(RoundTrip("GET y HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
}

TEST_F(HttpServerTest, AccessLogHasNoQueryOrAddress) {
  std::mutex mu;
  std::vector<std::string> lines;
  HttpOptions options = SmallOptions();
  options.access_log = [&](const AccessLogEntry& entry) {
    std::lock_guard lock(mu);
    lines.push_back(std::string(entry.method) + " " + std::string(entry.path) + " " +
                    std::to_string(entry.status) + " " + std::string(entry.request_id));
  };
  StartServer(options);
  ASSERT_EQ(RoundTrip("GET /p%20q?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n").status, 200u);
  ASSERT_EQ(RoundTrip("GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n").status, 400u);
  // The entry is written after the write completes, which may be just after the client
  // has read the response.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (lines.size() >= 2) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(lines.size(), 2u);
  // Each connection logs after its own write completes, so the order is not fixed.
  std::sort(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return a.size() > b.size();
  });
  EXPECT_EQ(lines[0].substr(0, 15), "GET /p%20q 200 ");
  EXPECT_EQ(lines[1].substr(0, 8), "GET  400");
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("secret"), std::string::npos);
    EXPECT_EQ(line.find("127.0.0.1"), std::string::npos);
  }
}

TEST_F(HttpServerTest, Ipv6LoopbackWorks) {
  HttpOptions options = SmallOptions();
  options.host = "::1";
  server_ = std::make_unique<HttpServer>(options, Echo, TestRefusal);
  Result<uint16_t> port = server_->Start();
  if (!port) GTEST_SKIP() << "no IPv6 loopback here";
  RawClient client(*port, /*ipv6=*/true);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /v6 HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadResponse().body, "GET|/v6||");
}

TEST_F(HttpServerTest, HostThatIsNotALiteralFailsToStart) {
  HttpOptions options = SmallOptions();
  options.host = "localhost";
  HttpServer server(options, Echo, TestRefusal);
  EXPECT_FALSE(server.Start().has_value());
}

TEST_F(HttpServerTest, PortInUseFailsToStart) {
  StartServer(SmallOptions());
  HttpOptions options = SmallOptions();
  options.port = port_;
  HttpServer second(options, Echo, TestRefusal);
  EXPECT_FALSE(second.Start().has_value());
}

TEST_F(HttpServerTest, StopClosesConnectionsAndReleasesWait) {
  StartServer(SmallOptions());
  RawClient client(port_);
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(client.ReadResponse().status, 200u);
  std::thread waiter([&] { server_->Wait(); });
  server_->Stop();
  waiter.join();
  EXPECT_TRUE(client.WaitForClose(milliseconds(2000)));
  server_->Stop();  // idempotent
  RawClient late(port_);
  EXPECT_FALSE(late.connected());
}


// The server writes each response as one buffer of its own making; Beast's serializer, which
// it replaced, is the reference for the bytes (status line, field order, framing).
std::string BeastBytes(const Response& response, unsigned version, bool head, bool close) {
  namespace http = boost::beast::http;
  http::response<http::string_body> message;
  message.version(version);
  message.result(response.status);
  for (const auto& [name, value] : response.headers) {
    if (name == "Content-Length" || name == "Transfer-Encoding") continue;
    if (name == "Connection") {
      close = close || value == "close";
      continue;
    }
    message.insert(name, value);
  }
  if (response.status != 204 && response.status != 304) {
    message.set(http::field::content_length, std::to_string(response.body.size()));
    if (!head) message.body() = response.body;
  }
  message.keep_alive(!close);
  std::ostringstream os;
  os << message;
  return os.str();
}

TEST(ResponseBytes, MatchBeastsSerializer) {
  struct Case {
    std::string request;
    Response response;
    unsigned version;
    bool head;
    bool close;
  };
  Response page{200, {{"Content-Type", "text/html; charset=utf-8"}, {"Set-Cookie", "a=1"},
                      {"Set-Cookie", "b=2"}, {"Cache-Control", "no-store"}},
                "<p>hallo</p>"};
  Response framed = page;
  framed.headers.emplace_back("Content-Length", "999");
  framed.headers.emplace_back("Transfer-Encoding", "chunked");
  Response closing = page;
  closing.headers.emplace_back("Connection", "close");
  Response no_content{204, {{"X-A", "1"}}, "ignored"};
  Response not_modified{304, {}, "ignored"};
  Response teapot{418, {}, "short and stout"};
  Response odd{599, {}, ""};
  const std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", page, 11, false, false},
      {"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", page, 11, true, false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", page, 11, false, true},
      {"GET / HTTP/1.0\r\n\r\n", page, 10, false, true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", page, 10, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", framed, 11, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", closing, 11, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", no_content, 11, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", not_modified, 11, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", teapot, 11, false, false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", odd, 11, false, false},
  };
  for (const Case& c : cases) {
    Handler handler = [&](const Request&) { return c.response; };
    std::string got = ServeBytes(c.request, HttpOptions{}, handler, nullptr);
    EXPECT_EQ(got, BeastBytes(c.response, c.version, c.head, c.close)) << c.request;
  }
}

}  // namespace
}  // namespace vd

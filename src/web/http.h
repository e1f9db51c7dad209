#pragma once
// A small asynchronous HTTP/1.1 server on Boost.Beast. One session object per connection,
// a strand per connection, a timeout on every read and write, explicit limits on header
// bytes, header count and body bytes. Handlers run on a bounded worker pool, never on the
// I/O threads; when the pool's queue is full the server answers 503 at once.
// The server never logs client addresses, user agents, targets with queries, or bodies.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace vd {

struct Request {
  std::string method;  // upper case as sent: "GET", "POST", "HEAD", ...
  std::string target;  // raw request target as sent (never logged)
  std::string path;    // percent-decoded path without the query; always starts with "/"
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  // The TCP peer address, for throttling only: never logged, never stored.
  std::string client_address;
  std::string request_id;  // 16 hex chars, random per request; for logs and error pages

  // First header with this (lower-case) name.
  std::optional<std::string_view> Header(std::string_view lower_name) const;
  // First query parameter with this name.
  std::optional<std::string_view> Query(std::string_view name) const;
};

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Replaces any header of this name (case-insensitive).
  void Set(std::string_view name, std::string_view value);
  // Adds a header even if one of this name exists (Set-Cookie).
  void Add(std::string_view name, std::string_view value);
  std::optional<std::string_view> Get(std::string_view name) const;
};

// Runs on a worker thread. Must not throw (the server catches and answers 500 if it does).
using Handler = std::function<Response(const Request&)>;
// Runs on an I/O thread before a request is queued, and answers what needs no blocking
// work (pages held in memory); nullopt sends the request on to the Handler on a worker.
// Must be cheap and must never block: it holds up every connection of its I/O thread.
// One that throws or returns an unsendable response counts as nullopt.
using MemoryHandler = std::function<std::optional<Response>(const Request&)>;
// Which queue a request waits in, decided on an I/O thread before it is queued.
enum class Lane {
  kGeneral,       // the worker pool: pages, replies, everything that does not hash
  kHashing,       // the hashing lane: requests that run Argon2id (receipt openings, logins)
  kHashingFirst,  // the hashing lane, served before kHashing (three turns in four): starting
                  // a conversation, which the start throttle already bounds
};
struct Placement {
  Lane lane = Lane::kGeneral;
  // Whose share this request counts against: the client address, or behind a trusted proxy
  // the address it names. Held in memory only while the request is in flight.
  std::string client_key;
};
// Runs on an I/O thread for every request the memory handler did not answer. Must be
// cheap, must not block, must not throw (one that throws counts as {kGeneral, peer}).
using Placer = std::function<Placement(const Request&)>;

// Renders the server's own refusals (400 parse error, 408, 413, 431, 503...). `request` holds
// whatever was parsed (maybe only headers). Runs on an I/O thread; must be cheap.
using RefusalRenderer = std::function<Response(const Request& request, ErrorCode code)>;

// One line of access log, handed to HttpOptions::access_log after a response was written
// (or failed to write). Deliberately holds no client address, user agent, query or body.
struct AccessLogEntry {
  std::string_view method;  // as sent; empty if the request line did not parse
  std::string_view path;    // still percent-encoded, without the query; empty if unparsed
  unsigned status = 0;
  int64_t duration_ms = 0;  // from the end of the header to the end of the write
  std::string_view request_id;
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                 // 0 = any free port
  int io_threads = 1;
  int worker_threads = 4;
  size_t max_queue = 256;               // queued handler calls before 503
  size_t header_limit = 16 * 1024;      // bytes of request line + headers
  size_t max_header_count = 64;
  size_t body_limit = 64 * 1024;
  int header_timeout_seconds = 10;      // whole header must arrive within this
  int body_timeout_seconds = 20;
  int write_timeout_seconds = 20;
  int keep_alive_seconds = 30;          // idle time allowed between requests
  size_t max_connections = 4096;        // beyond this new connections are closed at once
  // Per TCP peer address (an IPv6 peer counts by its /64). Beyond it, and once the server
  // holds 3/4 of max_connections for any peer that already holds kFewConnections, a new
  // connection gets a 429 page and is closed: one machine cannot take every slot, and
  // the last quarter stays for addresses that hold few. 0 = no per-address cap.
  size_t max_connections_per_address = 32;
  // Peers exempt from the per-address connection cap: the trusted front proxy, which
  // carries everyone's connections.
  std::vector<std::string> unlimited_peers;
  // Requests queued or running, per Placement::client_key, across both lanes; beyond it 429.
  size_t max_in_flight_per_address = 8;
  // The hashing lane: its own threads (as many as Argon2id may run at once) and its own
  // bounded queue, served in turn per client key. Full (in all, or for that client key):
  // 429 "busy, try again in a minute" with Retry-After.
  int hashing_threads = 2;
  size_t hashing_queue = 32;
  size_t hashing_queue_per_address = 2;
  int busy_retry_after_seconds = 60;
  // Optional: see Placer. Empty = every request is {kGeneral, TCP peer address}.
  Placer placer;
  // Optional. Runs on an I/O thread once per response; must be cheap and must not throw
  // (exceptions are swallowed). Empty = no access log.
  std::function<void(const AccessLogEntry&)> access_log;
  // Optional: see MemoryHandler. Empty = every request goes to the worker pool.
  MemoryHandler memory_handler;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, Handler handler, RefusalRenderer refusal);
  ~HttpServer();  // stops and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the I/O and worker threads. Returns the bound port.
  Result<uint16_t> Start();
  // Stops accepting, closes connections, joins all threads. Idempotent. Handlers already
  // running are waited for; queued ones are dropped. Must not be called from a Handler,
  // a RefusalRenderer or the access log callback (it joins the threads they run on).
  void Stop();
  // Blocks until Stop() is called from elsewhere (e.g. a signal handler thread).
  void Wait();

  size_t queue_depth() const;          // the worker pool: waiting + running
  size_t hashing_queue_depth() const;  // the hashing lane: waiting + running

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The server's request handling without a socket: the bytes go through the same Beast
// parser, limits, header checks, memory handler and handler calls, refusal pages and
// response serialisation as
// a connection's (timeouts and the worker pool aside), pipelined requests included. Returns
// every byte the server would have written (and, if asked, each response's status). For
// fuzzing and tests; the handler runs on the calling thread; the client address is
// "127.0.0.1".
std::string ServeBytes(std::string_view bytes, const HttpOptions& options, const Handler& handler,
                       const RefusalRenderer& refusal, std::vector<unsigned>* statuses = nullptr);

// Parses an application/x-www-form-urlencoded body ('+' is a space) with Boost.URL.
// kInvalidInput on bad percent-encoding. Duplicate names are kept in order.
using FormFields = std::vector<std::pair<std::string, std::string>>;
Result<FormFields> ParseForm(std::string_view body);
std::optional<std::string_view> FormValue(const FormFields& form, std::string_view name);
std::vector<std::string_view> FormValues(const FormFields& form, std::string_view name);

// Parses a Cookie header into name/value pairs (RFC 6265 syntax; malformed pairs skipped).
std::vector<std::pair<std::string, std::string>> ParseCookies(std::string_view header);
std::optional<std::string> RequestCookie(const Request& request, std::string_view name);

}  // namespace vd

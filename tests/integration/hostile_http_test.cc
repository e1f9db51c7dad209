// A hostile-HTTP battery against the running server (real sockets, the real Runtime on
// SQLite): oversized and malformed requests, header injection, NUL bytes and invalid UTF-8,
// static path traversal, forged client-address headers, SQL-injection and XSS payloads in
// every form field, unusual methods, and 300 slow clients. Every case must end in a clean
// 4xx or a correct page: never a 5xx, never a crash, never a half-stored conversation.

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"
#include "web/http.h"

namespace vd::testing {
namespace {

namespace asio = boost::asio;

constexpr char kPassword[] = "correct horse battery staple";
constexpr char kForgedIp[] = "203.0.113.199";

class HostileHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start(Backend::kSqlite)) return;
    // Generous throttles: this battery is about parsing and escaping, not about limits
    // (throttle_http_test.cc covers those).
    server_.runtime.reset();
    server_.config.site.start_per_client = {100000, 1000};
    server_.config.site.login_per_client = {100000, 1000};
    server_.config.site.receipt_per_client = {100000, 1000};
    server_.config.site.start_global = {100000, 1000};
    server_.config.site.login_global = {100000, 1000};
    server_.config.site.receipt_global = {100000, 1000};
    auto rt = Runtime::Open(server_.config, server_.clock);
    ASSERT_TRUE(rt.has_value()) << rt.error().detail;
    server_.runtime = std::move(*rt);
    Runtime& r = *server_.runtime;
    AddOrganisation(r, "dehaven", "De Haven");
    totp_ = AddStaff(r, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    auto port = r.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client Worker() {
    Client c(port_);
    c.extra_headers["Accept-Language"] = "en";
    return c;
  }

  Client Advisor() {
    Client c = Worker();
    c.Get("/staff/login");
    auto secret = TotpSecretFromBase32(totp_);
    EXPECT_TRUE(secret.has_value());
    server_.clock.Advance(30);  // a fresh TOTP step for every login
    HttpResult r = c.Post("/staff/login", {{"csrf", c.csrf},
                                           {"username", "advisor.dehaven"},
                                           {"password", kPassword},
                                           {"code", TotpCode(*secret, server_.clock.Now())}});
    EXPECT_EQ(r.status, 303) << r.body;
    return c;
  }

  int64_t Conversations() {
    auto counts = store_test::ReadOne(server_.runtime->store(), &ConversationStore::CountByStatus);
    EXPECT_TRUE(counts.has_value());
    if (!counts) return -1;
    int64_t total = 0;
    for (const auto& [status, n] : *counts) total += n;
    return total;
  }

  // Sends raw bytes; the answer must be a clean 4xx (or, if `ok_status`, that status).
  HttpResult Expect4xx(const std::string& bytes, const std::string& what) {
    HttpResult r = Client(port_).Raw(bytes);
    EXPECT_GE(r.status, 400) << what;
    EXPECT_LT(r.status, 500) << what << "\n" << r.body;
    return r;
  }

  // The server still answers a normal request.
  void ExpectAlive() {
    HttpResult r = Worker().Get("/");
    EXPECT_EQ(r.status, 200);
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::string totp_;
};

bool HasHeader(const HttpResult& r, const std::string& lower_name) {
  for (const auto& [name, value] : r.headers) {
    if (name == lower_name) return true;
  }
  return false;
}

TEST_F(HostileHttpTest, OversizedHeadersBodiesAndHeaderCounts) {
  if (!server_.runtime) return;
  const int64_t before = Conversations();
  std::string big_header = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Expect4xx(big_header, "big header").status, 431);
  std::string long_target = "GET /?q=" + std::string(20000, 'b') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(Expect4xx(long_target, "long target").status, 431);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i) many += "X-H" + std::to_string(i) + ": 1\r\n";
  EXPECT_EQ(Expect4xx(many + "\r\n", "100 headers").status, 431);
  EXPECT_EQ(Expect4xx("POST /start HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: 10000000\r\n\r\nmessage=",
                      "declared big body")
                .status,
            413);
  Client w = Worker();
  w.Get("/start");
  std::string body = "csrf=" + UrlEncode(w.csrf) + "&organisation=dehaven&message=" + std::string(200000, 'x');
  HttpResult big = w.PostRaw("/start", body);
  EXPECT_EQ(big.status, 413);
  // The same body, chunked.
  std::string chunked = "POST /start HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "2710\r\n" + std::string(10000, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(Expect4xx(chunked, "big chunked body").status, 413);
  EXPECT_EQ(Conversations(), before);
  ExpectAlive();
}

TEST_F(HostileHttpTest, BadChunkedEncodingIsA400) {
  if (!server_.runtime) return;
  const int64_t before = Conversations();
  const std::string head = "POST /start HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n";
  for (const std::string& bad : {
           std::string("Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: identity\r\n\r\nhello"),
           std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
           std::string("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
           std::string("Content-Length: -5\r\n\r\nhello"),
           std::string("Content-Length: 99999999999999999999999\r\n\r\nhello"),
       }) {
    // A chunk size too large to ever fit is refused by the body limit (413), the rest as
    // malformed (400).
    const int status = Expect4xx(head + bad, bad).status;
    if (bad.find("7fffffffffffffff") != std::string::npos) {
      EXPECT_EQ(status, 413) << bad;
    } else {
      EXPECT_EQ(status, 400) << bad;
    }
  }
  EXPECT_EQ(Conversations(), before);
  ExpectAlive();
}

TEST_F(HostileHttpTest, CrLfInValuesNeverSplitsTheResponse) {
  if (!server_.runtime) return;
  auto clean = [](const HttpResult& r, const std::string& what) {
    EXPECT_LT(r.status, 500) << what;
    EXPECT_NE(r.status, 0) << what;
    EXPECT_FALSE(HasHeader(r, "x-injected")) << what;
    for (const std::string& c : r.Headers("set-cookie")) EXPECT_EQ(c.find("injected"), std::string::npos) << what;
  };
  Client w = Worker();
  clean(w.Get("/?lang=en%0D%0AX-Injected:%201"), "lang query");
  clean(w.Get("/start?lang=%0D%0ASet-Cookie:%20injected=1"), "lang query cookie");
  clean(w.Get("/%0D%0AX-Injected:%201"), "path");
  clean(w.Get("/staff/c/abc%0D%0AX-Injected:%201"), "staff path");
  // A header value cannot carry a raw CR/LF (that is a new header or a parse error), and
  // obs-fold continuation lines are refused.
  clean(Client(port_).Raw("GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\n X-Injected: 1\r\n\r\n"), "obs-fold");
  clean(Client(port_).Raw("GET / HTTP/1.1\r\nHost: x\r\nCookie: vd_lang=en\rX-Injected: 1\r\n\r\n"), "bare CR");
  clean(Client(port_).Raw("GET / HTTP/1.1\r\nHost: x\r\nCookie: vd_lang=en%0D%0AX-Injected:%201\r\n\r\n"),
        "encoded CRLF in cookie");
  // Form fields with CRLF: refused or stored as text, never reflected into a header.
  w.Get("/start");
  HttpResult r = w.Post("/start", {{"csrf", w.csrf},
                                   {"organisation", "dehaven\r\nX-Injected: 1"},
                                   {"message", "hi\r\nX-Injected: 1"},
                                   {"answer_language", "en\r\nX-Injected: 1"}});
  clean(r, "start form");
  w.Get("/open");
  clean(w.Post("/open", {{"csrf", w.csrf}, {"receipt", "1234\r\nX-Injected: 1"}}), "open form");
  Client s = Worker();
  s.Get("/staff/login");
  clean(s.Post("/staff/login", {{"csrf", s.csrf}, {"username", "a\r\nX-Injected: 1"}, {"password", "p"},
                                {"code", "1\r\nX-Injected: 1"}}),
        "login form");
  ExpectAlive();
}

TEST_F(HostileHttpTest, NulBytesAndInvalidUtf8) {
  if (!server_.runtime) return;
  const int64_t before = Conversations();
  Expect4xx("GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", "NUL in path");
  Expect4xx(std::string("GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: e\0n\r\n\r\n", 44), "NUL in header");
  Expect4xx(std::string("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n", 27), "raw NUL in target");
  HttpResult r = Worker().Get("/start?lang=%00");
  EXPECT_EQ(r.status, 200);  // an unknown language is ignored
  r = Worker().Get("/%C3%28");
  EXPECT_EQ(r.status, 404);
  Client w = Worker();
  w.Get("/start");
  for (const std::string bad : {"%00", "%C3%28", "%FF%FE", "%ED%A0%80", "%C0%AF", "ab%00cd"}) {
    for (const std::string field : {"message", "organisation", "answer_language", "age_band", "work_setting"}) {
      std::string body = "csrf=" + UrlEncode(w.csrf);
      body += std::string("&organisation=") + (field == "organisation" ? bad : std::string("dehaven"));
      body += std::string("&message=") + (field == "message" ? bad : std::string("hello"));
      if (field != "organisation" && field != "message") body += "&" + field + "=" + bad;
      HttpResult p = w.PostRaw("/start", body);
      EXPECT_GE(p.status, 400) << field << "=" << bad;
      EXPECT_LT(p.status, 500) << field << "=" << bad;
    }
  }
  EXPECT_EQ(Conversations(), before);
  ExpectAlive();
}

TEST_F(HostileHttpTest, StaticPathTraversalFindsNothing) {
  if (!server_.runtime) return;
  EXPECT_EQ(Worker().Get("/static/style.css").status, 200);
  for (const std::string target : {
           "/static/../templates/layout.mustache", "/static/%2e%2e/templates/layout.mustache",
           "/static/%2E%2E/%2E%2E/etc/passwd", "/static/..%2ftemplates%2flayout.mustache",
           "/static/..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
           "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/..\\..\\etc\\passwd",
           "/static/..%5c..%5cetc%5cpasswd", "/static/style.css%00.mustache", "/static/./style.css/..",
           "/static/%252e%252e/templates/layout.mustache", "/static/.%2e/CMakeLists.txt",
           "/static/", "/static/.", "/static/..", "/static/../../../../../../etc/passwd"}) {
    HttpResult r = Worker().Get(target);
    EXPECT_GE(r.status, 400) << target;
    EXPECT_LT(r.status, 500) << target;
    EXPECT_EQ(r.body.find("{{"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("cmake_minimum_required"), std::string::npos) << target;
  }
}

TEST_F(HostileHttpTest, ForgedClientAddressHeadersAreIgnored) {
  if (!server_.runtime) return;
  server_.runtime.reset();
  // Back to the shipped receipt limits for this case.
  server_.config.site.receipt_per_client = SiteConfig{}.receipt_per_client;
  auto rt = Runtime::Open(server_.config, server_.clock);
  ASSERT_TRUE(rt.has_value());
  server_.runtime = std::move(*rt);
  auto port = server_.runtime->Start();
  ASSERT_TRUE(port.has_value());
  port_ = *port;
  Client c = Worker();
  c.Get("/open");
  int checked = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string ip = "203.0.113." + std::to_string(100 + i);
    c.extra_headers["X-Forwarded-For"] = ip;
    c.extra_headers["X-Real-IP"] = ip;
    c.extra_headers["Forwarded"] = "for=" + ip;
    c.extra_headers["REMOTE_ADDR"] = ip;
    c.extra_headers["Remote-Addr"] = ip;
    c.extra_headers["X-Client-IP"] = ip;
    c.extra_headers["True-Client-IP"] = ip;
    c.extra_headers["CF-Connecting-IP"] = kForgedIp;
    HttpResult r = c.Post("/open", {{"csrf", c.csrf}, {"receipt", "0000 0000 0000 " + std::to_string(1000 + i)}});
    EXPECT_TRUE(r.status == 404 || r.status == 429) << r.status;
    if (r.status == 404) ++checked;
    EXPECT_EQ(r.body.find("203.0.113."), std::string::npos);
    for (const auto& [name, value] : r.headers) EXPECT_EQ(value.find("203.0.113."), std::string::npos) << name;
  }
  EXPECT_LE(checked, 5);  // one bucket for the real peer, whatever the headers say
  EXPECT_EQ(server_.log->str().find("203.0.113."), std::string::npos);
}

TEST_F(HostileHttpTest, InjectionPayloadsInEveryFormFieldAreInertAndEscaped) {
  if (!server_.runtime) return;
  const std::vector<std::string> payloads = {
      "' OR '1'='1",
      "'; DROP TABLE conversations; --",
      "\" OR 1=1 --",
      "1; DELETE FROM users",
      "<script>alert(1)</script>",
      "\"><img src=x onerror=alert(1)>",
      "'><svg onload=alert(1)>",
      "{{csrf}}{{{content}}}",
      "javascript:alert(1)",
  };
  auto inert = [](const HttpResult& r, const std::string& what) {
    EXPECT_NE(r.status, 0) << what;
    EXPECT_LT(r.status, 500) << what << "\n" << r.body;
    for (const std::string raw : {"<script>alert(1)", "<img src=x", "<svg onload"}) {
      EXPECT_EQ(r.body.find(raw), std::string::npos) << what;
    }
  };
  // Worker forms. A payload in a choice field must be refused without storing anything.
  Client w = Worker();
  w.Get("/start");
  for (const std::string& p : payloads) {
    for (const std::string field : {"organisation", "answer_language", "age_band", "work_setting"}) {
      const int64_t before = Conversations();
      std::vector<std::pair<std::string, std::string>> form = {
          {"csrf", w.csrf}, {"organisation", "dehaven"}, {"message", "hello"}};
      if (field == "organisation") form[1].second = p; else form.emplace_back(field, p);
      HttpResult r = w.Post("/start", form);
      inert(r, "/start " + field + "=" + p);
      if (r.status >= 400) {
        EXPECT_EQ(Conversations(), before) << field << "=" << p;
      }
    }
    Client o = Worker();
    o.Get("/open");
    HttpResult r = o.Post("/open", {{"csrf", o.csrf}, {"receipt", p}});
    inert(r, "/open receipt=" + p);
    EXPECT_EQ(r.status, 400) << p;
  }
  // The message field is stored: every payload comes back escaped, to the worker and to the
  // advisor.
  std::string all;
  for (const std::string& p : payloads) all += p + "\n";
  Client m = Worker();
  m.Get("/start");
  HttpResult started = m.Post("/start", {{"csrf", m.csrf}, {"organisation", "dehaven"}, {"message", all}});
  ASSERT_EQ(started.status, 200) << started.body;
  HttpResult conv = m.Get("/c");
  inert(conv, "worker conversation");
  EXPECT_NE(conv.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << conv.body;
  EXPECT_NE(conv.body.find("&apos;; DROP TABLE conversations; --"), std::string::npos);
  // Shown as typed: a value is never evaluated as a template.
  EXPECT_NE(conv.body.find("{{csrf}}{{{content}}}"), std::string::npos);
  HttpResult replied = m.Post("/c/reply", {{"csrf", m.csrf}, {"message", all}});
  EXPECT_EQ(replied.status, 303);
  inert(m.Get("/c"), "worker conversation after reply");

  // Staff forms.
  for (const std::string& p : payloads) {
    Client s = Worker();
    s.Get("/staff/login");
    inert(s.Post("/staff/login", {{"csrf", s.csrf}, {"username", p}, {"password", p}, {"code", p}}),
          "/staff/login " + p);
    inert(s.Post("/staff/login", {{"csrf", s.csrf}, {"username", "advisor.dehaven"}, {"password", p}, {"code", "000000"}}),
          "/staff/login password " + p);
    server_.clock.Advance(301);  // let the lockout from wrong passwords pass
  }
  Client a = Advisor();
  HttpResult inbox = a.Get("/staff");
  inert(inbox, "inbox");
  const std::string id = Extract(inbox.body, "href=\"/staff/c/([A-Za-z0-9_-]+)\"");
  ASSERT_FALSE(id.empty()) << inbox.body;
  HttpResult read = a.Get("/staff/c/" + id);
  inert(read, "advisor view");
  EXPECT_NE(read.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  for (const std::string& p : payloads) {
    inert(a.Post("/staff/c/" + id + "/reply", {{"csrf", a.csrf}, {"message", p}}), "advisor reply " + p);
    inert(a.Get("/staff/c/" + UrlEncode(p)), "advisor path " + p);
    inert(a.Post("/staff/c/" + UrlEncode(p) + "/reply", {{"csrf", a.csrf}, {"message", p}}), "reply path " + p);
  }
  inert(a.Get("/staff/c/" + id), "advisor view after replies");
  // The tables are all still there and the conversation still opens.
  EXPECT_GE(Conversations(), 1);
  auto users = store_test::ReadOne(server_.runtime->store(), &StaffStore::ListUsers);
  ASSERT_TRUE(users.has_value());
  EXPECT_EQ(users->size(), 1u);
}

// The payloads every staff form below gets in every field.
std::vector<std::string> HostileValues() {
  return {"' OR '1'='1",
          "'; DROP TABLE users; --",
          "\" OR 1=1 --",
          "<script>alert(1)</script>",
          "\"><img src=x onerror=alert(1)>",
          "'><svg onload=alert(1)>",
          "{{csrf}}{{{content}}}",
          "123456\r\nX-Injected: 1",
          "12\r\n\r\n<script>alert(1)</script>",
          std::string("123\0" "456", 7),
          std::string(100 * 1024, '7'),
          std::string(5000, '<')};
}

void ExpectInert(const HttpResult& r, const std::string& what) {
  EXPECT_NE(r.status, 0) << what;
  EXPECT_LT(r.status, 500) << what << "\n" << r.body.substr(0, 2000);
  for (const std::string raw : {"<script>alert(1)", "<img src=x", "<svg onload"}) {
    EXPECT_EQ(r.body.find(raw), std::string::npos) << what;
  }
  for (const auto& [name, value] : r.headers) EXPECT_NE(name, "x-injected") << what;
}

// Invalid UTF-8 and encoded NUL bytes, as raw form bodies (percent-escapes the server decodes).
const char* const kBadBytes[] = {"%C3%28", "%FF%FE", "%ED%A0%80", "%C0%AF", "%00", "ab%00cd", "%80"};

TEST_F(HostileHttpTest, TotpEnrolmentFormRefusesHostileValuesCleanly) {
  if (!server_.runtime) return;
  NewUser u{"new.advisor", kPassword, Role::kAdvisor, "dehaven", false, std::nullopt};
  ASSERT_TRUE(server_.runtime->staff().CreateUser(u).has_value());
  Client c = Worker();
  c.Get("/staff/login");
  HttpResult r = c.Post("/staff/login", {{"csrf", c.csrf}, {"username", "new.advisor"},
                                         {"password", kPassword}, {"code", ""}});
  ASSERT_EQ(r.status, 303);
  ASSERT_EQ(r.Header("location"), "/staff/enrol");
  HttpResult page = c.Get("/staff/enrol");
  ASSERT_EQ(page.status, 200);
  std::string secret = Extract(page.body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto key = TotpSecretFromBase32(secret);
  ASSERT_TRUE(key.has_value()) << page.body;

  auto not_enrolled = [&](const std::string& what) {
    auto user = store_test::ReadOne(server_.runtime->store(), &StaffStore::FindUserByUsername,
                                    "new.advisor");
    ASSERT_TRUE(user.has_value());
    EXPECT_FALSE(user->totp_enabled) << what;
    EXPECT_TRUE(user->wrapped_totp_secret.empty()) << what;
    EXPECT_EQ(c.Get("/staff").status, 303) << what;  // still not logged in
  };
  for (const std::string& v : HostileValues()) {
    const std::string what = "code=" + v.substr(0, 40);
    HttpResult e = c.Post("/staff/enrol", {{"csrf", c.csrf}, {"code", v}});
    ExpectInert(e, what);
    // Wrong code: the form again with an error (400); a body over the limit: 413.
    EXPECT_EQ(e.status, v.size() > 64 * 1024 ? 413 : 400) << what;
    if (e.status == 400) {
      EXPECT_NE(e.body.find("<svg"), std::string::npos) << what;
    }
    // The payload in the CSRF field (and a second code field): refused before the handler.
    ExpectInert(c.Post("/staff/enrol", {{"csrf", v}, {"code", "000000"}}), "csrf=" + what);
    ExpectInert(c.Post("/staff/enrol", {{"csrf", c.csrf}, {"code", "000000"}, {v, v}}), "field " + what);
    not_enrolled(what);
  }
  for (const char* bad : kBadBytes) {
    HttpResult e = c.PostRaw("/staff/enrol", "csrf=" + UrlEncode(c.csrf) + "&code=" + bad);
    ExpectInert(e, std::string("raw code=") + bad);
    EXPECT_EQ(e.status, 400) << bad;
    not_enrolled(bad);
  }
  // CRLF in the target: no header injection, no 5xx.
  ExpectInert(c.Get("/staff/enrol%0D%0AX-Injected:%201"), "enrol path");
  // After all that, the right code still completes the enrolment, exactly once.
  r = c.Post("/staff/enrol", {{"csrf", c.csrf}, {"code", TotpCode(*key, server_.clock.Now())}});
  EXPECT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(c.Get("/staff").status, 200);
  auto user =
      store_test::ReadOne(server_.runtime->store(), &StaffStore::FindUserByUsername, "new.advisor");
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->totp_enabled);
}

TEST_F(HostileHttpTest, HelpEditorShowsHostileTextEscapedAndNeverHalfStores) {
  if (!server_.runtime) return;
  const std::string totp = AddStaff(*server_.runtime, "coordinator.dehaven", kPassword,
                                    Role::kCoordinator, "dehaven");
  Client c = Worker();
  server_.clock.Advance(30);
  ASSERT_EQ(LogIn(c, "coordinator.dehaven", kPassword, totp, server_.clock.Now()).status, 303);
  Store& store = server_.runtime->store();
  auto stored = [&]() {
    auto page = store_test::ReadOne(store, &HelpStore::Find, "en", "health");
    EXPECT_TRUE(page.has_value());
    return page ? page->markdown : std::string();
  };
  const std::string shipped = stored();
  ASSERT_FALSE(shipped.empty());
  ASSERT_EQ(c.Get("/staff/help/en/health").status, 200);

  std::string current = shipped;
  for (const std::string& v : HostileValues()) {
    const std::string what = "markdown=" + v.substr(0, 40);
    const std::string text = "# Title\n\n" + v + "\n\n[x](javascript:alert(1)) [y](tel:112<x>)";
    const bool has_nul = v.find('\0') != std::string::npos;
    const bool too_big = text.size() > 32 * 1024;
    // Preview: shown back escaped in the text box, rendered safely below; nothing stored.
    HttpResult p = c.Post("/staff/help/en/health", {{"csrf", c.csrf}, {"markdown", text}, {"action", "preview"}});
    ExpectInert(p, "preview " + what);
    EXPECT_EQ(p.body.find("href=\"javascript"), std::string::npos) << what;
    EXPECT_EQ(p.body.find("href=\"tel:112<"), std::string::npos) << what;
    if (p.status == 200 && v.starts_with("<script>")) {
      EXPECT_NE(p.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << what;
    }
    if (p.status == 200 && v.starts_with("{{csrf}}")) {
      EXPECT_NE(p.body.find("{{csrf}}{{{content}}}"), std::string::npos) << what;
    }
    EXPECT_EQ(stored(), current) << "preview stored " << what;
    // Save: stored exactly as sent, or refused with the form (4xx) and nothing changed.
    HttpResult s = c.Post("/staff/help/en/health", {{"csrf", c.csrf}, {"markdown", text}, {"action", "save"}});
    ExpectInert(s, "save " + what);
    if (v.size() > 64 * 1024) {
      EXPECT_EQ(s.status, 413) << what;  // over the server's body limit
    } else if (too_big) {
      EXPECT_EQ(s.status, 413) << what;
      EXPECT_NE(s.body.find("The page is too long."), std::string::npos) << what;
    } else if (has_nul) {
      EXPECT_EQ(s.status, 400) << what;
      EXPECT_NE(s.body.find("<textarea"), std::string::npos) << what;
      EXPECT_EQ(s.body.find("The page cannot be empty."), std::string::npos) << what;
    } else {
      EXPECT_EQ(s.status, 303) << what << "\n" << s.body.substr(0, 2000);
      current = text;
    }
    EXPECT_EQ(stored(), current) << "save " << what;
    // What workers and the editor see now is escaped.
    ExpectInert(Worker().Get("/help/health"), "worker page after " + what);
    ExpectInert(c.Get("/staff/help/en/health"), "editor after " + what);
    // Hostile values in the other fields and in the path: refused or harmless.
    ExpectInert(c.Post("/staff/help/en/health", {{"csrf", v}, {"markdown", "# x"}, {"action", "save"}}),
                "csrf " + what);
    EXPECT_EQ(stored(), current) << "csrf " << what;
    // Only the two buttons' values (or none) are actions.
    HttpResult a = c.Post("/staff/help/en/health", {{"csrf", c.csrf}, {"markdown", "# Other"}, {"action", v}});
    ExpectInert(a, "action " + what);
    EXPECT_EQ(a.status, v.size() > 64 * 1024 ? 413 : 400) << "action " << what;
    EXPECT_EQ(stored(), current) << "action " << what;
    if (v.size() < 1024) {
      for (const std::string& target : {"/staff/help/" + UrlEncode(v) + "/health",
                                        "/staff/help/en/" + UrlEncode(v)}) {
        HttpResult g = c.Get(target);
        ExpectInert(g, "GET " + target);
        EXPECT_TRUE(g.status == 404 || g.status == 400) << target << " " << g.status;
        HttpResult w = c.Post(target, {{"csrf", c.csrf}, {"markdown", "# Changed"}, {"action", "save"}});
        ExpectInert(w, "POST " + target);
        EXPECT_TRUE(w.status == 404 || w.status == 400) << target << " " << w.status;
      }
    }
  }
  for (const char* bad : kBadBytes) {
    const std::string before = stored();
    for (const std::string field : {"markdown", "action"}) {
      std::string body = "csrf=" + UrlEncode(c.csrf) + "&markdown=" +
                         (field == "markdown" ? std::string("%23+T%0A") + bad : std::string("%23+T")) +
                         "&action=" + (field == "action" ? std::string(bad) : std::string("save"));
      HttpResult e = c.PostRaw("/staff/help/en/health", body);
      ExpectInert(e, std::string("raw ") + field + "=" + bad);
      EXPECT_EQ(e.status, 400) << field << "=" << bad;
      EXPECT_EQ(stored(), before) << field << "=" << bad;
    }
  }
  // No action field (a form sent without its button) saves.
  EXPECT_EQ(c.Post("/staff/help/en/health", {{"csrf", c.csrf}, {"markdown", "# Saved without a button"}}).status, 303);
  EXPECT_EQ(stored(), "# Saved without a button");
  // Empty and blank pages are refused; the last good text stays.
  const std::string before = stored();
  for (const std::string blank : {"", "   ", "\r\n\r\n"}) {
    HttpResult e = c.Post("/staff/help/en/health", {{"csrf", c.csrf}, {"markdown", blank}, {"action", "save"}});
    EXPECT_EQ(e.status, 400);
    EXPECT_NE(e.body.find("The page cannot be empty."), std::string::npos);
  }
  EXPECT_EQ(stored(), before);
  // The other languages' page and the tables are untouched.
  auto nl = store_test::ReadOne(store, &HelpStore::Find, "nl", "health");
  ASSERT_TRUE(nl.has_value());
  EXPECT_NE(nl->markdown, before);
  EXPECT_EQ(Conversations(), 0);
  ExpectAlive();
}

TEST_F(HostileHttpTest, MethodsOtherThanGetPostHeadGet405WithAllow) {
  if (!server_.runtime) return;
  for (const std::string method : {"PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND", "FOO"}) {
    for (const std::string path : {"/", "/start", "/staff/login", "/static/style.css", "/nope"}) {
      HttpResult r = Client(port_).Raw(method + " " + path +
                                       " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n"
                                       "X-Echo: canary-trace\r\n\r\n");
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(r.Header("allow"), "GET, HEAD, POST") << method << " " << path;
      EXPECT_EQ(r.body.find("canary-trace"), std::string::npos);
    }
  }
  // CONNECT takes an authority, not a path: a plain 400.
  Expect4xx("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n", "CONNECT");
  HttpResult head = Client(port_).Raw("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(HostileHttpTest, ThreeHundredSlowClientsDoNotStarveANormalOne) {
  if (!server_.runtime) return;
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> slow;
  for (int i = 0; i < 300; ++i) {
    auto s = std::make_unique<asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    // From ten addresses (30 each, under the per-address cap), as slow phones would come.
    s->open(asio::ip::tcp::v4(), ec);
    ASSERT_FALSE(ec);
    s->bind({asio::ip::make_address("127.0.1." + std::to_string(10 + i % 10)), 0}, ec);
    ASSERT_FALSE(ec);
    s->connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
    ASSERT_FALSE(ec) << "connection " << i << ": " << ec.message();
    // Half a request line and one header, then nothing: a slow-loris client.
    const std::string part = i % 2 ? "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " : "POST /start HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nmess";
    asio::write(*s, asio::buffer(part), ec);
    ASSERT_FALSE(ec);
    slow.push_back(std::move(s));
  }
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    HttpResult r = Worker().Get("/");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(ms, 1000) << "landing page took " << ms << " ms with 300 slow clients";
    // Trickle one more byte on every slow connection between rounds.
    for (auto& s : slow) {
      boost::system::error_code ec;
      asio::write(*s, asio::buffer("a", 1), ec);
    }
  }
}

// ServeBytes (what fuzz_http drives) answers like a connection does.
TEST(ServeBytesTest, AnswersLikeTheServer) {
  HttpOptions options;
  Handler handler = [](const Request& r) {
    Response res;
    res.Set("Content-Type", "text/plain");
    res.body = r.method + " " + r.path + " " + r.body;
    return res;
  };
  RefusalRenderer refusal = [](const Request&, ErrorCode) {
    Response res;
    res.body = "refused";
    return res;
  };
  std::vector<unsigned> statuses;
  std::string out = ServeBytes(
      "GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
      options, handler, refusal, &statuses);
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 400}));
  EXPECT_NE(out.find("GET /a b "), std::string::npos);
  EXPECT_NE(out.find("POST /p abc"), std::string::npos);
  EXPECT_NE(out.find("HTTP/1.1 400 Bad Request\r\n"), std::string::npos);
  EXPECT_EQ(out.find("/never"), std::string::npos);
  statuses.clear();
  ServeBytes("GET / HTTP/1.1\r\nX: " + std::string(options.header_limit + 10, 'a') + "\r\n\r\n", options, handler,
             refusal, &statuses);
  EXPECT_EQ(statuses, (std::vector<unsigned>{431}));
  statuses.clear();
  Handler thrower = [](const Request&) -> Response { throw std::runtime_error("secret detail"); };
  out = ServeBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n", options, thrower, refusal, &statuses);
  EXPECT_EQ(statuses, (std::vector<unsigned>{500}));
  EXPECT_EQ(out.find("secret detail"), std::string::npos);
}

}  // namespace
}  // namespace vd::testing

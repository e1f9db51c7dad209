// CSRF tokens bound to the session (issue 16 item 3): which token a page's forms carry, before
// a session, in one, and after a handler begins or forgets one in the same request.

#include "web/sessions.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/crypto.h"
#include "store/store.h"

namespace vd {
namespace {

class WebSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().has_value());
    dir_ = std::filesystem::temp_directory_path() / ("vd-websessions-" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(dir_);
    // The store is never touched by the calls under test; Sessions only needs one to exist.
    auto store = OpenStore("sqlite:" + (dir_ / "t.db").string(), 1);
    ASSERT_TRUE(store.has_value()) << store.error().detail;
    store_ = std::move(*store);
    sessions_ = std::make_unique<Sessions>(*store_, clock_, SessionPolicy{});
    web_ = std::make_unique<WebSessions>(*sessions_, false, std::string(32, 'k'));
  }
  void TearDown() override {
    web_.reset();
    sessions_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static Request WithCookies(const std::string& cookies) {
    Request r;
    r.method = "GET";
    r.path = "/";
    if (!cookies.empty()) r.headers.emplace_back("cookie", cookies);
    return r;
  }

  std::filesystem::path dir_;
  FakeClock clock_{1798761600};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Sessions> sessions_;
  std::unique_ptr<WebSessions> web_;
};

TEST_F(WebSessionsTest, ATokenBelongsToOneSessionOrBeforeAnySessionToTheAnchor) {
  const std::string anchor = RandomToken(24);
  const std::string a = RandomToken(32), b = RandomToken(32);
  const std::string before = web_->CsrfToken(WithCookies("vd_a=" + anchor), anchor);
  const std::string in_a =
      web_->CsrfToken(WithCookies("vd_a=" + anchor + "; vd_session=" + a), anchor);
  const std::string in_b =
      web_->CsrfToken(WithCookies("vd_a=" + anchor + "; vd_session=" + b), anchor);
  EXPECT_FALSE(before.empty());
  EXPECT_NE(in_a, before);
  EXPECT_NE(in_b, before);
  EXPECT_NE(in_a, in_b);
  // The same session gives the same token, whatever the anchor (a page and its post agree).
  EXPECT_EQ(web_->CsrfToken(WithCookies("vd_session=" + a), RandomToken(24)), in_a);
  // Another anchor without a session: another token.
  EXPECT_NE(web_->CsrfToken(WithCookies(""), RandomToken(24)), before);
  // A malformed session cookie counts as none.
  EXPECT_EQ(web_->CsrfToken(WithCookies("vd_a=" + anchor + "; vd_session=short"), anchor), before);
  // Another server's key gives other tokens.
  WebSessions other(*sessions_, false, std::string(32, 'o'));
  EXPECT_NE(other.CsrfToken(WithCookies("vd_session=" + a), anchor), in_a);
}

TEST_F(WebSessionsTest, APageRenderedAfterBeginCarriesTheNewSessionsToken) {
  const std::string anchor = RandomToken(24);
  const Request start = WithCookies("vd_a=" + anchor);
  Ctx ctx(start);
  ctx.anchor = anchor;
  ctx.csrf = web_->CsrfToken(start, anchor);
  const std::string before = ctx.csrf;

  // The receipt page is rendered in the request that began the session.
  const std::string token = RandomToken(32);
  web_->Begin(ctx, token);
  ASSERT_EQ(ctx.cookies.size(), 1u);
  EXPECT_EQ(ctx.cookies[0].rfind("vd_session=" + token + ";", 0), 0u) << ctx.cookies[0];
  EXPECT_NE(ctx.csrf, before);
  // ... and its token is the one the browser's next request (with the new cookie) expects.
  EXPECT_EQ(ctx.csrf,
            web_->CsrfToken(WithCookies("vd_a=" + anchor + "; vd_session=" + token), anchor));

  // A page rendered after the cookie is dropped carries the anchor's token again.
  web_->Forget(ctx);
  ASSERT_EQ(ctx.cookies.size(), 2u);
  EXPECT_NE(ctx.cookies[1].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(ctx.csrf, before);
}

}  // namespace
}  // namespace vd

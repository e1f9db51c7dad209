#include "notify/mail.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(MailTest, OnlyPlainAddressesAreAddresses) {
  for (const char* good : {"advisor@dehaven.nl", "a.b-c+d@mail.example.org", "x@a.io"}) {
    EXPECT_TRUE(IsMailAddress(good)) << good;
  }
  for (const char* bad : {"", "nobody", "@dehaven.nl", "a@", "a@localhost", "a@b@c.nl", "a b@c.nl",
                          "a@c.nl\r\nBcc: x@y.nl", "\"a\"@c.nl", "a@c..nl", ".a@c.nl", "a.@c.nl",
                          "a@-", "a@c.nl.", "<a@c.nl>", "a@c_d.nl", "ä@c.nl"}) {
    EXPECT_FALSE(IsMailAddress(bad)) << bad;
  }
  EXPECT_FALSE(IsMailAddress(std::string(250, 'a') + "@c.nl"));
}

TEST(MailTest, TheServerSettingsAreCheckedBeforeAnythingIsSent) {
  MailServer s;
  s.url = "smtp://mail.example.org:587";
  s.from = "vertrouwd@example.org";
  EXPECT_TRUE(CheckMailServer(s));
  s.starttls = false;  // in the clear across a network: refused
  EXPECT_FALSE(CheckMailServer(s));
  s.url = "smtp://127.0.0.1:2525";  // a local relay may speak plain SMTP
  EXPECT_TRUE(CheckMailServer(s));
  s.url = "smtp://[::1]:25";
  EXPECT_TRUE(CheckMailServer(s));
  s.url = "http://mail.example.org";
  EXPECT_FALSE(CheckMailServer(s));
  s.url = "smtp://";
  EXPECT_FALSE(CheckMailServer(s));
  s.url = "smtps://mail.example.org";
  s.from = "not an address";
  EXPECT_FALSE(CheckMailServer(s));
}

TEST(MailTest, TheMessageHoldsTheGivenTextsAndFixedHeadersOnly) {
  Mail m{"advisor@dehaven.nl", "Vertrouwd", "Regel een\nRegel twee\n.punt\n"};
  const std::string msg = ComposeMessage(m, "vertrouwd@example.org", 1798761600 + 3 * 3600 + 125);
  const size_t blank = msg.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  const std::string head = msg.substr(0, blank + 2);
  EXPECT_EQ(msg.substr(blank + 4), "Regel een\r\nRegel twee\r\n.punt\r\n");
  // The Date is to the minute; the Message-ID random, on the sender's domain.
  EXPECT_NE(head.find("\r\nDate: Fri, 01 Jan 2027 03:02:00 +0000\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.starts_with("From: vertrouwd@example.org\r\nTo: advisor@dehaven.nl\r\n"
                               "Subject: Vertrouwd\r\n"));
  EXPECT_NE(head.find("@example.org>\r\n"), std::string::npos);
  size_t lines = 0;
  for (size_t p = 0; (p = head.find("\r\n", p)) != std::string::npos; p += 2) ++lines;
  EXPECT_EQ(lines, 8u) << head;  // From To Subject Date Message-ID MIME-Version 2x Content-*
  const std::string again = ComposeMessage(m, "vertrouwd@example.org", 1798761600);
  EXPECT_NE(again.substr(again.find("Message-ID")), msg.substr(msg.find("Message-ID")));
}

TEST(MailTest, NothingIsSentToAnAddressThatIsNotOne) {
  MailServer s;
  s.url = "smtp://127.0.0.1:1";
  s.starttls = false;
  s.from = "vertrouwd@example.org";
  Status sent = SendMail(s, Mail{"x@y.nl\r\nRCPT TO:<z@w.nl>", "S", "b"}, 0);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(sent.error().detail.find("x@y.nl"), std::string::npos);
  // A server that is not there: unavailable, and the detail names no address.
  sent = SendMail(s, Mail{"advisor@dehaven.nl", "S", "b"}, 0);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(sent.error().detail.find("dehaven"), std::string::npos);
  EXPECT_EQ(sent.error().detail.find("example.org"), std::string::npos);
}

}  // namespace
}  // namespace vd

#include "web/inbox_links.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(InboxLinksTest, RoundTripsEveryViewAndDirection) {
  for (InboxView view : {InboxView::kWaiting, InboxView::kAnswered, InboxView::kAll, InboxView::kSpam}) {
    for (PageDirection d : {PageDirection::kForward, PageDirection::kBackward}) {
      const InboxRequest r{view, InboxKey{1798761600, 42}, d};
      const std::string url = InboxUrl(r);
      const std::string query = url.substr(url.find('?') + 1);
      const std::string name(InboxViewName(view));
      EXPECT_EQ(query, "view=" + name + (d == PageDirection::kForward ? "&after=" : "&before=") +
                           "1798761600.42");
      const InboxRequest back =
          ParseInboxRequest(name, d == PageDirection::kForward ? std::optional<std::string_view>("1798761600.42") : std::nullopt,
                            d == PageDirection::kBackward ? std::optional<std::string_view>("1798761600.42") : std::nullopt);
      EXPECT_EQ(back.view, view);
      EXPECT_EQ(back.from, r.from);
      EXPECT_EQ(back.direction, d);
    }
  }
  EXPECT_EQ(InboxUrl({}), "/staff?view=waiting");
}

TEST(InboxLinksTest, WhatDoesNotParseGivesTheFirstPage) {
  // No view, or an unknown one: the default view.
  EXPECT_EQ(ParseInboxRequest(std::nullopt, std::nullopt, std::nullopt).view, InboxView::kWaiting);
  EXPECT_EQ(ParseInboxRequest("new", std::nullopt, std::nullopt).view, InboxView::kWaiting);
  EXPECT_EQ(ParseInboxRequest("<script>", std::nullopt, std::nullopt).view, InboxView::kWaiting);
  for (std::string_view bad : {"", ".", "1", "1.", ".1", "1.0", "-1.2", "1.-2", "1.2.3", "a.b",
                               " 1.2", "1.2 ", "+1.2", "0x1.2", "99999999999999999999.1",
                               "1.99999999999999999999"}) {
    for (bool after : {true, false}) {
      const InboxRequest r = ParseInboxRequest(
          "spam", after ? std::optional(bad) : std::nullopt, after ? std::nullopt : std::optional(bad));
      EXPECT_EQ(r.view, InboxView::kSpam) << bad;
      EXPECT_FALSE(r.from.has_value()) << bad;
      EXPECT_EQ(r.direction, PageDirection::kForward) << bad;
    }
  }
  // Both directions at once: the first page.
  const InboxRequest both = ParseInboxRequest("all", "5.6", "7.8");
  EXPECT_EQ(both.view, InboxView::kAll);
  EXPECT_FALSE(both.from.has_value());
  // The time may be 0 (a row not waiting has no waiting time), the id may not.
  EXPECT_EQ(ParseInboxRequest("all", "0.3", std::nullopt).from, (InboxKey{0, 3}));
}

}  // namespace
}  // namespace vd

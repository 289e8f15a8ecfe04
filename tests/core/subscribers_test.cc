// core/subscribers: what a handler may do from inside emit().

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/subscribers.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(subscribers)

BOOST_AUTO_TEST_CASE(every_handler_in_subscription_order) {
  Subscribers<int> list;
  std::vector<std::string> heard;
  BOOST_TEST(list.empty());
  BOOST_TEST(list.emit(1));  // nobody listens: nothing to stop
  auto a = list.subscribe([&](const int& e) { heard.push_back("a" + std::to_string(e)); });
  list.subscribe([&](const int& e) { heard.push_back("b" + std::to_string(e)); });
  BOOST_TEST(!list.empty());
  BOOST_TEST(list.emit(1));
  list.unsubscribe(a);
  BOOST_TEST(list.emit(2));
  BOOST_TEST((heard == std::vector<std::string>{"a1", "b1", "b2"}));
}

BOOST_AUTO_TEST_CASE(a_handler_may_unsubscribe_itself_or_another) {
  Subscribers<int> list;
  std::vector<std::string> heard;
  Subscribers<int>::Id self = 0, later = 0;
  self = list.subscribe([&](const int&) {
    heard.push_back("self");
    list.unsubscribe(self);  // its own std::function is gone from the list now
    list.unsubscribe(later);
  });
  later = list.subscribe([&](const int&) { heard.push_back("later"); });
  BOOST_TEST(list.emit(0));
  BOOST_TEST(list.emit(0));
  BOOST_TEST((heard == std::vector<std::string>{"self"}));
  BOOST_TEST(list.empty());
}

BOOST_AUTO_TEST_CASE(a_handler_subscribed_during_emit_hears_the_next_event) {
  Subscribers<int> list;
  std::vector<int> late;
  bool added = false;
  list.subscribe([&](const int&) {
    if (added) return;
    added = true;
    list.subscribe([&](const int& e) { late.push_back(e); });
  });
  BOOST_TEST(list.emit(1));
  BOOST_TEST(list.emit(2));
  BOOST_TEST((late == std::vector<int>{2}));
}

BOOST_AUTO_TEST_CASE(a_handler_may_destroy_the_list) {
  auto list = std::make_unique<Subscribers<int>>();
  int after = 0;
  list->subscribe([&](const int&) { list.reset(); });
  list->subscribe([&](const int&) { ++after; });
  BOOST_TEST(!list->emit(0));  // evaluated before reset(): the call itself is safe
  BOOST_TEST(!list);
  BOOST_TEST(after == 0);
}

BOOST_AUTO_TEST_CASE(keep_going_stops_between_handlers) {
  Subscribers<int> list;
  bool stopped = false;
  int calls = 0;
  list.subscribe([&](const int&) { ++calls, stopped = true; });
  list.subscribe([&](const int&) { ++calls; });
  BOOST_TEST(!list.emit(0, [&] { return !stopped; }));
  BOOST_TEST(calls == 1);
  BOOST_TEST(list.emit(0, [] { return true; }));
  BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_SUITE_END()

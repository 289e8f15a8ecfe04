// The replay window against the public test suites of the two reference
// implementations: the sequences of counters and expected verdicts of Linux's
// drivers/net/wireguard/selftest/counter.c and wireguard-go's
// replay/replay_test.go (the cases, re-expressed; not their code).
//
// Both suites name T_LIM = window + 1 = 8129. They differ in two details
// that these tests keep apart rather than blur:
//  - the reject limit: Linux uses U64_MAX - 8128 - 1, wireguard-go's test its
//    own 2^64 - 2^4 - 1, tether the whitepaper's 2^64 - 2^13 - 1. The main
//    sequence only depends on the limit relative to its counters, so it runs
//    against all three;
//  - the bulk tests: Linux counts from 0 (its window stores counter + 1),
//    wireguard-go from 1; both variants run.

#include "tunnel/replay_window.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

using tether::tunnel::kRejectAfterMessages;
using tether::tunnel::ReplayWindow;

namespace {

constexpr std::uint64_t kWindow = ReplayWindow::kWindowSize;  // 8128
constexpr std::uint64_t T_LIM = kWindow + 1;
constexpr std::uint64_t kU64Max = ~std::uint64_t(0);
constexpr std::uint64_t kLinuxRejectAfterMessages = kU64Max - kWindow - 1;
constexpr std::uint64_t kGoTestRejectAfterMessages = kU64Max - (1u << 4);  // (1<<64) - (1<<4) - 1

struct Case {
  std::uint64_t counter;
  bool accepted;
};

// Runs `cases` in order on `w`; reports the 1-based number of a failing case
// as both suites do.
void run(ReplayWindow& w, const std::vector<Case>& cases) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    BOOST_TEST_CONTEXT("case " << i + 1 << ": counter " << cases[i].counter) {
      BOOST_TEST(w.would_accept(cases[i].counter) == cases[i].accepted);
      BOOST_TEST(w.check_and_update(cases[i].counter) == cases[i].accepted);
    }
  }
}

// The 34-case sequence shared by counter.c and replay_test.go.
std::vector<Case> main_sequence(std::uint64_t reject) {
  return {
      {0, true},                          /*  1 */
      {1, true},                          /*  2 */
      {1, false},                         /*  3 */
      {9, true},                          /*  4 */
      {8, true},                          /*  5 */
      {7, true},                          /*  6 */
      {7, false},                         /*  7 */
      {T_LIM, true},                      /*  8 */
      {T_LIM - 1, true},                  /*  9 */
      {T_LIM - 1, false},                 /* 10 */
      {T_LIM - 2, true},                  /* 11 */
      {2, true},                          /* 12 */
      {2, false},                         /* 13 */
      {T_LIM + 16, true},                 /* 14 */
      {3, false},                         /* 15 */
      {T_LIM + 16, false},                /* 16 */
      {T_LIM * 4, true},                  /* 17 */
      {T_LIM * 4 - (T_LIM - 1), true},    /* 18 */
      {10, false},                        /* 19 */
      {T_LIM * 4 - T_LIM, false},         /* 20 */
      {T_LIM * 4 - (T_LIM + 1), false},   /* 21 */
      {T_LIM * 4 - (T_LIM - 2), true},    /* 22 */
      {T_LIM * 4 + 1 - T_LIM, false},     /* 23 */
      {0, false},                         /* 24 */
      {reject, false},                    /* 25 */
      {reject - 1, true},                 /* 26 */
      {reject, false},                    /* 27 */
      {reject - 1, false},                /* 28 */
      {reject - 2, true},                 /* 29 */
      {reject + 1, false},                /* 30 */
      {reject + 2, false},                /* 31 */
      {reject - 2, false},                /* 32 */
      {reject - 3, true},                 /* 33 */
      {0, false},                         /* 34 */
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(replay_window)

BOOST_AUTO_TEST_CASE(window_is_8128_as_linux_and_wireguard_go) {
  BOOST_TEST(ReplayWindow::kWindowSize == 8128u);
  BOOST_TEST(kRejectAfterMessages == kU64Max - 8192u);  // 2^64 - 2^13 - 1
}

BOOST_AUTO_TEST_CASE(main_sequence_with_tether_limit) {
  ReplayWindow w;
  run(w, main_sequence(kRejectAfterMessages));
}

BOOST_AUTO_TEST_CASE(main_sequence_with_linux_limit) {
  ReplayWindow w(kLinuxRejectAfterMessages);
  run(w, main_sequence(kLinuxRejectAfterMessages));
}

BOOST_AUTO_TEST_CASE(main_sequence_with_wireguard_go_test_limit) {
  ReplayWindow w(kGoTestRejectAfterMessages);
  run(w, main_sequence(kGoTestRejectAfterMessages));
}

// counter.c bulk tests (counters from 0).
BOOST_AUTO_TEST_CASE(linux_bulk) {
  {
    ReplayWindow w;
    for (std::uint64_t i = 1; i <= kWindow; ++i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(0));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = 2; i <= kWindow + 1; ++i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(1));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 1; i-- > 0;) BOOST_TEST_REQUIRE(w.check_and_update(i));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 2; i-- > 1;) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 1; i-- > 1;) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(kWindow + 1));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 1; i-- > 1;) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(0));
    BOOST_TEST(w.check_and_update(kWindow + 1));
  }
}

// replay_test.go bulk tests (counters from 1).
BOOST_AUTO_TEST_CASE(wireguard_go_bulk) {
  {
    ReplayWindow w;
    for (std::uint64_t i = 1; i <= kWindow; ++i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(0));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = 2; i <= kWindow + 1; ++i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(1));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 1; i > 0; --i) BOOST_TEST_REQUIRE(w.check_and_update(i));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow + 2; i > 1; --i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow; i > 0; --i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(kWindow + 1));
    BOOST_TEST(!w.check_and_update(0));
  }
  {
    ReplayWindow w;
    for (std::uint64_t i = kWindow; i > 0; --i) BOOST_TEST_REQUIRE(w.check_and_update(i));
    BOOST_TEST(w.check_and_update(0));
    BOOST_TEST(w.check_and_update(kWindow + 1));
  }
}

// Beyond the public suites: the edges of the window, a jump of more than a
// whole ring (every word must be stale), and reset.
BOOST_AUTO_TEST_CASE(window_edges_and_long_jumps) {
  ReplayWindow w;
  BOOST_TEST(!w.has_received());
  BOOST_TEST(w.check_and_update(100000));
  BOOST_TEST(w.has_received());
  BOOST_TEST(w.highest() == 100000u);
  BOOST_TEST(w.check_and_update(100000 - kWindow));       // oldest still in the window
  BOOST_TEST(!w.would_accept(100000 - kWindow - 1));      // just behind it
  BOOST_TEST(!w.check_and_update(100000 - kWindow - 1));
  for (std::uint64_t c = 99000; c < 100000; c += 7) BOOST_TEST_REQUIRE(w.check_and_update(c));
  // Jump far ahead: nothing recorded before may shadow new counters.
  const std::uint64_t far = 100000 + 5 * 8192 + 3;
  BOOST_TEST(w.check_and_update(far));
  for (std::uint64_t c = far - kWindow; c < far; c += 5) BOOST_TEST_REQUIRE(w.check_and_update(c));
  BOOST_TEST(!w.check_and_update(far));
  w.reset();
  BOOST_TEST(!w.has_received());
  BOOST_TEST(w.check_and_update(0));
}

BOOST_AUTO_TEST_CASE(would_accept_does_not_record) {
  ReplayWindow w;
  BOOST_TEST(w.would_accept(5));
  BOOST_TEST(w.would_accept(5));
  BOOST_TEST(w.check_and_update(5));
  BOOST_TEST(!w.would_accept(5));
}

BOOST_AUTO_TEST_CASE(limit_is_reject_after_messages) {
  ReplayWindow w;
  BOOST_TEST(!w.check_and_update(kRejectAfterMessages));
  BOOST_TEST(!w.check_and_update(kU64Max));
  BOOST_TEST(w.check_and_update(kRejectAfterMessages - 1));
  BOOST_TEST(w.has_received());
  BOOST_TEST(w.highest() == kRejectAfterMessages - 1);
}

BOOST_AUTO_TEST_SUITE_END()

// core/time's calendar arithmetic against dates whose day numbers are known
// (and against each other over four centuries, leap rules included).

#include <boost/test/unit_test.hpp>

#include "core/time.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(calendar)

BOOST_AUTO_TEST_CASE(known_days) {
  BOOST_TEST(days_from_civil(1970, 1, 1) == 0);
  BOOST_TEST(days_from_civil(1969, 12, 31) == -1);
  BOOST_TEST(days_from_civil(2000, 3, 1) == 11017);
  BOOST_TEST(days_from_civil(2026, 11, 21) == 20778);  // 1 795 219 200 s
  BOOST_TEST(days_from_civil(1600, 1, 1) == -135140);
  const CivilDate leap_day = civil_from_days(days_from_civil(2024, 2, 29));
  BOOST_TEST(leap_day.year == 2024);
  BOOST_TEST(leap_day.month == 2u);
  BOOST_TEST(leap_day.day == 29u);
  // 1900 was no leap year, 2000 was.
  BOOST_TEST(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28) == 1);
  BOOST_TEST(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2);
}

BOOST_AUTO_TEST_CASE(round_trips_over_four_centuries) {
  const std::int64_t first = days_from_civil(1801, 1, 1);
  const std::int64_t last = days_from_civil(2201, 1, 1);
  CivilDate previous = civil_from_days(first - 1);
  for (std::int64_t day = first; day < last; ++day) {
    const CivilDate date = civil_from_days(day);
    if (days_from_civil(date.year, date.month, date.day) != day) {
      BOOST_TEST_REQUIRE(days_from_civil(date.year, date.month, date.day) == day);
    }
    // Each day follows the one before: the next day of the month, or the 1st.
    const bool next_in_month =
        date.year == previous.year && date.month == previous.month && date.day == previous.day + 1;
    const bool first_of_month = date.day == 1u;
    if (!next_in_month && !first_of_month) BOOST_TEST_REQUIRE(next_in_month);
    previous = date;
  }
}

BOOST_AUTO_TEST_SUITE_END()

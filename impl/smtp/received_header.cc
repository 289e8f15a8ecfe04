#include "smtp/received_header.h"

#include <cstdint>
#include <cstdio>

namespace tether::smtp {

namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), so
// that no libc time zone state is touched.
void civil_from_days(std::int64_t z, int& year, int& month, int& day) {
  z += 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(y + (month <= 2));
}

std::string address_text(const IpAddress& a) {
  return a.is_v6() ? "IPv6:" + a.to_string() : a.to_string();
}

}  // namespace

std::string format_rfc5322_date(WallTime when) {
  static const char* const kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t s = when.unix_seconds();
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  std::int64_t secs = s - days * 86400;
  int year = 0, month = 0, day = 0;
  civil_from_days(days, year, month, day);
  int weekday = static_cast<int>(((days % 7) + 7) % 7);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[weekday], day, kMonths[month - 1], year,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::string format_received_header(const ReceivedInfo& info) {
  std::string h = "Received: ";
  if (!info.mask_source) {
    h += "from " + (info.helo.empty() ? std::string("unknown") : info.helo) + " (";
    h += info.rdns.empty() ? std::string("unknown") : info.rdns;
    if (info.source) h += " [" + address_text(*info.source) + "]";
    h += ")\r\n\t";
  }
  h += "by " + info.hostname + " (tether) with ";
  h += info.esmtp ? "ESMTP" : "SMTP";
  if (info.tls) h += "S";
  if (info.authenticated) h += "A";
  h += " id " + info.id;
  if (info.tls) {
    h += "\r\n\t(" + info.tls_version + ":" + info.tls_cipher + ":" + std::to_string(info.tls_bits) + ":" +
         (info.tls_peer_verified ? "YES" : "NO") + ")";
  }
  if (!info.single_recipient.empty()) h += "\r\n\tfor <" + info.single_recipient + ">";
  h += ";\r\n\t" + format_rfc5322_date(info.when) + "\r\n";
  return h;
}

}  // namespace tether::smtp

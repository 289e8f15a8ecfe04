#include "smtp/received_header.h"

#include <cstdint>
#include <cstdio>

namespace tether::smtp {

namespace {

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
  const CivilDate date = civil_from_days(days);
  int weekday = static_cast<int>(((days % 7) + 7) % 7);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[weekday], int(date.day),
                kMonths[date.month - 1], int(date.year), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
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

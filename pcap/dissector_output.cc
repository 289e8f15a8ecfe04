#include "pcap/dissector_output.h"

#include <charconv>
#include <utility>

namespace tether::pcap {

std::string describe(const Origin& origin) {
  std::string where = origin.capture_name.empty() ? "capture " + std::to_string(origin.capture) : origin.capture_name.str();
  return where + " packet " + std::to_string(origin.packet_number);
}

void append_decimal(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, std::size_t(end - buf));
}

namespace {

char* write_ipv4(char* at, const std::uint8_t* bytes) {
  for (int i = 0; i < 4; ++i) {
    if (i) *at++ = '.';
    at = std::to_chars(at, at + 3, unsigned(bytes[i])).ptr;
  }
  return at;
}

// inet_ntop's IPv6 text, which Endpoint::to_string prints (glibc
// resolv/inet_ntop.c, inet_ntop6): the first longest run of two or more
// zero words as "::", the words in lowercase hex without leading zeros, and
// an IPv4-compatible or -mapped address's last 32 bits as a dotted quad.
// inet_ntop itself formats each word with sprintf.
char* write_ipv6(char* at, const std::uint8_t* bytes) {
  std::uint16_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = std::uint16_t(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  int best = -1, best_length = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j;
  }
  if (best_length < 2) best = -1;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_length) {
      if (i == best) *at++ = ':';
      continue;
    }
    if (i != 0) *at++ = ':';
    if (i == 6 && best == 0 && (best_length == 6 || (best_length == 5 && words[5] == 0xffff)))
      return write_ipv4(at, bytes + 12);
    at = std::to_chars(at, at + 4, unsigned(words[i]), 16).ptr;
  }
  if (best >= 0 && best + best_length == 8) *at++ = ':';
  return at;
}

}  // namespace

void append_endpoint_text(std::string& out, const Endpoint& endpoint) {
  const IpAddress& address = endpoint.address();
  char buf[64];  // [ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535
  char* at = buf;
  if (address.is_v4()) {
    at = write_ipv4(at, address.bytes());
  } else {
    *at++ = '[';
    at = write_ipv6(at, address.bytes());
    *at++ = ']';
  }
  *at++ = ':';
  at = std::to_chars(at, buf + sizeof buf, unsigned(endpoint.port())).ptr;
  out.append(buf, std::size_t(at - buf));
}

std::string endpoint_text(const Endpoint& endpoint) {
  std::string out;
  append_endpoint_text(out, endpoint);
  return out;
}

TimelineEvent& new_event(std::vector<TimelineEvent>& out, std::vector<TimelineEvent>* recycled) {
  TimelineEvent& e = out.emplace_back();
  if (!recycled || recycled->empty()) return e;
  // Only the strings that outgrow their inline buffer are taken over (the
  // whole event moved cost more: it was last read on the render thread's
  // core).
  TimelineEvent& old = recycled->back();
  for (auto field : {&TimelineEvent::link, &TimelineEvent::source, &TimelineEvent::destination, &TimelineEvent::detail}) {
    (e.*field).swap(old.*field);
    (e.*field).clear();
  }
  recycled->pop_back();
  return e;
}

void DissectorOutput::problem(const Origin& origin, const std::string& what) {
  if (problems.size() >= kMaxProblems) {
    ++problems_dropped;
    return;
  }
  problems.push_back(describe(origin) + ": " + what);
}

TimelineEvent& DissectorOutput::add(const Origin& origin, std::string source, std::string destination,
                                    std::string protocol, std::string kind, std::string detail) {
  TimelineEvent& e = events.emplace_back();
  e.at = origin.at;
  e.capture = origin.capture;
  e.link = origin.capture_name;
  e.packet_number = origin.packet_number;
  e.source = std::move(source);
  e.destination = std::move(destination);
  e.protocol = std::move(protocol);
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  return e;
}

}  // namespace tether::pcap

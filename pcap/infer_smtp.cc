// SMTP retry times per destination: a relay's connection attempts to a mail
// server (port 25, 465, 587, or any server that sent a greeting), on the
// wire and inside decrypted tunnels, each with its outcome:
//   failed     no SYN-ACK (the TCP dissector's "unanswered"), an RST or an
//              ICMP unreachable instead of one, a 4xx/5xx greeting, or a
//              4xx/5xx reply to the end of a message with none accepted;
//   delivered  a message accepted (a "transaction" with a 2xx code);
//   unknown    anything else, such as a session under TLS, whose replies
//              the capture cannot read.
// Attempts from one client address to one destination are grouped into
// deliveries: runs that end with an attempt that did not fail. The retry
// times are the intervals from each failed attempt to the next one. A
// scheduler that retries each message on its own clock (OpenSMTPD: 400 s
// times n squared from the message's creation) interleaves its messages'
// attempts; a capture shows them to one destination as one sequence.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "pcap/infer.h"
#include "pcap/infer_pairs.h"

namespace tether::pcap {

namespace {

struct Attempt {
  const TimelineEvent* syn = nullptr;
  bool answered = false, failed = false, delivered = false;
};

using ConnectionKey = std::tuple<std::size_t, std::string, std::string, std::string>;  // capture, layer, client, server

std::uint16_t port_of(const std::string& endpoint) {
  auto colon = endpoint.rfind(':');
  return colon == std::string::npos ? 0 : static_cast<std::uint16_t>(std::atoi(endpoint.c_str() + colon + 1));
}

std::vector<Attempt> attempts_of(const Timeline& timeline) {
  std::set<std::pair<std::string, std::string>> greeters;  // layer, server endpoint
  for (const TimelineEvent& e : timeline.events)
    if (e.protocol == "smtp" && e.kind == "greeting") greeters.emplace(e.layer, e.source);
  auto is_mail_server = [&](const TimelineEvent& syn) {
    std::uint16_t port = port_of(syn.destination);
    return port == 25 || port == 465 || port == 587 || greeters.count({syn.layer, syn.destination});
  };

  std::vector<Attempt> attempts;
  std::map<ConnectionKey, std::size_t> open;
  auto find = [&](const TimelineEvent& e, bool from_client) -> Attempt* {
    ConnectionKey key = from_client ? ConnectionKey{e.capture, e.layer, e.source, e.destination}
                                    : ConnectionKey{e.capture, e.layer, e.destination, e.source};
    auto at = open.find(key);
    return at == open.end() ? nullptr : &attempts[at->second];
  };
  for (const TimelineEvent& e : timeline.events) {
    if (e.protocol == "tcp" && e.kind == "syn" && e.detail.rfind("retransmission", 0) != 0 && is_mail_server(e)) {
      open[{e.capture, e.layer, e.source, e.destination}] = attempts.size();
      attempts.push_back(Attempt{&e});
    } else if (e.protocol == "tcp" && e.kind == "syn-ack") {
      if (Attempt* a = find(e, false)) a->answered = true;
    } else if (e.protocol == "tcp" && (e.kind == "unanswered" || e.kind == "rst")) {
      Attempt* a = find(e, e.kind == "unanswered");
      if (a && (e.kind == "unanswered" || !a->answered)) a->failed = true;
    } else if (e.protocol == "smtp" && (e.kind == "greeting" || e.kind == "transaction") && e.smtp_code) {
      Attempt* a = find(e, false);
      if (!a) continue;
      if (e.kind == "transaction" && *e.smtp_code < 300) a->delivered = true;
      if (*e.smtp_code >= 400 && !a->delivered) a->failed = true;
    } else if (e.protocol == "icmp" && e.kind == "unreachable") {
      auto tcp = e.detail.find("tcp ");
      auto arrow = e.detail.find(" -> ", tcp);
      if (tcp == std::string::npos || arrow == std::string::npos) continue;
      ConnectionKey key{e.capture, e.layer, e.detail.substr(tcp + 4, arrow - tcp - 4), e.detail.substr(arrow + 4)};
      auto at = open.find(key);
      if (at != open.end() && !attempts[at->second].answered) attempts[at->second].failed = true;
    }
  }
  return attempts;
}

SmtpRetryFigure figure_of_destination(const std::vector<const Attempt*>& attempts) {
  SmtpRetryFigure f;
  const TimelineEvent& first = *attempts.front()->syn;
  f.capture = first.capture;
  f.layer = first.layer;
  f.client = endpoint_address(first.source);
  f.destination = first.destination;
  f.attempts = attempts.size();
  std::vector<double> all;
  std::vector<std::vector<double>> by_retry;
  std::size_t retry_number = 0;
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const Attempt& a = *attempts[i];
    f.failed += a.failed;
    f.delivered += a.delivered;
    if (!a.failed) {
      ++f.deliveries;
      retry_number = 0;
      continue;
    }
    if (i + 1 == attempts.size()) {
      ++f.deliveries;  // cut by the capture's end
      break;
    }
    double interval = (attempts[i + 1]->syn->at - a.syn->at).seconds_f();
    all.push_back(interval);
    if (by_retry.size() <= retry_number) by_retry.resize(retry_number + 1);
    by_retry[retry_number++].push_back(interval);
  }
  f.retry = figure_of(all, f.failed ? "cannot tell: the only failed attempt to " + f.destination + " was the last"
                                    : "cannot tell: no attempt to " + f.destination + " failed");
  for (auto& samples : by_retry) f.by_retry.push_back(figure_of(std::move(samples), ""));
  return f;
}

}  // namespace

void infer_smtp(const Timeline& timeline, Inference& out) {
  std::vector<Attempt> attempts = attempts_of(timeline);
  std::map<ConnectionKey, std::vector<const Attempt*>> by_destination;
  std::vector<ConnectionKey> order;
  for (const Attempt& a : attempts) {
    ConnectionKey key{a.syn->capture, a.syn->layer, endpoint_address(a.syn->source), a.syn->destination};
    auto& list = by_destination[key];
    if (list.empty()) order.push_back(key);
    list.push_back(&a);
  }
  for (const ConnectionKey& key : order) out.smtp.push_back(figure_of_destination(by_destination[key]));
}

}  // namespace tether::pcap

#pragma once
// The relay's control commands as plain functions from words to text, so
// that tetherd's control socket (daemon/), a simulation harness and the
// tests all drive the relay the same way. Answers are worded as smtpctl(8)
// words them, so scripts written for OpenSMTPD read them:
//
//   show queue                 one row per envelope (queue_listing.h layout)
//   pause smtp|mta|mda         "command succeeded"
//   resume smtp|mta|mda        "command succeeded"
//   schedule all|ID            "N envelopes scheduled"
//   remove all|ID              "N envelopes removed"
//
// ID is a message id (8 hex digits: all its envelopes) or an envelope id
// (16). `monitor` is a stream; monitor_sample() makes one line of it.
//
// relay_control.cc also holds MailRelay's control operations themselves
// (pause_smtp ... remove_all, route_up, monitor_digest): the commands and
// what they do, in one place.

#include <string>
#include <vector>

#include "node/mail_relay.h"
#include "smtp/queue_listing.h"

namespace tether::node {

struct ControlAnswer {
  bool ok = true;
  std::string text;  // lines, each ending in '\n'
};

// `show queue`: every queued envelope, in id order.
std::string show_queue(const MailRelay& relay);

// Runs one command (its words, "pause" "smtp"). Unknown commands and bad
// arguments are answers with ok = false and a usage line.
ControlAnswer run_relay_command(MailRelay& relay, const std::vector<std::string>& words);

// The next sample of `monitor`: the header when due, and one row.
std::string monitor_sample(smtp::MonitorView& view, const MailRelay& relay);

// The commands run_relay_command knows, with one help line each.
const std::vector<std::pair<std::string, std::string>>& relay_commands();

}  // namespace tether::node

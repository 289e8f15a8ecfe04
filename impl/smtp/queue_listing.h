#pragma once
// What `tetherctl show queue` and `tetherctl monitor` print, in the layouts
// of OpenSMTPD's `smtpctl show queue` and `smtpctl monitor`, so that scripts
// written for one read the other. Data and formatting only: the control
// socket and the once-a-second loop belong to the daemon.

#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/envelope.h"

namespace tether::smtp {

// ---- show queue ----

// What the scheduler knows about an envelope (the runstate column).
struct QueueRowState {
  enum class Run {
    pending,   // waiting for its next try: "pending|<seconds until it>"
    inflight,  // being delivered: "inflight|<seconds since it started>"
    invalid,   // the scheduler does not know it: "invalid|"
    offline,   // read from disk with no daemon: "offline|"
  };
  Run run = Run::offline;
  std::int64_t seconds = 0;
  bool held = false;  // waiting while its kind of delivery is paused
};

// One line, without the newline:
//   evpid|family|type|flags|sender|rcpt|dest|ctime|expire|lasttry|retry|runstate|errorline
// e.g.
//   4b2a1c0e9f31d2a7|inet4|mta||alice@example.net|bob@example.org|bob@example.org|1700000000|1700345600|1700001600|2|pending|1234|421 try later
// Times are Unix seconds; flags are some of bounce,auth,internal,suspend,hold;
// the error line is escaped as vis(3) does by default.
std::string format_queue_row(const Envelope& envelope, const QueueRowState& state);

// strnvis(3) with no flags: control characters as \^X, bytes >= 0x80 as
// \M-x, a backslash as \\; space, tab and newline pass.
std::string vis_encode(std::string_view text);

// ---- monitor ----

// Running totals; monitor prints the difference between two samples (and
// the current values of the two "curr" columns).
struct MonitorDigest {
  std::uint64_t clt_connect = 0;     // client sessions opened
  std::uint64_t clt_disconnect = 0;  // ... and closed
  std::uint64_t evp_enqueued = 0;    // envelopes queued
  std::uint64_t evp_dequeued = 0;    // ... and gone (delivered, bounced, expired, removed)
  std::uint64_t dlv_ok = 0;          // deliveries and relays that succeeded
  std::uint64_t dlv_tempfail = 0;
  std::uint64_t dlv_permfail = 0;
  std::uint64_t dlv_loop = 0;
  std::uint64_t evp_expired = 0;     // reached `queue ttl`
  std::uint64_t evp_removed = 0;     // `remove ID`
  std::uint64_t evp_bounce = 0;      // reports made (failures and delay warnings)
};

// The two header lines, each ending in a newline.
std::string format_monitor_header();
// One row (ending in a newline): `now` minus `last`, and the current
// clients and envelopes.
std::string format_monitor_row(const MonitorDigest& now, const MonitorDigest& last);

// The monitor's output, sample after sample: the header before the first
// row and again every 25 rows (after a blank line), as smtpctl does.
class MonitorView {
 public:
  std::string next(const MonitorDigest& digest);

 private:
  MonitorDigest last_;
  std::uint64_t count_ = 0;
};

}  // namespace tether::smtp

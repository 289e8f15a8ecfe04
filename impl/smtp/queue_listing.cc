#include "smtp/queue_listing.h"

#include <cinttypes>
#include <cstdio>

namespace tether::smtp {

namespace {

// OpenSMTPD keeps user and domain apart and prints "user@domain", so the
// null sender is "@" and an address without a domain ends in "@".
std::string mail_address(const std::string& address) {
  if (address.find('@') == std::string::npos) return address + "@";
  return address;
}

std::string flags_of(const Envelope& e, const QueueRowState& state) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(e.null_sender() && e.internal, "bounce");  // a report this relay made
  add(e.authenticated, "auth");
  add(e.internal, "internal");
  add(e.suspended, "suspend");
  add(state.held, "hold");
  return out;
}

}  // namespace

std::string vis_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || (c > 0x20 && c < 0x7f)) {
      out += ch;
      continue;
    }
    out += '\\';
    if (c & 0x80) {
      out += "M";
      c &= 0x7f;
      if (c > 0x20 && c < 0x7f) {
        out += '-';
        out += static_cast<char>(c);
        continue;
      }
      if (c == ' ') {
        out += "- ";
        continue;
      }
    }
    out += '^';
    out += c == 0x7f ? '?' : static_cast<char>(c + '@');
  }
  return out;
}

std::string format_queue_row(const Envelope& e, const QueueRowState& state) {
  std::string runstate;
  switch (state.run) {
    case QueueRowState::Run::pending: runstate = "pending|" + std::to_string(state.seconds); break;
    case QueueRowState::Run::inflight: runstate = "inflight|" + std::to_string(state.seconds); break;
    case QueueRowState::Run::invalid: runstate = "invalid|"; break;
    case QueueRowState::Run::offline: runstate = "offline|"; break;
  }
  std::string out = format_envelope_id(e.id);
  out += '|';
  out += to_string(e.family);
  out += '|';
  out += to_string(e.type);
  out += '|';
  out += flags_of(e, state);
  out += '|';
  out += mail_address(e.sender);
  out += '|';
  out += mail_address(e.rcpt);
  out += '|';
  out += mail_address(e.dest);
  out += '|';
  out += std::to_string(e.creation.unix_seconds());
  out += '|';
  out += std::to_string(e.expire.unix_seconds());
  out += '|';
  out += std::to_string(e.last_try.unix_seconds());
  out += '|';
  out += std::to_string(e.retry);
  out += '|';
  out += runstate;
  out += '|';
  out += vis_encode(e.last_error);
  return out;
}

std::string format_monitor_header() {
  return "--- client ---  -- envelope --   ---- relay/delivery --- ------- misc -------\n"
         "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop expire remove bounce\n";
}

std::string format_monitor_row(const MonitorDigest& d, const MonitorDigest& l) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%4" PRIu64 " %4" PRIu64 " %4" PRIu64 "  %4" PRIu64 " %4" PRIu64 " %4" PRIu64 " %4" PRIu64
                "    %4" PRIu64 "    %4" PRIu64 " %4" PRIu64 "   %4" PRIu64 "   %4" PRIu64 "   %4" PRIu64 "\n",
                d.clt_connect - d.clt_disconnect, d.clt_connect - l.clt_connect, d.clt_disconnect - l.clt_disconnect,
                d.evp_enqueued - d.evp_dequeued, d.evp_enqueued - l.evp_enqueued, d.evp_dequeued - l.evp_dequeued,
                d.dlv_ok - l.dlv_ok, d.dlv_tempfail - l.dlv_tempfail, d.dlv_permfail - l.dlv_permfail,
                d.dlv_loop - l.dlv_loop, d.evp_expired - l.evp_expired, d.evp_removed - l.evp_removed,
                d.evp_bounce - l.evp_bounce);
  return buf;
}

std::string MonitorView::next(const MonitorDigest& digest) {
  std::string out;
  if (count_ % 25 == 0) {
    if (count_ != 0) out += "\n";
    out += format_monitor_header();
  }
  out += format_monitor_row(digest, last_);
  last_ = digest;
  ++count_;
  return out;
}

}  // namespace tether::smtp

#pragma once
// tshark as the independent judge of the pcap library, in the shapes the
// tests compare: its `-T fields` rows, the inner packets it decrypts with a
// WireGuard key log (`-x`'s "Decrypted Packet" data source), and the
// timeline's events put in the same shapes (WireGuard row by row, SMTP
// frame by frame). Shared by the tests on synthetic traffic
// (wireguard_tshark_test, tshark_smtp_test) and on captures of real peers
// (peer_wireguard_test, peer_smtp_test).

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "pcap/timeline_event.h"

namespace tether::pcap::testing {

// Boost.Test precondition: tshark is installed (Debian package tshark).
boost::test_tools::assertion_result needs_tshark(boost::unit_test::test_unit_id);

// tshark's rows for `pcap`: one vector of fields per frame, each field's
// occurrences joined by ',' (the outer packet's first, a decrypted inner
// packet's after it). `options` go before the fields (-o, -d, -Y).
std::vector<std::vector<std::string>> tshark_rows(const std::string& pcap,
                                                  const std::vector<std::string>& options,
                                                  const std::vector<std::string>& fields);

// The WireGuard events on the wire (protocol "wg", layer "") of `events`,
// held row by row against tshark's frames with a wg.type in `pcap` (read
// with `options`, e.g. the key log): frame number, wg.type, wg.sender,
// wg.receiver, wg.counter, wg.stream, wg.keepalive, and the outer source
// and destination. Returns the number of rows compared.
std::size_t expect_wireguard_rows_equal(const std::string& pcap, const std::vector<std::string>& options,
                                        const std::vector<TimelineEvent>& events);

// Frame number -> the inner packet tshark decrypted there with `key_log`
// (`-o wg.keylog_file:`), as `tshark -x` dumps it: padding trimmed.
std::map<std::uint64_t, Bytes> tshark_decrypted_packets(const std::string& pcap, const std::string& key_log);

// SMTP frame by frame, "EHLO | 250 | 22,20": the commands (their first
// four characters, as smtp.req.command holds them), the reply codes (one
// per reply) and the TLS record types (tls.record.content_type, or
// opaque_type for TLS 1.3's encrypted records) of each frame that has any.
using FrameText = std::map<std::uint64_t, std::string>;
FrameText smtp_frames_from_tshark(const std::string& pcap);
FrameText smtp_frames_from_events(const std::vector<TimelineEvent>& events);
// "frame N: TEXT" a line, for a readable difference in a failed assertion.
std::string show(const FrameText& frames);

}  // namespace tether::pcap::testing

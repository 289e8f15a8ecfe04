// What `tether-pcap timeline` writes large captures with, held against the
// plain path it replaced: a TimelineTable fed events in the order they are
// found, directly or through a TimelineRenderThread, must write the same
// bytes as write_timeline of the events sorted by sort_timeline (CSV and
// JSON); build_timeline with a sink must find the
// same events as without; the hand-written endpoint text must equal
// Endpoint::to_string (inet_ntop's); a CaptureName reads as its string.

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <random>

#include "pcap/dissector_output.h"
#include "pcap/frames.h"
#include "pcap/pcap_writer.h"
#include "pcap/tcp_flow.h"
#include "pcap/timeline.h"
#include "pcap/timeline_format.h"
#include "pcap/timeline_render_thread.h"
#include "pcap/wireguard_traffic.h"
#include "support/run_process.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;
using tether::testing::read_file;
using tether::testing::TestDirectory;

namespace {

std::string written(TimelineTable& table) {
  TestDirectory dir("tether-timeline-table");
  const std::string path = (dir / "out").string();
  std::FILE* out = std::fopen(path.c_str(), "wb");
  BOOST_TEST_REQUIRE(out != nullptr);
  BOOST_TEST_REQUIRE(table.write(out));
  std::fclose(out);
  return read_file(path);
}

std::string table_text(const std::vector<TimelineEvent>& events, TimelineFormat format,
                       std::size_t block_size = 8u << 20) {
  TimelineTable table(format, block_size);
  for (const TimelineEvent& e : events) table.add(e);
  return written(table);
}

std::string sorted_text(std::vector<TimelineEvent> events, TimelineFormat format) {
  Timeline timeline;
  timeline.events = std::move(events);
  sort_timeline(timeline);
  return timeline_text(timeline.events, format);
}

// Events out of time order, with equal times (the order found must stay),
// texts that need quoting or escaping, and times before 1970.
std::vector<TimelineEvent> awkward_events() {
  std::mt19937 random(7);
  std::vector<TimelineEvent> events;
  const std::string long_text(10000, 'x');  // more than a small table's block
  const char* texts[] = {"plain", "a,comma", "a \"quote\"", "two\r\nlines", "", "caf\xc3\xa9 \xff", long_text.c_str()};
  for (int i = 0; i < 300; ++i) {
    TimelineEvent e;
    e.at = WallTime::from_unix_ns(std::int64_t(random() % 40) * 250'000'000 - 1'500'000'001);
    e.capture = std::size_t(i % 2);
    e.link = i % 3 ? "a.pcap" : "/some/long/directory/name/b.pcap";
    e.packet_number = std::uint64_t(i + 1);
    e.source = "192.0.2.1:" + std::to_string(i);
    e.destination = "[2001:db8::1]:51820";
    e.protocol = i % 2 ? "wg" : "smtp";
    e.kind = texts[i % 7];
    e.detail = texts[(i / 7) % 7];
    if (i % 2) {
      e.wg_type = 1 + i % 4;
      e.wg_sender = std::uint32_t(random());
      if (i % 3) e.wg_receiver = std::uint32_t(random());
      e.wg_counter = std::uint64_t(random()) << 20;
      e.wg_keepalive = i % 5 == 0;
      e.wg_session = std::uint64_t(i / 10);
    } else {
      e.smtp_verb = texts[i % 7];
      if (i % 4) e.smtp_code = 250;
      e.tcp_flags = "S.";
      e.layer = i % 6 ? "" : "wg";
    }
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(timeline_table)

BOOST_AUTO_TEST_CASE(writes_what_sorting_then_writing_writes) {
  const auto events = awkward_events();
  for (TimelineFormat format : {TimelineFormat::csv, TimelineFormat::json}) {
    BOOST_TEST(table_text(events, format) == sorted_text(events, format));
    // Small blocks: rows across many, a row larger than one in its own.
    BOOST_TEST(table_text(events, format, 4096) == sorted_text(events, format));
    // Already in order: CSV takes its shortcut (the rows as they are).
    Timeline sorted;
    sorted.events = events;
    sort_timeline(sorted);
    BOOST_TEST(table_text(sorted.events, format) == timeline_text(sorted.events, format));
    BOOST_TEST(table_text({}, format) == timeline_text({}, format));
  }
}

// Handed over in pieces of every size (one event, a few, more than a
// batch), rendered on the other thread: the same rows.
BOOST_AUTO_TEST_CASE(a_render_thread_writes_the_same_rows) {
  std::vector<TimelineEvent> events;
  for (int copy = 0; copy < 40; ++copy)
    for (TimelineEvent& e : awkward_events()) events.push_back(std::move(e));
  for (TimelineFormat format : {TimelineFormat::csv, TimelineFormat::json}) {
    TimelineTable table(format);
    {
      TimelineRenderThread renderer(table);
      const std::size_t pieces[] = {1, 7, 5000, 2, 4096};
      for (std::size_t at = 0, i = 0; at < events.size(); ++i) {
        const std::size_t n = std::min(pieces[i % 5], events.size() - at);
        std::vector<TimelineEvent> found(events.begin() + long(at), events.begin() + long(at + n));
        renderer.add(found);  // leaves rendered events, or nothing
        at += n;
      }
      renderer.finish();
    }
    BOOST_TEST(table.rows() == events.size());
    BOOST_TEST(written(table) == sorted_text(events, format));
  }
}

BOOST_AUTO_TEST_CASE(endpoint_text_is_inet_ntops) {
  std::mt19937 random(11);
  std::vector<Endpoint> endpoints;
  for (const char* text : {"::", "::1", "1::", "::ffff:192.0.2.1", "::192.0.2.1", "::2", "1:0:0:1::", "1::1:0:0:1",
                           "0:0:1::", "::ffff:0:1", "2001:db8::ff00:42:8329", "fe80::1:0:0:0"}) {
    endpoints.emplace_back(IpAddress::parse(text).value(), 51820);
  }
  for (int i = 0; i < 20000; ++i) {
    std::uint8_t b[16];
    // Words zero half the time, so that runs of every length and place come up.
    for (int w = 0; w < 8; ++w) {
      const bool zero = random() % 2;
      const std::uint32_t r = random();
      b[2 * w] = zero ? 0 : std::uint8_t(r >> (r % 3 == 0 ? 16 : 8));
      b[2 * w + 1] = zero ? 0 : std::uint8_t(r);
    }
    if (i % 7 == 0) b[10] = b[11] = 0xff;
    endpoints.emplace_back(IpAddress::v6_bytes(b), std::uint16_t(random()));
    endpoints.emplace_back(IpAddress::v4(std::uint32_t(random())), std::uint16_t(random()));
  }
  for (const Endpoint& e : endpoints) BOOST_TEST_REQUIRE(endpoint_text(e) == e.to_string());
}

BOOST_AUTO_TEST_CASE(capture_name_reads_as_its_string) {
  Origin a;
  BOOST_TEST(a.capture_name.empty());
  BOOST_TEST(a.capture_name.str() == "");
  a.capture_name = std::string("/tmp/capture.pcap");
  Origin b = a;
  BOOST_TEST(&b.capture_name.str() == &a.capture_name.str());  // shared, not copied
  BOOST_TEST(b.capture_name == "/tmp/capture.pcap");
  BOOST_TEST(b.capture_name + ": packet 1" == "/tmp/capture.pcap: packet 1");
  const std::string& name = b.capture_name;
  BOOST_TEST(name == "/tmp/capture.pcap");
  b.capture_name = "other.pcap";
  BOOST_TEST(a.capture_name == "/tmp/capture.pcap");
  BOOST_TEST(describe(b) == "other.pcap packet 0");
}

// A capture with WireGuard (handshakes, data, keepalives) and TCP whose
// events come out of order (a SYN never answered is reported at the end):
// the sink sees the same events build_timeline keeps, and the table of them
// is the same text.
BOOST_AUTO_TEST_CASE(a_sink_sees_what_build_timeline_keeps) {
  TestDirectory dir("tether-timeline-sink");
  const std::string path = (dir / "mixed.pcap").string();
  auto writer = PcapWriter::create(path, 1 /* DLT_EN10MB */);
  BOOST_TEST_REQUIRE(writer.ok());
  const Traffic traffic = make_traffic();
  std::vector<Datagram> datagrams = traffic.datagrams();
  TcpFlow unanswered(Endpoint(v4("192.0.2.7"), 40000), Endpoint(v4("203.0.113.25"), 25), 1000, 0);
  TcpFlow mail(Endpoint(v4("192.0.2.8"), 40001), Endpoint(v4("203.0.113.25"), 25), 5000, 9000);
  struct Chunk {
    bool from_client;
    Bytes bytes;
  };
  auto text = [](const char* s) { return Bytes(s, s + std::strlen(s)); };
  std::vector<Chunk> chunks{{false, text("220 relay ESMTP\r\n")}, {true, text("EHLO a\r\n")},
                            {false, text("250 relay\r\n")},        {true, text("QUIT\r\n")},
                            {false, text("221 bye\r\n")}};
  std::vector<Segment> segments{unanswered.syn()};
  for (const Segment& s : mail.connection(chunks)) segments.push_back(s);
  // The two kinds interleaved, a millisecond apart.
  std::size_t next_segment = 0, next_datagram = 0;
  for (std::size_t i = 0; next_segment < segments.size() || next_datagram < datagrams.size(); ++i) {
    const WallTime at = traffic.wall0 + Duration::milliseconds(std::int64_t(i));
    if (next_segment < segments.size() && (i % 2 == 0 || next_datagram == datagrams.size())) {
      const Segment& s = segments[next_segment++];
      (*writer)->write(at, ethernet(ipv4(s.source.address(), s.destination.address(), 6, tcp(s))));
    } else {
      const Datagram& d = datagrams[next_datagram++];
      const Bytes l4 = udp(d.source.port(), d.destination.port(), d.payload);
      (*writer)->write(at, ethernet(ipv4(d.source.address(), d.destination.address(), 17, l4)));
    }
  }
  BOOST_TEST_REQUIRE((*writer)->close().ok());

  auto kept = build_timeline({path}, {});
  BOOST_TEST_REQUIRE(kept.ok());
  std::vector<TimelineEvent> found;
  TimelineOptions options;
  options.sink = [&](std::vector<TimelineEvent>& events) {
    for (TimelineEvent& e : events) found.push_back(std::move(e));
  };
  auto streamed = build_timeline({path}, options);
  BOOST_TEST_REQUIRE(streamed.ok());
  BOOST_TEST(streamed->events.empty());
  BOOST_TEST(streamed->problems == kept->problems);
  BOOST_TEST(streamed->counts.wg_messages == kept->counts.wg_messages);
  BOOST_TEST(kept->counts.wg_messages == datagrams.size());
  BOOST_TEST(found.size() == kept->events.size());
  BOOST_TEST(found.back().kind == "unanswered");  // found last, though the earliest
  for (TimelineFormat format : {TimelineFormat::csv, TimelineFormat::json}) {
    const std::string expected = timeline_text(kept->events, format);
    BOOST_TEST(sorted_text(found, format) == expected);
    BOOST_TEST(table_text(found, format) == expected);
  }
}

BOOST_AUTO_TEST_SUITE_END()

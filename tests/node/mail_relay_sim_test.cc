// The same MailRelay, unchanged, on three ns-3 nodes: the backup-MX
// experiment (normal delivery, primary paused so the mail goes to and stays
// on mx2, primary resumed so mx2 hands it on) over point-to-point links,
// with ns-3's TCP and a simulated DNS zone for the MX and A records.
//
//   client 10.1.4.2 --- 10.1.4.1 sender
//   sender 10.1.1.1 --- 10.1.1.2 primary 10.1.3.1 --- 10.1.3.2 mx2
//   sender 10.1.2.1 ------------------------------------ 10.1.2.2 mx2
//
// The test's SMTP client submits from a node of its own: TCP between two
// sockets of one ns-3 node (its own address) crashed ns-3.37 after the
// connection closed (a retransmission timer left on a freed TcpSocketBase).

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-global-routing-helper.h>
#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/string.h>

#include "node/mail_relay.h"
#include "node/relay_control.h"
#include "node/smtp_test_client.h"
#include "sim/world/dns_zone.h"
#include "sim/host/ns3_host.h"
#include "sim/host/sim_host_fixture.h"
#include "sim/host/simulated_durability.h"
#include "smtp/config_parser.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const char* const kSenderConf =
    "listen on egress\n"
    "action \"out\" relay\n"
    "match from any for domain \"example.org\" action \"out\"\n";
const char* const kPrimaryConf =
    "listen on egress hostname mail.example.org\n"
    "action \"local_mail\" maildir\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";
const char* const kMx2Conf =
    "table domains { example.org }\n"
    "filter \"no_rdns\" phase connect match !rdns disconnect \"550 mailserver failed rDNS check\"\n"
    "queue retry constant 60s\n"
    "listen on egress filter \"no_rdns\"\n"
    "action \"local_mail\" relay backup\n"
    "match from any for domain <domains> action \"local_mail\"\n";

struct SimNode {
  std::unique_ptr<sim::Ns3Host> host;
  std::unique_ptr<MailRelay> relay;
  std::vector<MailRelayEvent> events;

  std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const MailRelayEvent& e) { return e.kind == kind; }));
  }
  const MailRelayEvent* last(Kind kind) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->kind == kind) return &*it;
    return nullptr;
  }
};

struct SimBackupMx {
  SimulationRun run;
  TempDirectory dir{"tether-relay-sim"};
  ns3::NodeContainer nodes;
  std::shared_ptr<sim::DnsZone> zone = std::make_shared<sim::DnsZone>();
  SimNode sender, primary, mx2;
  std::unique_ptr<sim::Ns3Host> client;

  SimBackupMx() {
    nodes.Create(4);
    ns3::InternetStackHelper internet;
    internet.Install(nodes);
    internet.AssignStreams(nodes, 0);
    ns3::PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", ns3::StringValue("10Mbps"));
    p2p.SetChannelAttribute("Delay", ns3::StringValue("10ms"));
    ns3::Ipv4AddressHelper addresses;
    auto link = [&](int a, int b, const char* base) {
      ns3::NetDeviceContainer devices = p2p.Install(nodes.Get(a), nodes.Get(b));
      addresses.SetBase(base, "255.255.255.0");
      addresses.Assign(devices);
    };
    link(0, 1, "10.1.1.0");
    link(0, 2, "10.1.2.0");
    link(1, 2, "10.1.3.0");
    link(0, 3, "10.1.4.0");
    ns3::Ipv4GlobalRoutingHelper::PopulateRoutingTables();
    SimulationRun::boot();

    zone->add_mx("example.org", 10, "mail.example.org");
    zone->add_mx("example.org", 100, "mx2.example.org");
    zone->add_address("mail.example.org", ip("10.1.1.2"));
    zone->add_address("mx2.example.org", ip("10.1.2.2"));

    make(sender, 0, "mail.websteading.net", kSenderConf, {ip("10.1.1.1"), ip("10.1.2.1"), ip("10.1.4.1")});
    auto client_host = sim::Ns3Host::create(nodes.Get(3), test_host_options(dir, "client", 11));
    BOOST_TEST_REQUIRE(client_host.ok());
    client = std::move(*client_host);
    make(primary, 1, "mail.example.org", kPrimaryConf, {ip("10.1.1.2"), ip("10.1.3.1")});
    // mx2's `!rdns` filter lets the sender in through its PTR record.
    zone->add_ptr(ip("10.1.2.1"), "mail.websteading.net");
    make(mx2, 2, "mx2.example.org", kMx2Conf, {ip("10.1.2.2"), ip("10.1.3.2")});
  }
  ~SimBackupMx() {
    for (SimNode* n : {&sender, &primary, &mx2}) {
      n->relay.reset();
      n->host.reset();
    }
    client.reset();
  }

  void make(SimNode& node, std::uint32_t index, const std::string& name, const char* conf,
            std::vector<IpAddress> egress, MailRelayOptions options = {}) {
    sim::Ns3HostOptions host_options = test_host_options(dir, name, 11);
    host_options.dns_zone = zone;
    auto host = sim::Ns3Host::create(nodes.Get(index), host_options);
    BOOST_TEST_REQUIRE(host.ok(), (host.ok() ? "" : host.error().to_string()));
    node.host = std::move(*host);
    auto parsed = smtp::parse_config(conf, name + "/smtpd.conf");
    BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
    options.interface_addresses["egress"] = std::move(egress);
    node.relay = std::make_unique<MailRelay>(*node.host, std::make_shared<const smtp::Config>(std::move(parsed.config)),
                                             options);
    node.relay->subscribe([&node](const MailRelayEvent& e) { node.events.push_back(e); });
    Result<void> started = node.relay->start();
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
  }

  std::string send(const std::string& subject) {
    const std::string message =
        make_test_message("test23442@websteading.net", "someone@example.org", subject, "Hello\n.dot\nbye\n");
    SmtpTestClient submission(*client, Endpoint(ip("10.1.4.1"), 25),
                              SmtpTestClient::Mail{"test23442@websteading.net", {"someone@example.org"}, message});
    BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return submission.done(); }, Duration::seconds(10)));
    BOOST_TEST_REQUIRE(submission.all_delivered(), submission.describe());
    return message;
  }
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string crlf_to_lf(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mail_relay_sim)

// The relay's queue and its maildir deliveries sync through the Host's
// durability(): in ns-3 the simulated one, which counts what it skips. The
// primary's one message: its file and envelope when committed, the maildir
// file when delivered, and the directories around each.
BOOST_AUTO_TEST_CASE(queue_and_delivery_sync_through_the_hosts_durability) {
  SimBackupMx w;
  auto durability_of = [](const SimNode& n) {
    return dynamic_cast<const sim::SimulatedDurability*>(&n.host->durability());
  };
  const sim::SimulatedDurability* primary = durability_of(w.primary);
  BOOST_TEST_REQUIRE(primary != nullptr);
  const std::uint64_t files_before = primary->files_synced(), directories_before = primary->directories_synced();
  w.send("synced");
  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return w.primary.count(Kind::delivered) >= 1; }, Duration::seconds(10)));
  // Message, envelope, maildir file; incoming/<msgid>, queue/XX, incoming/,
  // maildir new/, and queue/XX again when the delivered envelope goes.
  BOOST_TEST(primary->files_synced() - files_before >= 3u);
  BOOST_TEST(primary->directories_synced() - directories_before >= 5u);
  // The sender queued and relayed it: its commit synced too.
  BOOST_TEST(durability_of(w.sender)->files_synced() >= 2u);
  // mx2 saw nothing.
  BOOST_TEST(durability_of(w.mx2)->files_synced() == 0u);
}

BOOST_AUTO_TEST_CASE(backup_mx_experiment_on_ns3) {
  SimBackupMx w;

  // (a) sender -> primary -> maildir.
  const std::string first = w.send("first");
  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return w.primary.count(Kind::delivered) >= 1; }, Duration::seconds(10)));
  BOOST_TEST(ends_with(read_file(w.primary.last(Kind::delivered)->path), crlf_to_lf(first)));
  BOOST_TEST(w.mx2.count(Kind::session_opened) == 0u);

  // (b) primary paused: the mail goes to mx2, which keeps it.
  BOOST_TEST(w.primary.relay->pause_smtp().ok());
  const std::string second = w.send("second");
  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return w.sender.count(Kind::delivered) >= 2; }, Duration::seconds(10)));
  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return w.mx2.count(Kind::temporary_failure) >= 1; },
                                              Duration::seconds(10)));
  BOOST_TEST(w.sender.last(Kind::delivered)->detail.find("mx2.example.org") != std::string::npos,
             w.sender.last(Kind::delivered)->detail);
  BOOST_TEST(w.mx2.relay->queue()->envelopes().size() == 1u);
  BOOST_TEST(show_queue(*w.mx2.relay).find("|mta||test23442@websteading.net|someone@example.org|") != std::string::npos);
  SimulationRun::run_for(Duration::seconds(100));
  BOOST_TEST(w.mx2.relay->queue()->envelopes().size() == 1u);
  BOOST_TEST(w.primary.count(Kind::delivered) == 1u);

  // (c) primary resumes: mx2 delivers at its next retry (60 s at most).
  BOOST_TEST(w.primary.relay->resume_smtp().ok());
  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return w.primary.count(Kind::delivered) >= 2; }, Duration::seconds(65)));
  const std::string file = read_file(w.primary.last(Kind::delivered)->path);
  BOOST_TEST(ends_with(file, crlf_to_lf(second)), file);
  BOOST_TEST(SimulationRun::run_until([&] { return w.mx2.relay->queue()->envelopes().empty(); }, Duration::seconds(1)));
}

BOOST_AUTO_TEST_SUITE_END()

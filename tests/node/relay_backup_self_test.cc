// A backup MX whose own name is not among the domain's MX hosts (issue 14,
// hole 12): `relay backup` without `mx NAME` takes the host name, and on a
// host named "vm" that name is nowhere in example.org's MX list. The tether
// profile then fails temporarily with a message that names the problem,
// rather than relaying to every MX, itself among them, until the hop count
// stops the loop. The opensmtpd profile keeps OpenSMTPD's behaviour (every
// MX is a candidate: mta.c, IMSG_MTA_DNS_MX_PREFERENCE).

#include <boost/test/unit_test.hpp>

#include <memory>

#include "node/mail_relay.h"
#include "node/relay_mx.h"
#include "node/smtp_test_client.h"
#include "smtp/config_parser.h"
#include "smtp/relay_profile.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

const IpAddress kClient = *IpAddress::parse("192.0.2.1");
const IpAddress kPrimary = *IpAddress::parse("192.0.2.10");  // nothing listens: the primary is down
const IpAddress kMx2 = *IpAddress::parse("192.0.2.20");

// mx2 as a user first writes it: no `mx NAME`, so its own name is its host name.
const char* const kMx2Conf =
    "queue retry constant 60s\n"
    "listen on 192.0.2.20\n"
    "action \"backup\" relay backup\n"
    "match from any for domain \"example.org\" action \"backup\"\n";

DnsAnswer a_record(const IpAddress& a) {
  DnsAnswer answer;
  answer.addresses = {a};
  answer.ttl = Duration::seconds(300);
  return answer;
}

struct BackupOnVm {
  ManualWorld world;
  ManualHost client_host{world, options("client.example.net", kClient, 1)};
  ManualHost mx2_host{world, options("vm", kMx2, 3)};
  std::unique_ptr<MailRelay> mx2;
  std::vector<MailRelayEvent> events;

  explicit BackupOnVm(const std::string& conf) {
    world.set_latency(Duration::milliseconds(5));
    DnsAnswer mx;
    mx.mx = {MxRecord{10, "mail.example.org"}, MxRecord{20, "mx2.example.org"}};
    mx.ttl = Duration::seconds(300);
    mx2_host.set_dns("example.org", DnsRecordType::mx, mx);
    mx2_host.set_dns("mail.example.org", DnsRecordType::a, a_record(kPrimary));
    mx2_host.set_dns("mx2.example.org", DnsRecordType::a, a_record(kMx2));
    auto parsed = smtp::parse_config(conf, "mx2/smtpd.conf");
    BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
    MailRelayOptions o;
    o.interface_addresses["egress"] = {kMx2};
    mx2 = std::make_unique<MailRelay>(mx2_host, std::make_shared<const smtp::Config>(std::move(parsed.config)), o);
    mx2->subscribe([this](const MailRelayEvent& e) { events.push_back(e); });
    BOOST_TEST_REQUIRE(mx2->start().ok());
  }
  ~BackupOnVm() { mx2.reset(); }

  static ManualHostOptions options(const std::string& name, const IpAddress& address, std::uint64_t seed) {
    ManualHostOptions o;
    o.hostname = name;
    o.addresses = {address};
    o.seed = seed;
    o.log_threshold = LogLevel::info;
    return o;
  }

  void send() {
    const std::string message = make_test_message("a@example.net", "someone@example.org", "held", "hello\n");
    SmtpTestClient client(client_host, Endpoint(kMx2, 25),
                          SmtpTestClient::Mail{"a@example.net", {"someone@example.org"}, message});
    BOOST_TEST_REQUIRE(world.run_until([&] { return client.done(); }, Duration::seconds(10)));
    BOOST_TEST_REQUIRE(client.all_delivered(), client.describe());
  }

  std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const MailRelayEvent& e) { return e.kind == kind; }));
  }
  const MailRelayEvent* last(Kind kind) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->kind == kind) return &*it;
    return nullptr;
  }
  std::string log() const {
    std::string out;
    for (const auto& l : mx2_host.log_lines()) out += l + "\n";
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_backup_self)

BOOST_AUTO_TEST_CASE(a_backup_not_among_the_mx_hosts_defers_and_names_the_problem) {
  BackupOnVm w(kMx2Conf);
  w.send();
  // Several retries (60 s apart): each one must fail the same way, without
  // ever sending the letter to mx2.example.org, which is this very host.
  w.world.run_for(Duration::minutes(5));
  BOOST_TEST(w.count(Kind::message_accepted) == 1u, w.log());  // the client's; none from itself
  BOOST_TEST_REQUIRE(w.last(Kind::temporary_failure) != nullptr, w.log());
  BOOST_TEST(w.last(Kind::temporary_failure)->detail ==
                 "backup MX: this host's name vm is not among example.org's MX hosts "
                 "(mail.example.org, mx2.example.org); give it with `relay backup mx NAME`",
             w.last(Kind::temporary_failure)->detail);
  BOOST_TEST(w.mx2->queue()->envelopes().size() == 1u);  // held for when the name is set right
}

BOOST_AUTO_TEST_CASE(named_with_mx_it_relays_only_to_better_mx_hosts) {
  // The same config with `mx NAME`: the primary (down) is tried, never itself.
  BackupOnVm named(
      "queue retry constant 60s\n"
      "listen on 192.0.2.20\n"
      "action \"backup\" relay backup mx mx2.example.org\n"
      "match from any for domain \"example.org\" action \"backup\"\n");
  named.send();
  named.world.run_for(Duration::minutes(2));
  BOOST_TEST(named.count(Kind::message_accepted) == 1u, named.log());
  BOOST_TEST_REQUIRE(named.last(Kind::temporary_failure) != nullptr, named.log());
  BOOST_TEST(named.last(Kind::temporary_failure)->detail.find("backup MX") == std::string::npos,
             named.last(Kind::temporary_failure)->detail);
}

BOOST_AUTO_TEST_CASE(an_opensmtpd_backup_relays_to_every_mx_as_opensmtpd_does) {
  BackupOnVm w(std::string("profile opensmtpd\n") + kMx2Conf);
  w.send();
  // OpenSMTPD's loop: to itself, hop after hop, until the hop count stops it.
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::message_accepted) > 2; }, Duration::minutes(5)),
                     w.log());
  BOOST_TEST(w.log().find("backup MX: this host's name vm is not among") != std::string::npos, w.log());
}

BOOST_AUTO_TEST_CASE(selection_by_profile) {
  const std::vector<MxRecord> records{{10, "mail.example.org"}, {20, "mx2.example.org"}};
  // tether: not listed is a temporary failure naming the problem.
  MxSelection tether = select_mx(records, false, "example.org", true, "vm");
  BOOST_TEST(tether.hops.empty());
  BOOST_TEST(!tether.permanent);
  BOOST_TEST(tether.error.find("backup MX: this host's name vm is not among example.org's MX hosts") == 0u,
             tether.error);
}

BOOST_AUTO_TEST_SUITE_END()

// MailRelay on the manual clock: the backup-MX experiment of
// backup-relay-mx.txt with three ManualHosts. A sender relays by MX to
// example.org (MX 10 mail.example.org, the primary, which delivers to a
// maildir; MX 100 mx2.example.org, a `relay backup`). Mail goes to the
// primary; with the primary's smtp paused it goes to mx2, which holds it
// and hands it on once the primary resumes; a restart of mx2 loses nothing.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "crypto/self_signed_certificate.h"
#include "node/held_work_host.h"
#include "node/mail_relay.h"
#include "node/relay_event_log.h"
#include "node/relay_control.h"
#include "node/relay_mx.h"
#include "node/smtp_test_client.h"
#include "smtp/config_files.h"
#include "smtp/config_parser.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

const IpAddress kSender = *IpAddress::parse("192.0.2.1");
const IpAddress kPrimary = *IpAddress::parse("192.0.2.10");
const IpAddress kMx2 = *IpAddress::parse("192.0.2.20");
const IpAddress kMx2v6 = *IpAddress::parse("2001:db8::20");

const char* const kSenderConf =
    "# the internet sender (mail.websteading.net in the seed)\n"
    "listen on 127.0.0.1\n"
    "action \"out\" relay\n"
    "match from src 127.0.0.1 for domain \"example.org\" action \"out\"\n";

const char* const kPrimaryConf =
    "# the primary MX: accepts example.org and delivers to maildirs\n"
    "listen on 192.0.2.10 hostname mail.example.org no-dsn\n"
    "action \"local_mail\" maildir\n"
    "match from any for domain \"example.org\" rcpt-to { someone, other } action \"local_mail\"\n";

// backup-relay-mx.txt's smtpd.conf (its pki a self-signed certificate made
// by the test, read below the node's config root), with a constant retry so
// the test need not wait for 400 s slots.
const char* const kMx2Conf =
    "pki mx2.example.org cert \"/etc/ssl/mx2.example.org.fullchain.pem\"\n"
    "pki mx2.example.org key \"/etc/ssl/private/mx2.example.org.key\"\n"
    "table domains { example.org }\n"
    "filter \"no_rdns\" phase connect match !rdns disconnect \"550 mailserver failed rDNS check\"\n"
    "filter incoming chain { \"no_rdns\" }\n"
    "queue retry constant 60s\n"
    "listen on egress tls pki mx2.example.org auth-optional filter incoming\n"
    "action \"local_mail\" relay backup\n"
    "match from any for domain <domains> action \"local_mail\"\n";

std::shared_ptr<const smtp::Config> parse(const std::string& text, const std::string& name) {
  auto parsed = smtp::parse_config(text, name);
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
  return std::make_shared<const smtp::Config>(std::move(parsed.config));
}

DnsAnswer a_record(const IpAddress& a) {
  DnsAnswer answer;
  answer.addresses = {a};
  answer.ttl = Duration::seconds(300);
  return answer;
}

DnsAnswer ptr_record(const std::string& name) {
  DnsAnswer answer;
  answer.names = {name};
  answer.ttl = Duration::seconds(300);
  return answer;
}

// `name` is the reverse name of `address` and, if `confirmed`, leads back.
void set_rdns(ManualHost& host, const IpAddress& address, const std::string& name, bool confirmed = true) {
  host.set_dns(address.to_string(), DnsRecordType::ptr, ptr_record(name));
  if (confirmed) host.set_dns(name, address.is_v4() ? DnsRecordType::a : DnsRecordType::aaaa, a_record(address));
}

void set_zone(ManualHost& host) {
  DnsAnswer mx;
  mx.mx = {MxRecord{100, "mx2.example.org"}, MxRecord{10, "mail.example.org"}};  // unsorted, as servers may
  mx.ttl = Duration::seconds(300);
  host.set_dns("example.org", DnsRecordType::mx, mx);
  host.set_dns("mail.example.org", DnsRecordType::a, a_record(kPrimary));
  host.set_dns("mx2.example.org", DnsRecordType::a, a_record(kMx2));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string crlf_to_lf(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

// One node: a host and its relay, with the relay's events recorded.
struct Node {
  ManualHost host;
  std::shared_ptr<const smtp::Config> config;
  MailRelayOptions options;
  std::unique_ptr<MailRelay> relay;
  std::vector<MailRelayEvent> events;

  Node(ManualWorld& world, const std::string& name, const IpAddress& address, const char* conf, std::uint64_t seed)
      : Node(world, name, {address}, parse(conf, name + "/smtpd.conf"), seed) {}
  Node(ManualWorld& world, const std::string& name, const std::vector<IpAddress>& addresses,
       std::shared_ptr<const smtp::Config> parsed, std::uint64_t seed)
      : host(world, host_options(name, addresses, seed)), config(std::move(parsed)) {
    set_zone(host);
    options.interface_addresses["egress"] = addresses;
  }
  ~Node() { relay.reset(); }

  static ManualHostOptions host_options(const std::string& name, const std::vector<IpAddress>& addresses,
                                        std::uint64_t seed) {
    ManualHostOptions o;
    o.hostname = name;
    o.addresses = addresses;
    o.seed = seed;
    o.log_threshold = LogLevel::info;
    return o;
  }

  void start() {
    relay = std::make_unique<MailRelay>(host, config, options);
    relay->subscribe([this](const MailRelayEvent& e) { events.push_back(e); });
    Result<void> started = relay->start();
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
  }

  std::size_t count_events(Kind kind) const {
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
    for (const auto& l : host.log_lines()) out += l + "\n";
    return out;
  }
};

// The seeds' mx2 pki, as a self-signed certificate below the node's config root.
void install_mx2_certificate(Node& mx2) {
  auto certificate = crypto::make_self_signed_certificate("mx2.example.org");
  BOOST_TEST_REQUIRE(certificate.ok());
  const std::filesystem::path root = mx2.host.storage_root() / "config-root";
  std::filesystem::create_directories(root / "etc/ssl/private");
  std::ofstream(root / "etc/ssl/mx2.example.org.fullchain.pem") << certificate->certificate_pem;
  std::ofstream(root / "etc/ssl/private/mx2.example.org.key") << certificate->private_key_pem;
  mx2.options.config_root = root;
}

struct BackupMxWorld {
  ManualWorld world;
  Node sender{world, "mail.websteading.net", kSender, kSenderConf, 1};
  Node primary{world, "mail.example.org", kPrimary, kPrimaryConf, 2};
  Node mx2{world, "mx2.example.org", kMx2, kMx2Conf, 3};

  BackupMxWorld() {
    world.set_latency(Duration::milliseconds(5));
    // mx2 keeps the seed's !rdns filter: the sender has a confirmed name.
    set_rdns(mx2.host, kSender, "mail.websteading.net");
    install_mx2_certificate(mx2);
    primary.start();
    mx2.start();
    sender.start();
  }

  // Submits on the sender's loopback listener, as a local program would.
  std::string send(const std::string& to, const std::string& subject, const std::string& body) {
    const std::string message = make_test_message("test23442@websteading.net", to, subject, body);
    SmtpTestClient client(sender.host, Endpoint(IpAddress::loopback(IpAddress::Family::v4), 25),
                          SmtpTestClient::Mail{"test23442@websteading.net", {to}, message});
    BOOST_TEST_REQUIRE(world.run_until([&] { return client.done(); }, Duration::seconds(10)));
    BOOST_TEST_REQUIRE(client.all_delivered(), client.describe());
    return message;
  }

  bool run_until_delivered(Node& node, std::size_t n, Duration limit) {
    return world.run_until([&] { return node.count_events(Kind::delivered) >= n; }, limit);
  }
};

const std::string kBody =
    "Hello,\n"
    ".a line that starts with a dot\n"
    "..two dots\n"
    ".\n"
    "and one that is only a dot above; trailing spaces   \n"
    "\ttab\n"
    "the end\n";

// The primary's relay on a host that holds its off-loop work (commits,
// deliveries, removals) until the test releases it, and a sender's host.
struct HeldWorkWorld {
  ManualWorld world;
  ManualHost sender_host{world, Node::host_options("client.example.net", {kSender}, 1)};
  ManualHost primary_host{world, Node::host_options("mail.example.org", {kPrimary}, 2)};
  HeldWorkHost held{primary_host};
  MailRelay relay{held, parse(kPrimaryConf, "primary/smtpd.conf"), MailRelayOptions()};
  std::vector<MailRelayEvent> events;

  HeldWorkWorld() {
    world.set_latency(Duration::milliseconds(5));
    relay.subscribe([this](const MailRelayEvent& e) { events.push_back(e); });
    BOOST_TEST_REQUIRE(relay.start().ok());
  }
  ~HeldWorkWorld() { relay.stop(); }

  Endpoint primary() const { return Endpoint(kPrimary, 25); }
  SmtpTestClient::Mail mail() const {
    return {"a@example.net", {"someone@example.org"},
            make_test_message("a@example.net", "someone@example.org", "off the loop", kBody)};
  }
  std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const MailRelayEvent& e) { return e.kind == kind; }));
  }
  std::string log() const {
    std::string out;
    for (const auto& l : primary_host.log_lines()) out += l + "\n";
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(mail_relay)

BOOST_AUTO_TEST_CASE(mx_selection_orders_and_cuts_for_backup) {
  std::vector<MxRecord> records{{100, "mx2.example.org"}, {10, "mail.example.org"}, {10, "alt.example.org"}, {50, "mid.example.org"}};
  MxSelection all = select_mx(records, false, "example.org", false, "x");
  BOOST_TEST_REQUIRE(all.hops.size() == 4u);
  BOOST_TEST(all.hops[0].name == "mail.example.org");  // ties keep the server's order
  BOOST_TEST(all.hops[1].name == "alt.example.org");
  BOOST_TEST(all.hops[3].name == "mx2.example.org");

  MxSelection backup = select_mx(records, false, "example.org", true, "MX2.example.org.");
  BOOST_TEST(backup.hops.size() == 3u);  // everything strictly below 100
  MxSelection top = select_mx(records, false, "example.org", true, "mail.example.org");
  BOOST_TEST(top.hops.empty());
  BOOST_TEST(top.error == "No MX found for destination");
  BOOST_TEST(!top.permanent);
  // Not in the list: every exchanger, with a warning, as OpenSMTPD; tether
  // defers (relay_backup_self_test.cc).
  MxSelection unlisted =
      select_mx(records, false, "example.org", true, "elsewhere.example", smtp::BackupUnlisted::every_mx);
  BOOST_TEST(unlisted.hops.size() == 4u);
  BOOST_TEST(unlisted.warning.rfind("backup MX: this host's name elsewhere.example is not among", 0) == 0u,
             unlisted.warning);
  BOOST_TEST(select_mx(records, false, "example.org", true, "elsewhere.example").hops.empty());
  // No MX: the implicit MX, except for a backup.
  MxSelection implicit = select_mx({}, true, "example.org", false, "x");
  BOOST_TEST_REQUIRE(implicit.hops.size() == 1u);
  BOOST_TEST(implicit.hops[0].name == "example.org");
  BOOST_TEST(select_mx({}, true, "example.org", true, "x").hops.empty());
  MxSelection null_mx = select_mx({{0, ""}}, false, "example.org", false, "x");
  BOOST_TEST(null_mx.permanent);
}

BOOST_AUTO_TEST_CASE(backup_mx_experiment_and_restart) {
  BackupMxWorld w;

  // (a) Normal: sender -> primary (MX 10) -> maildir, byte for byte.
  const Time t_a = w.world.now();
  const std::string first = w.send("someone@example.org", "first", kBody);
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.primary, 1, Duration::seconds(30)), w.primary.log() + w.sender.log());
  const MailRelayEvent* delivered = w.primary.last(Kind::delivered);
  BOOST_TEST_REQUIRE(!delivered->path.empty());
  BOOST_TEST(delivered->path.parent_path() == w.primary.host.storage_root() / "home" / "someone" / "Maildir" / "new");
  const std::string file = read_file(delivered->path);
  const std::string expected = crlf_to_lf(first);
  BOOST_TEST_REQUIRE(file.size() > expected.size());
  BOOST_TEST(file.compare(file.size() - expected.size(), expected.size(), expected) == 0, file);
  BOOST_TEST(count(file, "Received: ") == 2u, file);  // the sender's and the primary's
  BOOST_TEST(file.rfind("Received: from mail.websteading.net (unknown [192.0.2.1])", 0) == 0, file);
  BOOST_TEST(w.mx2.count_events(Kind::session_opened) == 0u);  // the backup saw nothing
  // Each relay names the accepted message by its Message-ID, and logs the
  // event in one line a reader of its log turns back (node/relay_event_log.h).
  for (const Node* node : {&w.sender, &w.primary}) {
    const MailRelayEvent* accepted = node->last(Kind::message_accepted);
    BOOST_TEST_REQUIRE(accepted != nullptr);
    BOOST_TEST(accepted->message_id == "<first@test>");
    BOOST_TEST(format_relay_event_line(*accepted).find(" message-id=<first@test>") != std::string::npos);
  }
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.sender, 1, Duration::seconds(5)));  // after its QUIT
  const MailRelayEvent* relayed = w.sender.last(Kind::delivered);
  BOOST_TEST(relayed->detail.find("mail.example.org [192.0.2.10:25]") != std::string::npos, relayed->detail);
  BOOST_TEST(w.sender.relay->queue()->envelopes().empty());
  BOOST_TEST(w.primary.relay->queue()->envelopes().empty());
  BOOST_TEST(w.world.now() - t_a < Duration::seconds(1));

  // (b) The primary pauses smtp: the sender falls through to mx2, which
  // holds the mail (it may only hand it to the MX preferred to itself).
  BOOST_TEST(run_relay_command(*w.primary.relay, {"pause", "smtp"}).text == "command succeeded\n");
  BOOST_TEST(w.primary.relay->smtp_paused());
  const std::string second = w.send("someone@example.org", "second", kBody + "second\n");
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.sender, 2, Duration::seconds(30)), w.sender.log());
  BOOST_TEST(w.sender.last(Kind::delivered)->detail.find("mx2.example.org [192.0.2.20:25]") != std::string::npos,
             w.sender.last(Kind::delivered)->detail);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::temporary_failure) >= 1; },
                                       Duration::seconds(10)),
                     w.mx2.log());
  BOOST_TEST(w.mx2.last(Kind::temporary_failure)->detail.find("421 4.3.2 mail.example.org Service paused") !=
                 std::string::npos,
             w.mx2.last(Kind::temporary_failure)->detail);
  BOOST_TEST_REQUIRE(w.mx2.relay->queue()->envelopes().size() == 1u);
  const smtp::Envelope held = w.mx2.relay->queue()->envelopes().begin()->second;
  // The sender took mx2's opportunistic STARTTLS.
  auto queued = w.mx2.relay->queue()->read_message(held.msgid());
  BOOST_TEST_REQUIRE(queued.ok());
  BOOST_TEST(queued->find("with ESMTPS id") != std::string::npos, *queued);

  // show queue, in smtpctl's row layout, for the held envelope.
  w.world.run_for(Duration::seconds(2));
  const std::string rows = show_queue(*w.mx2.relay);
  const std::string prefix = smtp::format_envelope_id(held.id) +
                             "|inet4|mta||test23442@websteading.net|someone@example.org|someone@example.org|" +
                             std::to_string(held.creation.unix_seconds()) + "|" +
                             std::to_string(held.expire.unix_seconds()) + "|" +
                             std::to_string(held.last_try.unix_seconds()) + "|1|pending|";
  BOOST_TEST(rows.rfind(prefix, 0) == 0, rows + "\nexpected prefix: " + prefix);
  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_match(rows, m, std::regex(R"(^[0-9a-f]{16}(\|[^|]*){10}\|pending\|(\d+)\|(.*)\n$)")), rows);
  BOOST_TEST(std::stoi(m[2]) <= 60);
  BOOST_TEST(std::stoi(m[2]) >= 55);
  BOOST_TEST(m[3].str().find("421 4.3.2") != std::string::npos, m[3].str());
  BOOST_TEST(held.expire.unix_seconds() - held.creation.unix_seconds() == 4 * 86400);  // queue ttl default

  // It stays held while the primary is away: retries every 60 s, no loss.
  w.world.run_for(Duration::seconds(130));
  BOOST_TEST(w.mx2.count_events(Kind::temporary_failure) >= 3u);
  BOOST_TEST(w.mx2.relay->queue()->envelopes().size() == 1u);
  BOOST_TEST(w.primary.count_events(Kind::delivered) == 1u);

  // (c) The primary resumes: mx2 hands the mail on at its next retry.
  BOOST_TEST(run_relay_command(*w.primary.relay, {"resume", "smtp"}).ok);
  const Time resumed = w.world.now();
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.primary, 2, Duration::seconds(61)), w.mx2.log());
  BOOST_TEST(w.world.now() - resumed <= Duration::seconds(61));
  const std::string file2 = read_file(w.primary.last(Kind::delivered)->path);
  const std::string expected2 = crlf_to_lf(second);
  BOOST_TEST(file2.compare(file2.size() - expected2.size(), expected2.size(), expected2) == 0, file2);
  BOOST_TEST(count(file2, "Received: ") == 3u, file2);  // sender, mx2, primary
  BOOST_TEST(w.world.run_until([&] { return w.mx2.relay->queue()->envelopes().empty(); }, Duration::seconds(1)));

  // (d) Restart: mx2 holds a third message and is destroyed mid-queue; a
  // new relay on the same storage recovers it and delivers it.
  BOOST_TEST(w.primary.relay->pause_smtp().ok());
  const std::size_t failures = w.mx2.count_events(Kind::temporary_failure);
  const std::string third = w.send("other@example.org", "third", kBody + "third\n");
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.sender, 3, Duration::seconds(30)), w.sender.log());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::temporary_failure) > failures; },
                                       Duration::seconds(10)));
  BOOST_TEST_REQUIRE(w.mx2.relay->queue()->envelopes().size() == 1u);
  const smtp::EnvelopeId third_id = w.mx2.relay->queue()->envelopes().begin()->first;
  w.mx2.relay.reset();
  w.world.run_for(Duration::seconds(5));
  w.mx2.events.clear();
  w.mx2.start();
  BOOST_TEST_REQUIRE(w.mx2.relay->queue()->envelopes().size() == 1u);
  BOOST_TEST(w.mx2.relay->queue()->envelopes().begin()->first == third_id);
  BOOST_TEST(w.mx2.relay->queue()->envelopes().begin()->second.retry == 1u);
  BOOST_TEST(w.primary.relay->resume_smtp().ok());
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.primary, 3, Duration::seconds(120)), w.mx2.log());
  const std::string file3 = read_file(w.primary.last(Kind::delivered)->path);
  BOOST_TEST(file3.find(crlf_to_lf(third)) != std::string::npos, file3);
  BOOST_TEST(w.primary.last(Kind::delivered)->path.parent_path() ==
             w.primary.host.storage_root() / "home" / "other" / "Maildir" / "new");
  BOOST_TEST(w.world.run_until([&] { return w.mx2.relay->queue()->envelopes().empty(); }, Duration::seconds(1)));

  // Nothing was lost or duplicated: three messages, three files.
  std::size_t files = 0;
  for (const char* user : {"someone", "other"})
    for (auto& entry : std::filesystem::directory_iterator(w.primary.host.storage_root() / "home" / user / "Maildir" / "new")) {
      (void)entry;
      ++files;
    }
  BOOST_TEST(files == 3u);
}

BOOST_AUTO_TEST_CASE(route_up_delivers_at_once) {
  BackupMxWorld w;
  BOOST_TEST(w.primary.relay->pause_smtp().ok());
  w.send("someone@example.org", "held", kBody);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::temporary_failure) >= 1; },
                                       Duration::seconds(10)));
  BOOST_TEST(w.primary.relay->resume_smtp().ok());
  w.world.run_for(Duration::seconds(5));
  BOOST_TEST(w.primary.count_events(Kind::delivered) == 0u);  // next retry is 55 s away

  // The tunnel's "handshake completed" for a peer whose AllowedIPs cover the
  // primary: the deferred mail goes now, not at its slot.
  BOOST_TEST(w.mx2.relay->destination_addresses("example.org") == std::vector<IpAddress>{kPrimary});
  BOOST_TEST(w.mx2.relay->route_up_within({*IpPrefix::parse("192.0.2.8/29")}) == 1u);
  const Time up = w.world.now();
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.primary, 1, Duration::seconds(5)));
  BOOST_TEST(w.world.now() - up < Duration::seconds(1));
  BOOST_TEST(w.mx2.relay->route_up_within({*IpPrefix::parse("10.0.0.0/8")}) == 0u);
}

// mx2's own smtpd.conf from the seeds (tests/smtp/seed_configs/mx2): its
// filter chain "incoming" (no_dyndns, no_rdns, no_fcrdns) on `listen on
// egress`, judged on what mx2 finds in DNS for each client at accept.
struct SeedMx2World {
  ManualWorld world;
  Node mx2{world, "mx2.example.org", {kMx2, kMx2v6}, seed_config(), 3};
  std::vector<std::unique_ptr<ManualHost>> clients;

  SeedMx2World() {
    world.set_latency(Duration::milliseconds(5));
    install_mx2_certificate(mx2);
    mx2.start();
  }

  static std::shared_ptr<const smtp::Config> seed_config() {
    const std::string dir = std::string(SEED_CONFIG_DIR) + "/mx2";
    auto parsed = smtp::parse_config(read_file(dir + "/smtpd.conf"), "mx2/smtpd.conf", smtp::rooted_file_loader(dir));
    BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
    return std::make_shared<const smtp::Config>(std::move(parsed.config));
  }

  // Sends one message to mx2 from a new host at `from`: "ok" or what the
  // client saw.
  std::string send_from(const IpAddress& from) {
    ManualHostOptions o;
    o.hostname = "client-" + std::to_string(clients.size()) + ".test";
    o.addresses = {from};
    o.seed = 100 + clients.size();
    clients.push_back(std::make_unique<ManualHost>(world, o));
    const IpAddress server = from.is_v4() ? kMx2 : kMx2v6;
    SmtpTestClient client(*clients.back(), Endpoint(server, 25),
                          SmtpTestClient::Mail{"a@websteading.net", {"someone@example.org"},
                                               "Subject: x\r\n\r\nx\r\n"});
    BOOST_TEST_REQUIRE(world.run_until([&] { return client.done(); }, Duration::seconds(30)));
    return client.all_delivered() ? "ok" : client.describe();
  }
};

BOOST_AUTO_TEST_CASE(seed_mx2_filters_accept_only_forward_confirmed_rdns) {
  SeedMx2World w;
  ManualHost& dns = w.mx2.host;
  const IpAddress good = *IpAddress::parse("192.0.2.1");
  const IpAddress good6 = *IpAddress::parse("2001:db8::1");
  const IpAddress no_ptr = *IpAddress::parse("192.0.2.2");
  const IpAddress unconfirmed = *IpAddress::parse("192.0.2.3");
  const IpAddress elsewhere = *IpAddress::parse("192.0.2.4");
  const IpAddress dynamic = *IpAddress::parse("192.0.2.5");
  const IpAddress servfail = *IpAddress::parse("192.0.2.6");
  const IpAddress forward_fails = *IpAddress::parse("192.0.2.7");
  set_rdns(dns, good, "mail.websteading.net");
  set_rdns(dns, good6, "mail6.websteading.net");
  set_rdns(dns, unconfirmed, "forged.example.net", false);  // its name has no A record
  set_rdns(dns, elsewhere, "moved.example.net", false);
  dns.set_dns("moved.example.net", DnsRecordType::a, a_record(*IpAddress::parse("198.51.100.7")));
  set_rdns(dns, dynamic, "host-5.dyn.isp.example");
  dns.set_dns(servfail.to_string(), DnsRecordType::ptr, Error(ErrorCode::dns_temporary, "SERVFAIL"));
  set_rdns(dns, forward_fails, "flaky.example.net", false);
  dns.set_dns("flaky.example.net", DnsRecordType::a, Error(ErrorCode::dns_temporary, "SERVFAIL"));

  BOOST_TEST(w.send_from(good) == "ok");
  BOOST_TEST(w.send_from(good6) == "ok");
  BOOST_TEST(w.mx2.count_events(Kind::message_accepted) == 2u);
  // The Received: line names the client by its confirmed reverse name.
  std::string received;
  for (const auto& entry : w.mx2.relay->queue()->envelopes()) {
    auto content = w.mx2.relay->queue()->read_message(entry.second.msgid());
    if (content.ok()) received += *content;
  }
  BOOST_TEST(received.find("from client.test (mail.websteading.net [192.0.2.1])") != std::string::npos, received);
  BOOST_TEST(received.find("from client.test (mail6.websteading.net [IPv6:2001:db8::1])") != std::string::npos, received);

  const std::string no_rdns = "550 mailserver failed rDNS check";
  const std::string no_fcrdns = "550 mailserver failed FCrDNS check";
  auto refused_with = [&](const IpAddress& from, const std::string& reply) {
    const std::string outcome = w.send_from(from);
    BOOST_TEST(outcome.find(reply) != std::string::npos, from.to_string() + ": " + outcome);
  };
  refused_with(no_ptr, no_rdns);
  refused_with(servfail, no_rdns);  // a failed lookup is no name, as in OpenSMTPD
  refused_with(unconfirmed, no_fcrdns);
  refused_with(elsewhere, no_fcrdns);
  refused_with(forward_fails, no_fcrdns);
  refused_with(dynamic, "550 no residential connections");
  BOOST_TEST(w.mx2.count_events(Kind::message_accepted) == 2u);
}

BOOST_AUTO_TEST_CASE(slow_reverse_dns_holds_mail_not_the_greeting) {
  SeedMx2World w;
  const IpAddress client = *IpAddress::parse("192.0.2.1");
  set_rdns(w.mx2.host, client, "mail.websteading.net");
  w.mx2.host.set_dns_delay(Duration::seconds(60));

  // The 220 comes at once, although the PTR lookup hangs (OpenSMTPD's would
  // wait for it: it resolves the client before its greeting).
  ManualHostOptions o;
  o.hostname = "raw.test";
  o.addresses = {client};
  o.seed = 99;
  ManualHost raw(w.world, o);
  std::string greeting;
  TcpStream::Handlers handlers;
  handlers.on_data = [&greeting](ByteView data) { greeting.append(reinterpret_cast<const char*>(data.data()), data.size()); };
  const Time connected_at = w.world.now();
  std::unique_ptr<TcpStream> stream = raw.tcp_connect(Endpoint(kMx2, 25), std::move(handlers), TcpConnectOptions());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return greeting.find("\r\n") != std::string::npos; },
                                       Duration::seconds(30)));
  BOOST_TEST(greeting.rfind("220 ", 0) == 0, greeting);
  BOOST_TEST(w.world.now() - connected_at < Duration::milliseconds(100));  // three 5 ms hops, not the 5 s bound
  stream.reset();

  const Time start = w.world.now();
  const std::string outcome = w.send_from(client);
  // Unanswered after rdns_timeout (5 s): no name, and the filter says so.
  BOOST_TEST(outcome.find("550 mailserver failed rDNS check") != std::string::npos, outcome);
  BOOST_TEST(w.world.now() - start >= Duration::seconds(5));
  BOOST_TEST(w.world.now() - start < Duration::seconds(6));
  BOOST_TEST(w.mx2.log().find("reverse DNS of 192.0.2.1 not answered in time, taken as none") != std::string::npos,
             w.mx2.log());

  // The PTR answered in time but the forward lookup not: a name, unconfirmed.
  w.mx2.host.set_dns_delay(Duration::seconds(3));
  const std::string unconfirmed = w.send_from(client);
  BOOST_TEST(unconfirmed.find("550 mailserver failed FCrDNS check") != std::string::npos, unconfirmed);

  w.mx2.host.set_dns_delay(std::nullopt);
  BOOST_TEST(w.send_from(client) == "ok");
}

BOOST_AUTO_TEST_CASE(refused_recipient_bounce_is_dropped_as_in_the_seeds) {
  BackupMxWorld w;
  // The primary refuses nobody@ (not in its rcpt-to table): a permanent
  // failure at the sender, whose failure report to a domain no rule routes
  // for local mail is dropped with OpenSMTPD's warning.
  w.send("nobody@example.org", "bounce", kBody);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.sender.count_events(Kind::report_dropped) >= 1; },
                                       Duration::seconds(60)),
                     w.sender.log());
  BOOST_TEST(w.sender.count_events(Kind::permanent_failure) == 1u);
  BOOST_TEST(w.sender.count_events(Kind::report_queued) == 1u);
  const std::string line = w.sender.last(Kind::report_dropped)->detail;
  BOOST_TEST(line.rfind("warn: PermFail injecting failure report on message ", 0) == 0, line);
  BOOST_TEST(line.find(" to <test23442@websteading.net> for 1 envelope: 550 Invalid recipient") != std::string::npos,
             line);
  BOOST_TEST(w.sender.log().find(line) != std::string::npos);
  BOOST_TEST(w.sender.relay->queue()->envelopes().empty());
  const smtp::MonitorDigest d = w.sender.relay->monitor_digest();
  BOOST_TEST(d.dlv_permfail >= 1u);
  BOOST_TEST(d.evp_bounce == 1u);
}

BOOST_AUTO_TEST_CASE(control_commands_answer_like_smtpctl) {
  BackupMxWorld w;
  BOOST_TEST(w.primary.relay->pause_smtp().ok());
  w.send("someone@example.org", "ctl", kBody);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::temporary_failure) >= 1; },
                                       Duration::seconds(10)));
  MailRelay& mx2 = *w.mx2.relay;
  const smtp::EnvelopeId id = mx2.queue()->envelopes().begin()->first;
  BOOST_TEST(run_relay_command(mx2, {"schedule", "all"}).text == "1 envelope scheduled\n");
  BOOST_TEST(run_relay_command(mx2, {"schedule", "zz"}).ok == false);
  BOOST_TEST(run_relay_command(mx2, {"pause", "mta"}).text == "command succeeded\n");
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(show_queue(mx2).find("|pending|") != std::string::npos, show_queue(mx2));
  BOOST_TEST(run_relay_command(mx2, {"resume", "mta"}).ok);
  BOOST_TEST(run_relay_command(mx2, {"frobnicate"}).ok == false);
  smtp::MonitorView view;
  const std::string sample = monitor_sample(view, mx2);
  BOOST_TEST(sample.rfind("--- client ---", 0) == 0, sample);
  w.world.run_for(Duration::seconds(2));
  ControlAnswer removed = run_relay_command(mx2, {"remove", smtp::format_message_id(smtp::message_of(id))});
  BOOST_TEST(removed.text == "1 envelope removed\n", removed.text);
  w.world.run_for(Duration::seconds(5));
  BOOST_TEST(mx2.queue()->envelopes().empty());
  BOOST_TEST(show_queue(mx2).empty());
}

// A reloaded smtpd.conf is a restart inside the relay: the queue on disk
// stays, the new retry policy applies, the operator's pause is forgotten,
// and a config that cannot start leaves the old one running.
BOOST_AUTO_TEST_CASE(reconfigure_keeps_the_queue_and_applies_the_new_config) {
  BackupMxWorld w;
  BOOST_TEST(w.primary.relay->pause_smtp().ok());
  w.send("someone@example.org", "reload", kBody);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::temporary_failure) >= 1; },
                                       Duration::seconds(10)));
  MailRelay& mx2 = *w.mx2.relay;
  BOOST_TEST(mx2.pause_smtp().ok());
  std::string faster = kMx2Conf;
  faster.replace(faster.find("queue retry constant 60s"), 24, "queue retry constant 10s");
  auto r = mx2.reconfigure(parse(faster.c_str(), "mx2/smtpd.conf"));
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  BOOST_TEST(mx2.running());
  BOOST_TEST(mx2.config().knobs.resolve().retry.interval == Duration::seconds(10));
  BOOST_TEST(!mx2.smtp_paused());
  BOOST_TEST(mx2.queue()->envelopes().size() == 1u);
  BOOST_TEST(!mx2.listening_endpoints().empty());

  // The held envelope now retries every 10 s, not 60 s.
  const std::size_t attempts = w.mx2.count_events(Kind::delivery_attempt);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.mx2.count_events(Kind::delivery_attempt) >= attempts + 3; },
                                       Duration::seconds(40)));
  std::vector<Time> tries;
  for (const MailRelayEvent& e : w.mx2.events)
    if (e.kind == Kind::delivery_attempt) tries.push_back(e.time);
  const Duration gap = tries.back() - tries[tries.size() - 2];
  BOOST_TEST(gap >= Duration::seconds(10), format_duration(gap));
  BOOST_TEST(gap < Duration::seconds(11), format_duration(gap));

  // A pki file that is not there: refused, the running config stays.
  std::string broken = faster;
  broken.replace(broken.find("/etc/ssl/mx2.example.org.fullchain.pem"), 38, "/etc/ssl/missing.pem");
  auto bad = mx2.reconfigure(parse(broken.c_str(), "mx2/smtpd.conf"));
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message.find("the new config does not start, the old one runs again") != std::string::npos,
             bad.error().message);
  BOOST_TEST(mx2.running());
  BOOST_TEST(mx2.config().knobs.resolve().retry.interval == Duration::seconds(10));
  BOOST_TEST(mx2.queue()->envelopes().size() == 1u);

  BOOST_TEST(w.primary.relay->resume_smtp().ok());
  BOOST_TEST_REQUIRE(w.run_until_delivered(w.primary, 1, Duration::seconds(20)));
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(mx2.queue()->envelopes().empty());
}

// A reload asked for while a local delivery runs off the loop waits for it:
// restarting under it would deliver the message a second time.
BOOST_AUTO_TEST_CASE(reconfigure_waits_for_a_local_delivery_in_flight) {
  BackupMxWorld w;
  bool asked = false;
  w.primary.relay->subscribe([&](const MailRelayEvent& e) {
    if (e.kind != Kind::delivery_attempt || asked) return;
    asked = true;
    // Not from inside the relay's own call: right after it, the delivery is in flight.
    w.primary.host.post([&] {
      BOOST_TEST(w.primary.relay->reconfigure(parse(kPrimaryConf, "primary/smtpd.conf")).ok());
      BOOST_TEST(w.primary.relay->reload_pending());
    });
  });
  w.send("someone@example.org", "in flight", kBody);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return asked && !w.primary.relay->reload_pending(); }, Duration::seconds(10)));
  w.world.run_for(Duration::seconds(5));
  BOOST_TEST(w.primary.log().find("reload waits for 1 local deliveries in flight") != std::string::npos, w.primary.log());
  BOOST_TEST(w.primary.log().find("reloading the config") != std::string::npos, w.primary.log());
  BOOST_TEST(w.primary.relay->running());
  BOOST_TEST(w.primary.count_events(Kind::delivered) == 1u);
  BOOST_TEST(w.primary.relay->queue()->envelopes().empty());
  std::size_t files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(w.primary.host.storage_root() / "home" / "someone" / "Maildir" / "new")) {
    (void)entry;
    ++files;
  }
  BOOST_TEST(files == 1u);
}

// The queue commit and the local delivery run off the loop. A client that
// hangs up while its message commits loses only the reply: the mail is kept
// and delivered. `remove` of an envelope whose delivery runs takes effect
// when the delivery comes back (the scheduler's in-flight rule), whatever
// the worker's timing.
BOOST_AUTO_TEST_CASE(work_off_the_loop_survives_a_hang_up_and_a_removal) {
  HeldWorkWorld w;
  auto maildir_files = [&] {
    std::size_t n = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(w.primary_host.storage_root() / "home/someone/Maildir/new", ec), end;
         !ec && it != end; it.increment(ec))
      ++n;
    return n;
  };

  // 1. The client leaves while its commit is on the worker.
  auto client = std::make_unique<SmtpTestClient>(w.sender_host, w.primary(), w.mail());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.held.held() == 1; }, Duration::seconds(10)));
  BOOST_TEST(w.count(Kind::message_accepted) == 0u);
  client.reset();
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::session_closed) == 1; }, Duration::seconds(10)));
  w.held.release_all();
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::message_accepted) == 1; }, Duration::seconds(10)));
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.held.held() == 1; }, Duration::seconds(10)));  // its delivery
  w.held.release_all();
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::delivered) == 1; }, Duration::seconds(10)));
  w.world.run_for(Duration::milliseconds(100));
  w.held.release_all();  // the envelope's removal
  w.world.run_for(Duration::milliseconds(100));
  BOOST_TEST(maildir_files() == 1u);
  BOOST_TEST(w.relay.queue()->envelopes().empty());
  BOOST_TEST(std::filesystem::is_empty(w.primary_host.storage_root() / "queue/incoming"));

  // 2. The operator removes the envelope while its delivery is on the worker.
  SmtpTestClient second(w.sender_host, w.primary(), w.mail());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.held.held() == 1; }, Duration::seconds(10)));
  w.held.release_all();  // the commit
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return second.done(); }, Duration::seconds(10)));
  BOOST_TEST_REQUIRE(second.all_delivered(), second.describe());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.held.held() == 1; }, Duration::seconds(10)));  // the delivery
  BOOST_TEST_REQUIRE(w.relay.queue()->envelopes().size() == 1u);
  BOOST_TEST(w.relay.remove(w.relay.queue()->envelopes().begin()->first) == 1u);
  w.held.release_all();
  w.world.run_for(Duration::seconds(1));
  w.held.release_all();  // the removal's files
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(w.count(Kind::delivered) == 2u);  // it had already reached the maildir
  BOOST_TEST(w.count(Kind::temporary_failure) == 0u);
  BOOST_TEST(maildir_files() == 2u);
  BOOST_TEST(w.relay.queue()->envelopes().empty());
  BOOST_TEST(show_queue(w.relay).empty());
}

// A reload asked for while a commit's files are being written off the loop
// waits for it (the new queue's recovery could scan queue/ before the
// rename); a message completed meanwhile gets a 451, and the waiting one is
// kept and delivered after the restart.
BOOST_AUTO_TEST_CASE(reconfigure_waits_for_a_queue_commit_in_flight) {
  HeldWorkWorld w;
  SmtpTestClient first(w.sender_host, w.primary(), w.mail());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.held.held() == 1; }, Duration::seconds(10)));
  BOOST_TEST_REQUIRE(w.relay.reconfigure(parse(kPrimaryConf, "primary/smtpd.conf")).ok());
  BOOST_TEST(w.relay.reload_pending());
  SmtpTestClient second(w.sender_host, w.primary(), w.mail());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return second.done(); }, Duration::seconds(10)));
  BOOST_TEST(!second.all_delivered());
  BOOST_TEST(second.describe().find("451") != std::string::npos, second.describe());
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(w.relay.reload_pending());  // still waiting for the held commit

  w.held.release_all();
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return !w.relay.reload_pending(); }, Duration::seconds(10)));
  BOOST_TEST(w.relay.running());
  // The commit finished before the restart: the new queue has the message
  // and delivers it.
  for (int i = 0; i < 10 && w.count(Kind::delivered) == 0; ++i) {
    w.world.run_for(Duration::seconds(1));
    w.held.release_all();
  }
  BOOST_TEST(w.count(Kind::delivered) == 1u);
  BOOST_TEST(w.log().find("and 1 queue writes") != std::string::npos, w.log());
}

BOOST_AUTO_TEST_SUITE_END()

// Scenario files: what a valid one gives, and errors that name the file,
// the line and the field.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/scenario_parser.h"

using namespace tether;
using namespace tether::scenario;

namespace {

const std::filesystem::path kScenarios = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios";

bool has(const ScenarioParse& p, const std::string& text) {
  for (const std::string& e : p.errors)
    if (e.find(text) != std::string::npos) return true;
  return false;
}

// A scenario in the scenarios/ directory (so that config paths resolve).
ScenarioParse parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(text, kScenarios / "test.yaml", overrides);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scenario_parser)

BOOST_AUTO_TEST_CASE(shipped_scenario_loads) {
  auto p = load_scenario(kScenarios / "backup-mx-fallback.yaml");
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  const Scenario& s = p.scenario;
  BOOST_TEST(s.name == "backup-mx-fallback");
  BOOST_TEST(s.duration == Duration::hours(12));
  BOOST_TEST(s.hosts.size() == 4u);
  BOOST_TEST(std::string(to_string(s.host("mx2")->role)) == "backup");
  BOOST_TEST(s.host("carinho")->address.to_string() == "192.168.1.10");
  BOOST_TEST(std::filesystem::exists(s.host("namorar")->tunnel));
  BOOST_TEST(s.dns.size() == 6u);
  BOOST_TEST(s.workload.count == 48u);
  BOOST_TEST(s.workload.interval == Duration::minutes(10));
  BOOST_TEST_REQUIRE(s.events.size() == 2u);
  BOOST_TEST(std::string(to_string(s.events[0].action)) == "stop-node");
  BOOST_TEST(s.events[1].at == Duration::hours(7));
  BOOST_TEST(s.nat.table.timeouts.udp == Duration::seconds(30));
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_and_field) {
  const std::string text =
      "seed: 1\n"                                   // 1
      "duration: 2h\n"                              // 2
      "hosts:\n"                                    // 3
      "  relay:\n"                                  // 4
      "    role: relay\n"                           // 5
      "    address: 203.0.113.10\n"                 // 6
      "    tunnel: x.conf\n"                        // 7
      "    colour: blue\n"                          // 8
      "  home:\n"                                   // 9
      "    role: toaster\n"                         // 10
      "    address: 192.168.1.300\n"                // 11
      "links:\n"                                    // 12
      "  - {endpoints: [relay, home]}\n"            // 13
      "events:\n"                                   // 14
      "  - {at: 3h, action: stop-node, target: relay}\n"  // 15
      "  - {at: 1h, action: explode}\n";            // 16
  auto p = parse(text);
  BOOST_TEST(!p.ok());
  BOOST_TEST(has(p, "test.yaml:7: hosts.relay.tunnel: file 'x.conf' not found"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:8: hosts.relay.colour: unknown key"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:10: hosts.home.role: 'toaster' is not a role"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:11: hosts.home.address: '192.168.1.300' is not an IP address"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:13: links.0.endpoints: [relay, home] is not a link of the world"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:15: events.0.at: outside the scenario's duration"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:16: events.1.action: 'explode' is not an action"), p.error_text());
}

BOOST_AUTO_TEST_CASE(yaml_syntax_error_has_a_line) {
  auto p = parse("seed: 1\nhosts: [\n");
  BOOST_TEST_REQUIRE(p.errors.size() == 1u);
  BOOST_TEST(p.errors[0].rfind("test.yaml:", 0) == 0u, p.errors[0]);
}

// WallTime counts nanoseconds in 64 bits: an epoch past 2261 would overflow
// (the fuzz target found 9999-...), so it is refused like a malformed one.
BOOST_AUTO_TEST_CASE(epoch_out_of_range_is_an_error) {
  for (const char* epoch : {"9999-01-01", "1969-12-31T23:59:59Z", "2026-01-01T-1:00:00Z"}) {
    auto p = parse(std::string("epoch: '") + epoch + "'\n");
    BOOST_TEST(has(p, "epoch: '" + std::string(epoch) + "' is not a UTC time from 1970 to 2261"), p.error_text());
  }
  auto ok = parse("epoch: '2261-12-31T23:59:59Z'\n");
  BOOST_TEST(!has(ok, "epoch:"), ok.error_text());
}

BOOST_AUTO_TEST_CASE(set_overrides_apply_before_validation) {
  const auto file = kScenarios / "backup-mx-fallback.yaml";
  auto p = load_scenario(file, {"duration=3h", "seed=42", "events.1.at=2h", "workload.recipients=[a@example.org, b@example.org]",
                                "nat.timeouts.udp=2m"});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST(p.scenario.duration == Duration::hours(3));
  BOOST_TEST(p.scenario.seed == 42u);
  BOOST_TEST(p.scenario.events[1].at == Duration::hours(2));
  BOOST_TEST(p.scenario.workload.recipients.size() == 2u);
  BOOST_TEST(p.scenario.nat.table.timeouts.udp == Duration::minutes(2));

  auto bad = load_scenario(file, {"duration=3x", "hosts.mx2.tunnel=missing.conf", "nosuch=1", "events.9.at=1h"});
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "--set events.9.at=1h: '9' is not an index of the list"), bad.error_text());
  // Errors in the tree are reported once the tree can be edited.
  auto bad2 = load_scenario(file, {"duration=3x", "hosts.mx2.tunnel=missing.conf", "nosuch=1"});
  BOOST_TEST(has(bad2, "--set duration=3x: duration: '3x' is not a duration"), bad2.error_text());
  BOOST_TEST(has(bad2, "--set hosts.mx2.tunnel=missing.conf: hosts.mx2.tunnel: file 'missing.conf' not found"),
             bad2.error_text());
  BOOST_TEST(has(bad2, "--set nosuch=1: nosuch: unknown key"), bad2.error_text());
}

BOOST_AUTO_TEST_CASE(home_activity_and_persistent_keepalive) {
  auto p = load_scenario(kScenarios / "nat-expiry.yaml", {"hosts.carinho.persistent_keepalive=0"});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST((p.scenario.host("carinho")->persistent_keepalive == std::optional<std::uint16_t>(0)));
  BOOST_TEST(!p.scenario.host("namorar")->persistent_keepalive.has_value());
  BOOST_TEST(p.scenario.home_activity.interval == Duration::minutes(20));
  BOOST_TEST(p.scenario.home_activity.to.to_string() == "10.8.0.1:123");
  BOOST_TEST(p.scenario.home_activity.size == 48u);

  auto units = load_scenario(kScenarios / "nat-expiry.yaml", {"hosts.carinho.persistent_keepalive=25s"});
  BOOST_TEST_REQUIRE(units.ok(), units.error_text());
  BOOST_TEST((units.scenario.host("carinho")->persistent_keepalive == std::optional<std::uint16_t>(25)));

  auto bad = load_scenario(kScenarios / "nat-expiry.yaml",
                           {"home_activity.to=10.8.0.1", "home_activity.every=5m", "hosts.sender.persistent_keepalive=25"});
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "home_activity.to: '10.8.0.1' is not ADDRESS:PORT"), bad.error_text());
  BOOST_TEST(has(bad, "home_activity.every: unknown key"), bad.error_text());
  BOOST_TEST(has(bad, "hosts.sender.persistent_keepalive: the host runs no tunnel"), bad.error_text());
}

BOOST_AUTO_TEST_CASE(change_config_events_name_their_files_and_load_them_up_front) {
  const std::filesystem::path broken = std::filesystem::temp_directory_path() / "tether-parser-broken-wg0.conf";
  std::ofstream(broken) << "[Interface]\nPrivateKey = not-a-key\n";
  const std::string events =
      "events=[{at: 1h, action: change-config, target: carinho, tunnel: backup-mx-fallback/carinho/etc/wireguard/wg0.conf,"
      " smtpd: backup-mx-fallback/carinho/etc/mail/smtpd.conf}]";
  auto p = load_scenario(kScenarios / "nat-expiry.yaml", {events});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST_REQUIRE(p.scenario.events.size() == 1u);
  const EventSpec& e = p.scenario.events[0];
  BOOST_TEST((e.action == EventAction::change_config));
  BOOST_TEST(std::string(to_string(e.action)) == "change-config");
  BOOST_TEST(e.tunnel.filename() == "wg0.conf");
  BOOST_TEST(e.smtpd.filename() == "smtpd.conf");

  auto bad = load_scenario(kScenarios / "nat-expiry.yaml",
                           {"events=[{at: 1h, action: change-config, target: carinho},"
                            " {at: 1h, action: change-config, target: sender, tunnel: backup-mx-fallback/carinho/etc/wireguard/wg0.conf},"
                            " {at: 1h, action: change-config, target: carinho, tunnel: " + broken.string() + "},"
                            " {at: 1h, action: change-config, target: carinho, smtpd: nope.conf},"
                            " {at: 1h, action: stop-node, target: carinho, smtpd: backup-mx-fallback/carinho/etc/mail/smtpd.conf}]"});
  std::filesystem::remove(broken);
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "events.0.tunnel: change-config needs tunnel and/or smtpd"), bad.error_text());
  BOOST_TEST(has(bad, "events.1.tunnel: host 'sender' runs no tunnel"), bad.error_text());
  // The config parser's own file:line.
  BOOST_TEST(has(bad, "events.2.tunnel: tether-parser-broken-wg0.conf:2: PrivateKey"), bad.error_text());
  BOOST_TEST(has(bad, "events.3.smtpd: file 'nope.conf' not found"), bad.error_text());
  BOOST_TEST(has(bad, "events.4.smtpd: only for change-config"), bad.error_text());
}

BOOST_AUTO_TEST_CASE(ipv6_prefix_pool_address6_and_interface_id) {
  auto p = load_scenario(kScenarios / "ip-change-v6.yaml");
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST(p.scenario.isp.prefix_pool.front().to_string() == "3fff:100::/56");
  BOOST_TEST(p.scenario.host("namorar")->address6->to_string() == "3fff:ffff:0:10::10");
  BOOST_TEST((p.scenario.host("carinho")->interface_id == std::optional<std::uint64_t>(0x10)));

  auto bad = load_scenario(kScenarios / "ip-change-v6.yaml",
                           {"isp.prefix_pool=[3fff:100::/56, 3fff:200::/60, 10.0.0.0/8]", "hosts.namorar.address6=10.1.2.3",
                            "hosts.carinho.interface_id=3fff::10", "hosts.sender.interface_id=::5"});
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "isp.prefix_pool.1: every prefix of the pool has one length"), bad.error_text());
  BOOST_TEST(has(bad, "isp.prefix_pool.2: '10.0.0.0/8' is not an IPv6 prefix of /48 to /64"), bad.error_text());
  BOOST_TEST(has(bad, "hosts.namorar.address6: '10.1.2.3' is not an IPv6 address"), bad.error_text());
  BOOST_TEST(has(bad, "hosts.carinho.interface_id: expected the low 64 bits"), bad.error_text());
  BOOST_TEST(has(bad, "hosts.sender.interface_id: only the home is numbered from the prefix"), bad.error_text());

  auto without = load_scenario(kScenarios / "ip-change.yaml", {"hosts.namorar.address6=3fff:ffff::10"});
  BOOST_TEST(has(without, "hosts.namorar.address6: IPv6 needs isp.prefix_pool"), without.error_text());
  auto no_id = load_scenario(kScenarios / "ip-change.yaml", {"isp.prefix_pool=[3fff:100::/56]"});
  BOOST_TEST(has(no_id, "hosts.carinho.interface_id: missing"), no_id.error_text());
}

// No duration in a scenario is negative: each one is refused where it is
// written (a negative start was clamped, a negative delay sped delivery up).
BOOST_AUTO_TEST_CASE(negative_durations_are_refused_in_every_field) {
  const auto file = kScenarios / "backup-mx-fallback.yaml";
  for (const char* field : {"workload.interval", "workload.start", "links.0.delay", "links.0.jitter", "isp.change_every",
                            "isp.first_change", "dns.0.ttl", "nat.failover_detection", "nat.timeouts.udp", "events.0.at"}) {
    const std::string set = std::string(field) + "=-5s";
    auto p = load_scenario(file, {set});
    BOOST_TEST(has(p, "--set " + set + ": " + field + ": '-5s' is negative"), p.error_text());
  }
  auto written = parse("workload:\n  count: 1\n  interval: -1m\n");
  BOOST_TEST(has(written, "test.yaml:3: workload.interval: '-1m' is negative"), written.error_text());
  auto bad_link_rate = load_scenario(file, {"links.0.rate=0Mbps"});
  BOOST_TEST(has(bad_link_rate, "links.0.rate: '0Mbps' is not a rate above 0"), bad_link_rate.error_text());
}

BOOST_AUTO_TEST_CASE(a_rate_per_several_units_is_read_as_written) {
  std::ifstream in(kScenarios / "backup-mx-fallback.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  yaml.replace(yaml.find("interval: 10m"), 13, "rate: 5/2h");
  auto p = parse_scenario(yaml, kScenarios / "backup-mx-fallback.yaml");
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST(p.scenario.workload.interval == Duration::minutes(24));
}

// yaml-cpp keeps the first of two equal keys: the second would be ignored
// without a word. Each repeat is an error naming both lines.
BOOST_AUTO_TEST_CASE(a_duplicated_key_anywhere_names_both_lines) {
  const std::string text =
      "seed: 1\n"                         // 1
      "hosts:\n"                          // 2
      "  relay:\n"                        // 3
      "    role: relay\n"                 // 4
      "    address: 203.0.113.10\n"       // 5
      "    role: backup\n"                // 6
      "links:\n"                          // 7
      "  - {endpoints: [relay, internet], delay: 5ms, delay: 1ms}\n"  // 8
      "seed: 2\n";                        // 9
  auto p = parse(text);
  BOOST_TEST(has(p, "test.yaml:6: hosts.relay.role: duplicated key (first at line 4)"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:8: links.0.delay: duplicated key (first at line 8)"), p.error_text());
  BOOST_TEST(has(p, "test.yaml:9: seed: duplicated key (first at line 1)"), p.error_text());
}

// A file cut at a line boundary must not parse into a valid run that does
// less. Every shipped scenario, cut after each of its lines: the cut file
// is refused, unless all it lost is inside the last section, `outputs`,
// after its dir (which the parser requires, so a cut before it shows).
BOOST_AUTO_TEST_CASE(every_shipped_scenario_cut_at_any_line_is_refused) {
  for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::size_t outputs_dir = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].rfind("  dir:", 0) == 0 || lines[i].rfind("outputs: {", 0) == 0) outputs_dir = i;
    BOOST_TEST_REQUIRE(outputs_dir < lines.size(), entry.path().filename() << " has an outputs.dir");
    std::string text;
    for (std::size_t kept = 0; kept < lines.size(); ++kept) {
      // Cutting after blank and comment lines loses nothing more.
      bool loses_content = false;
      for (std::size_t j = kept; j < lines.size(); ++j)
        loses_content |= lines[j].find_first_not_of(' ') != std::string::npos && lines[j][lines[j].find_first_not_of(' ')] != '#';
      if (loses_content && kept <= outputs_dir) {
        auto p = parse_scenario(text, entry.path());
        BOOST_TEST(!p.ok(), entry.path().filename().string() << " cut after line " << kept);
      }
      text += lines[kept] + "\n";
    }
    BOOST_TEST(parse_scenario(text, entry.path()).ok(), entry.path().filename());
  }
}

BOOST_AUTO_TEST_CASE(a_workload_says_how_much_it_sends_and_how_fast) {
  auto none = parse("hosts: {}\nworkload: {count: 0}\noutputs: {dir: results/x}\n");
  BOOST_TEST(none.ok(), none.error_text());
  auto missing = parse("hosts: {}\noutputs: {dir: results/x}\n");
  BOOST_TEST(has(missing, "test.yaml:2: workload: missing"), missing.error_text());
  auto uncounted = parse("hosts: {}\nworkload: {}\noutputs: {dir: results/x}\n");
  BOOST_TEST(has(uncounted, "test.yaml:2: workload.count: missing"), uncounted.error_text());
  auto no_outputs = parse("hosts: {}\nworkload: {count: 0}\n");
  BOOST_TEST(has(no_outputs, "test.yaml:2: outputs: missing"), no_outputs.error_text());
  auto unpaced = load_scenario(kScenarios / "backup-mx-fallback.yaml", {"workload={sender: sender, count: 3, recipients: [a@example.org]}"});
  BOOST_TEST(has(unpaced, "workload.interval: missing"), unpaced.error_text());
}

BOOST_AUTO_TEST_CASE(arrivals_jitter_and_reorder_are_read) {
  auto p = load_scenario(kScenarios / "backup-mx-fallback.yaml",
                         {"workload.arrivals=poisson", "links.3.jitter=17ms", "links.3.reorder=true"});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  BOOST_TEST((p.scenario.workload.arrivals == Arrivals::poisson));
  BOOST_TEST((p.scenario.links[3].jitter == std::optional<Duration>(Duration::milliseconds(17))));
  BOOST_TEST(p.scenario.links[3].reorder);
  BOOST_TEST(!p.scenario.links[2].jitter.has_value());
  auto fixed = load_scenario(kScenarios / "backup-mx-fallback.yaml");
  BOOST_TEST((fixed.scenario.workload.arrivals == Arrivals::fixed));
  auto bad = load_scenario(kScenarios / "backup-mx-fallback.yaml", {"workload.arrivals=gaussian", "links.0.reorder=maybe"});
  BOOST_TEST(has(bad, "workload.arrivals: 'gaussian' is not fixed or poisson"), bad.error_text());
  BOOST_TEST(has(bad, "links.0.reorder: 'maybe' is not a boolean"), bad.error_text());
}

BOOST_AUTO_TEST_CASE(set_through_a_key_the_file_lacks_names_it_and_the_closest) {
  const auto file = kScenarios / "backup-mx-fallback.yaml";
  auto host = load_scenario(file, {"hosts.mx9.role=relay"});
  BOOST_TEST(has(host, "--set hosts.mx9.role=relay: hosts.mx9 does not exist in the file (the closest is hosts.mx2)"),
             host.error_text());
  auto section = load_scenario(file, {"nat.timeout.udp=2m"});
  BOOST_TEST(has(section, "nat.timeout does not exist in the file (the closest is nat.timeouts)"), section.error_text());
  // A new last key is the parser's to judge, with the key it resembles.
  auto leaf = load_scenario(file, {"workload.cont=3"});
  BOOST_TEST(has(leaf, "--set workload.cont=3: workload.cont: unknown key (did you mean 'count'?"), leaf.error_text());
  // A fixed section of the schema the file lacks is made on the way
  // (backup-mx-fallback has no `clocks:`); its keys are still checked.
  auto clocks = load_scenario(file, {"clocks.ppm=50"});
  BOOST_TEST_REQUIRE(clocks.ok(), clocks.error_text());
  BOOST_TEST(clocks.scenario.clocks.ppm == 50.0);
  auto typo = load_scenario(file, {"clocks.pmm=50"});
  BOOST_TEST(has(typo, "clocks.pmm: unknown key"), typo.error_text());
}

// A host's own configs are loaded with the scenario, as change-config's
// are: a broken one is an error naming the YAML line and field and the
// config's own file:line, before anything runs.
BOOST_AUTO_TEST_CASE(a_host_config_that_does_not_load_names_the_yaml_line_and_its_own) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tether-parser-host-configs";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "smtpd.conf") << "listen on 0.0.0.0\nmatch frm any action x\n";
  std::ofstream(dir / "wg0.conf") << "[Interface]\nPrivateKey = nope\n";
  const std::string text =
      "hosts:\n"                    // 1
      "  mx2:\n"                    // 2
      "    role: backup\n"          // 3
      "    address: 198.18.1.10\n"  // 4
      "    smtpd: smtpd.conf\n"     // 5
      "    tunnel: wg0.conf\n"      // 6
      "workload: {count: 0}\n"
      "outputs: {dir: results/x}\n";
  auto p = parse_scenario(text, dir / "x.yaml");
  std::filesystem::remove_all(dir);
  BOOST_TEST(has(p, "x.yaml:5: hosts.mx2.smtpd: smtpd.conf:2: unknown keyword 'frm'"), p.error_text());
  BOOST_TEST(has(p, "x.yaml:6: hosts.mx2.tunnel: wg0.conf:2: PrivateKey"), p.error_text());
}

// The seeds' hosts run OpenBSD (smtp-over-wireguard.txt: "two machines
// both running OpenBSD 7.0"; backup-relay-mx.txt: "... on OpenBSD").
BOOST_AUTO_TEST_CASE(a_host_says_which_mail_server_the_lab_runs_and_the_profile_follows) {
  auto p = load_scenario(kScenarios / "lab" / "backup-mx-fallback-opensmtpd.yaml");
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  for (const char* name : {"sender", "mx2"}) {
    BOOST_TEST(std::string(to_string(p.scenario.host(name)->implementation)) == "opensmtpd", name);
    BOOST_TEST((p.scenario.host(name)->profile == std::optional<smtp::RelayProfile>(smtp::RelayProfile::opensmtpd)));
  }
  BOOST_TEST(std::string(to_string(p.scenario.host("namorar")->implementation)) == "tetherd");
  BOOST_TEST(!p.scenario.host("namorar")->profile.has_value());

  const std::string text =
      "hosts:\n"                                                        // 1
      "  relay:\n"                                                      // 2
      "    role: relay\n"                                               // 3
      "    address: 203.0.113.10\n"                                     // 4
      "    smtpd: backup-mx-fallback/sender/etc/mail/smtpd.conf\n"      // 5
      "    profile: postfix\n"                                          // 6
      "    implementation: opensmtpd\n"                                 // 7
      "  other:\n"                                                      // 8
      "    role: sender\n"                                              // 9
      "    address: 198.18.0.10\n"                                      // 10
      "    implementation: postfix\n";                                  // 11
  auto bad = parse(text);
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "test.yaml:7: hosts.relay.implementation: opensmtpd runs on the opensmtpd profile, not 'postfix'"),
             bad.error_text());
  BOOST_TEST(has(bad, "test.yaml:11: hosts.other.implementation: the host runs no mail server"), bad.error_text());
  BOOST_TEST(has(bad, "hosts.other.implementation: 'postfix' is not a mail server the lab runs (tetherd, opensmtpd)"),
             bad.error_text());
}

BOOST_AUTO_TEST_CASE(hosts_say_their_os_and_clocks_their_rate_error) {
  auto p = load_scenario(kScenarios / "seed-week.yaml");
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  for (const char* name : {"namorar", "carinho", "mx2"})
    BOOST_TEST(std::string(to_string(p.scenario.host(name)->os)) == "openbsd", name);
  BOOST_TEST(std::string(to_string(p.scenario.host("sender")->os)) == "linux");
  BOOST_TEST(p.scenario.clocks.ppm == 20.0);
  BOOST_TEST(!p.scenario.host("carinho")->clock_ppm.has_value());

  auto fixed = load_scenario(kScenarios / "seed-week.yaml", {"hosts.carinho.clock_ppm=-35.5"});
  BOOST_TEST_REQUIRE(fixed.ok(), fixed.error_text());
  BOOST_TEST((fixed.scenario.host("carinho")->clock_ppm == std::optional<double>(-35.5)));

  const std::string text =
      "hosts:\n"                        // 1
      "  relay:\n"                      // 2
      "    role: relay\n"               // 3
      "    address: 203.0.113.10\n"     // 4
      "    os: freebsd\n"               // 5
      "    clock_ppm: 5000\n"           // 6
      "clocks: {ppm: -3, drift: 1}\n";  // 7
  auto bad = parse(text);
  BOOST_TEST(!bad.ok());
  BOOST_TEST(has(bad, "test.yaml:5: hosts.relay.os: 'freebsd' is not an operating system the world models (linux, openbsd)"),
             bad.error_text());
  BOOST_TEST(has(bad, "test.yaml:6: hosts.relay.clock_ppm"), bad.error_text());
  BOOST_TEST(has(bad, "clocks.drift: unknown key"), bad.error_text());
}

BOOST_AUTO_TEST_SUITE_END()

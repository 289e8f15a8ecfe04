// tetherd on real interfaces, as root: two network namespaces joined by a
// veth pair, a tetherd in each (home dials the relay), checked with `ip`,
// ping and tetherctl, then stopped by signal. Every process is run and
// killed by its PID; the namespaces go on every path out of the test.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "daemon/key_commands.h"
#include "support/run_process.h"
#include "support/child_process.h"
#include "support/network_namespace.h"
#include "support/root_precondition.h"
#include "support/unprivileged.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kTetherctl = TETHERCTL_PATH;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Keys {
  std::string private_key, public_key;
  Keys() {
    private_key = *control::generate_key_text(true);
    public_key = *control::public_key_text(private_key);
    private_key.pop_back();  // the newline
    public_key.pop_back();
  }
};

ProcessResult ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

// home (namespace A, 192.0.2.1) and relay (namespace B, 192.0.2.2) on a veth
// pair; each runs a tetherd from a file in `dir`.
struct TwoNamespaces {
  TestDirectory dir{"tetherd-netns"};
  Keys home_keys, relay_keys;
  NamedNamespace a{"tthd-a"}, b{"tthd-b"};
  // Declared after the namespaces: the daemons end before those go.
  std::unique_ptr<ChildProcess> home, relay;

  TwoNamespaces() {
    BOOST_TEST_REQUIRE(a.created());
    BOOST_TEST_REQUIRE(b.created());
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"-n", a.name(), "link", "add", "vA", "type", "veth", "peer", "name", "vB", "netns", b.name()},
             {"-n", a.name(), "addr", "add", "192.0.2.1/24", "dev", "vA"},
             {"-n", a.name(), "link", "set", "vA", "up"},
             {"-n", b.name(), "addr", "add", "192.0.2.2/24", "dev", "vB"},
             {"-n", b.name(), "link", "set", "vB", "up"}}) {
      ProcessResult r = ip(step);
      BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
    }
    write_file(dir / "tthd0.conf",
               "# home: dials the relay and keeps the tunnel open\n"
               "[Interface]\n"
               "PrivateKey = " + home_keys.private_key + "\n"
               "Address = 10.77.0.2/24\n"
               "MTU = 1380\n"
               "\n"
               "[Peer]\n"
               "PublicKey = " + relay_keys.public_key + "\n"
               "Endpoint = 192.0.2.2:51820\n"
               "AllowedIPs = 10.77.0.1/32, 10.78.0.0/16\n"
               "PersistentKeepalive = 25\n");
    write_file(dir / "tthd1.conf",
               "# relay: a fixed port, learns home's endpoint\n"
               "[Interface]\n"
               "PrivateKey = " + relay_keys.private_key + "\n"
               "ListenPort = 51820\n"
               "Address = 10.77.0.1/24\n"
               "\n"
               "[Peer]\n"
               "PublicKey = " + home_keys.public_key + "\n"
               "AllowedIPs = 10.77.0.2/32\n");
  }

  std::string socket(const std::string& side) const { return (dir / (side + ".sock")).string(); }

  std::unique_ptr<ChildProcess> start(const NamedNamespace& ns, const std::string& conf, const std::string& side) {
    auto child = ChildProcess::spawn({"ip", "netns", "exec", ns.name(), kTetherd, "--tunnel", (dir / conf).string(),
                                      "--control", socket(side), "--state", (dir / (side + "-state")).string()});
    BOOST_TEST_REQUIRE(child.ok(), (child.ok() ? "" : child.error().to_string()));
    BOOST_TEST_REQUIRE((*child)->wait_for_output("ready: ", Duration::seconds(10)), (*child)->output());
    return std::move(*child);
  }

  ProcessResult ctl(const std::string& side, const std::vector<std::string>& command) {
    std::vector<std::string> argv{kTetherctl, "--control", socket(side)};
    argv.insert(argv.end(), command.begin(), command.end());
    return run_process(argv);
  }

  // A few tries: the first ping also waits for the handshake.
  bool ping(const NamedNamespace& ns, const std::string& to) {
    for (int i = 0; i < 5; ++i)
      if (run_process({"ip", "netns", "exec", ns.name(), "ping", "-n", "-c", "1", "-W", "2", to}).exit_code == 0)
        return true;
    return false;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_netns, *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root"))

BOOST_AUTO_TEST_CASE(interface_routes_ping_show_and_clean_exit) {
  TwoNamespaces w;
  w.relay = w.start(w.b, "tthd1.conf", "relay");
  w.home = w.start(w.a, "tthd0.conf", "home");

  // As wg-quick up would leave it: address, MTU, up, a route per AllowedIPs.
  ProcessResult addr = ip({"-n", w.a.name(), "-o", "addr", "show", "dev", "tthd0"});
  BOOST_TEST(has(addr.out, "inet 10.77.0.2/24"), addr.describe());
  ProcessResult link = ip({"-n", w.a.name(), "-o", "link", "show", "dev", "tthd0"});
  BOOST_TEST(has(link.out, "mtu 1380"), link.describe());
  BOOST_TEST(has(link.out, ",UP,LOWER_UP>"), link.describe());
  ProcessResult routes = ip({"-n", w.a.name(), "route", "show", "dev", "tthd0"});
  BOOST_TEST(has(routes.out, "10.77.0.1 "), routes.describe());
  BOOST_TEST(has(routes.out, "10.78.0.0/16 "), routes.describe());
  ProcessResult relay_link = ip({"-n", w.b.name(), "-o", "link", "show", "dev", "tthd1"});
  BOOST_TEST(has(relay_link.out, "mtu 1420"), relay_link.describe());  // wg-quick's default

  // Through the tunnel both ways; each kernel answers its own address.
  BOOST_TEST(w.ping(w.a, "10.77.0.1"), w.home->output());
  BOOST_TEST(w.ping(w.b, "10.77.0.2"), w.relay->output());

  ProcessResult shown = w.ctl("home", {"show", "tunnel"});
  BOOST_TEST_REQUIRE(shown.exit_code == 0, shown.describe());
  const std::string& s = shown.out;
  BOOST_TEST(has(s, "interface: tthd0\n  public key: " + w.home_keys.public_key + "\n  private key: (hidden)\n  listening port: "), s);
  BOOST_TEST(has(s, "\npeer: " + w.relay_keys.public_key + "\n  endpoint: 192.0.2.2:51820\n"
                    "  allowed ips: 10.77.0.1/32, 10.78.0.0/16\n  latest handshake: "), s);
  BOOST_TEST((has(s, " ago\n") || has(s, "latest handshake: Now\n")), s);
  BOOST_TEST(has(s, "  transfer: "), s);
  BOOST_TEST(has(s, " received, "), s);
  BOOST_TEST(has(s, " sent\n  persistent keepalive: every 25 seconds\n"), s);
  ProcessResult relay_shown = w.ctl("relay", {"show", "tunnel"});
  BOOST_TEST(has(relay_shown.out, "  listening port: 51820\n"), relay_shown.describe());
  BOOST_TEST(has(relay_shown.out, "  endpoint: 192.0.2.1:"), relay_shown.describe());  // learnt from home
  ProcessResult unknown = w.ctl("home", {"show", "nothing", "like", "this"});
  BOOST_TEST(unknown.exit_code == 1, unknown.describe());
  BOOST_TEST(has(unknown.err, "unknown command 'show nothing like this'; try 'help'"), unknown.describe());

  // The control socket: root's alone.
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(w.socket("home").c_str(), &st) == 0);
  BOOST_TEST(S_ISSOCK(st.st_mode));
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(st.st_uid == 0u);
  // Nobody else may use it: tetherctl run as nobody is refused, and says so.
  std::string why;
  const std::optional<std::string> as_nobody = run_as_nobody(
      [&] {
        ProcessResult r = run_process({kTetherctl, "--control", w.socket("home"), "show", "tunnel"});
        return std::to_string(r.exit_code) + "\n" + r.out + "\n--\n" + r.err;
      },
      &why);
  BOOST_TEST_REQUIRE(as_nobody.has_value(), why);
  BOOST_TEST(as_nobody->rfind("1\n\n--\n", 0) == 0u, *as_nobody);  // exit 1, nothing on stdout
  BOOST_TEST(has(*as_nobody, "Permission denied"), *as_nobody);

  // A second tetherd on the same control socket gives up cleanly, leaving
  // neither its interface nor the first one's socket behind.
  write_file(w.dir / "tthd2.conf", "[Interface]\nPrivateKey = " + w.home_keys.private_key + "\nAddress = 10.79.0.1/24\n");
  ProcessResult second = run_process({"ip", "netns", "exec", w.a.name(), kTetherd, "--tunnel",
                                      (w.dir / "tthd2.conf").string(), "--control", w.socket("home"), "--state",
                                      (w.dir / "second-state").string()});
  BOOST_TEST(second.exit_code == 1, second.describe());
  BOOST_TEST(has(second.err, "another tetherd is listening"), second.describe());
  BOOST_TEST(ip({"-n", w.a.name(), "link", "show", "dev", "tthd2"}).exit_code != 0);
  BOOST_TEST(w.ctl("home", {"show", "tunnel"}).exit_code == 0);

  // SIGTERM: interface gone, socket gone, status 0.
  BOOST_TEST_REQUIRE(::kill(w.home->pid(), SIGTERM) == 0);
  BOOST_TEST_REQUIRE(w.home->wait_exit(Duration::seconds(10)), w.home->output());
  BOOST_TEST(*w.home->exit_code() == 0, w.home->output());
  BOOST_TEST(has(w.home->output(), "received SIGTERM, shutting down"), w.home->output());
  BOOST_TEST(ip({"-n", w.a.name(), "link", "show", "dev", "tthd0"}).exit_code != 0);
  BOOST_TEST(ip({"-n", w.a.name(), "route", "show", "10.78.0.0/16"}).out.empty());
  BOOST_TEST(::access(w.socket("home").c_str(), F_OK) != 0);
  ProcessResult gone = w.ctl("home", {"show", "tunnel"});
  BOOST_TEST(gone.exit_code == 1);
  BOOST_TEST(has(gone.err, "(is tetherd running?)"), gone.describe());

  // SIGINT does the same.
  BOOST_TEST_REQUIRE(::kill(w.relay->pid(), SIGINT) == 0);
  BOOST_TEST_REQUIRE(w.relay->wait_exit(Duration::seconds(10)), w.relay->output());
  BOOST_TEST(*w.relay->exit_code() == 0, w.relay->output());
  BOOST_TEST(ip({"-n", w.b.name(), "link", "show", "dev", "tthd1"}).exit_code != 0);
}

// Issue 14, hole 9: the daemon counted what it dropped, but `show tunnel`
// hid it. Datagrams nobody could take for WireGuard reach the relay's port
// from home's namespace; the relay's `show tunnel` counts them by reason.
BOOST_AUTO_TEST_CASE(show_tunnel_counts_the_datagrams_it_dropped) {
  TwoNamespaces w;
  w.relay = w.start(w.b, "tthd1.conf", "relay");
  {
    auto inside = ThreadInNamespace::enter(w.a.name());
    BOOST_TEST_REQUIRE(inside.ok(), (inside.ok() ? "" : inside.error().to_string()));
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    BOOST_TEST_REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(51820);
    ::inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
    const unsigned char junk[] = {9, 0, 0, 0, 'n', 'o', 't', ' ', 'w', 'g'};  // type 9: no such message
    for (int i = 0; i < 3; ++i)
      BOOST_TEST(::sendto(fd, junk, sizeof junk, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
                 static_cast<ssize_t>(sizeof junk));
    ::close(fd);
  }
  // The datagrams are read from the loop: ask until they are all counted.
  std::string shown;
  for (int i = 0; i < 50; ++i) {
    shown = w.ctl("relay", {"show", "tunnel"}).out;
    if (has(shown, "unknown_type 3")) break;
    ::usleep(100 * 1000);
  }
  // Under the interface; the kernel's own packets into the interface (IPv6
  // router solicitations, no peer's AllowedIPs) may be counted there too.
  BOOST_TEST(has(shown, "  listening port: 51820\n  dropped packets: "), shown);
  BOOST_TEST((has(shown, "(unknown_type 3)\n") || has(shown, "(unknown_type 3, ")), shown);
}

BOOST_AUTO_TEST_CASE(a_tunnel_that_cannot_start_exits_1_and_leaves_nothing) {
  TwoNamespaces w;
  // The relay's port is taken by the first relay.
  w.relay = w.start(w.b, "tthd1.conf", "relay");
  std::string conf = "[Interface]\nPrivateKey = " + w.relay_keys.private_key + "\nListenPort = 51820\nAddress = 10.79.0.1/24\n";
  write_file(w.dir / "tthd3.conf", conf);
  ProcessResult clash = run_process({"ip", "netns", "exec", w.b.name(), kTetherd, "--tunnel",
                                     (w.dir / "tthd3.conf").string(), "--control", w.socket("clash"), "--state",
                                     (w.dir / "clash-state").string()});
  BOOST_TEST(clash.exit_code == 1, clash.describe());
  BOOST_TEST(has(clash.err, "tthd3: cannot bind UDP port 51820"), clash.describe());
  BOOST_TEST(ip({"-n", w.b.name(), "link", "show", "dev", "tthd3"}).exit_code != 0);
  BOOST_TEST(::access(w.socket("clash").c_str(), F_OK) != 0);
}

BOOST_AUTO_TEST_SUITE_END()

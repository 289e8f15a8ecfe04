// The wg-quick config format: the seed's two tunnel ends written as wg-quick
// files, a typical commercial-VPN wg0.conf with the wg-quick-only keys, the
// parsing rules wg and wg-quick share, and a table of malformed configs,
// each with the file:line message it must produce. The keys are arbitrary
// 32-byte values: the parser does not check that a pair belongs together.

#include "tunnel/tunnel_config.h"
#include "tunnel/print_optional.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace tether;
using namespace tether::tunnel;

namespace {

const std::string kNamorarPriv = "RqckG/nHld1HhnyTsY0H+Unalj4icbXaUO/l1UCwKjI=";
const std::string kNamorarPub = "RhVmWmS1Q8gcFUtxaG3BWDliF3obLTDW+d1YnmR4mrM=";
const std::string kCarinhoPriv = "bIiB4k8bm18fMFU/ZfnOxH7Uhpi2VtBTapbuiXsKvnk=";
const std::string kCarinhoPub = "oFATzRvA4zcj5RCYULMTDKirbr3w+eKbwZS0Q2i+Ins=";
const std::string kVpnPriv = "GlEHqhAE3CWIkbvFzMUixJBv5f36VtxU3pvVGfEO4kg=";
const std::string kVpnPub = "0JDgxPtosfJY/YQugUz11SItZjaS/USFr/UqvxAKz3Y=";
const std::string kPsk = "Iz7fpYyEhHcS6RFXJTOQfcRnccKvAizqB2a0ItRPMeU=";

// The seed's relay VM (vpn1, 2001:db8:c1da::2): fixed port 6900, no endpoint
// for its peer, whose address is dynamic; keepalives on both ends.
const std::string kNamorarConf =
    "# /etc/wireguard/wg0.conf on namorar.example.com, the relay VM\n"
    "[Interface]\n"
    "PrivateKey = " + kNamorarPriv + "\n"
    "ListenPort = 6900\n"
    "Address = 2001:db8:c1da::2/48\n"
    "\n"
    "[Peer]\n"
    "# carinho, the home machine behind the ISP's NAT\n"
    "PublicKey = " + kCarinhoPub + "\n"
    "AllowedIPs = 2001:db8:c1da::1\n"
    "PersistentKeepalive = 10\n";

// The seed's home machine (vpn0, 2001:db8:c1da::1): it dials the VM by name.
const std::string kCarinhoConf =
    "[Interface]\n"
    "PrivateKey = " + kCarinhoPriv + "\n"
    "ListenPort = 6900\n"
    "Address = 2001:db8:c1da::1/48\n"
    "\n"
    "[Peer]\n"
    "PublicKey = " + kNamorarPub + "\n"
    "Endpoint = namorar.example.com:6900\n"
    "AllowedIPs = 2001:db8:c1da::2\n"
    "PersistentKeepalive = 10\n";

// What a commercial VPN hands out: DNS, a kill-switch PostUp/PreDown pair
// (with '#' inside a hook and %i left for wg-quick to expand), a full tunnel.
const std::string kCommercialConf =
    "[Interface]\n"
    "# Device: Quick Otter\n"
    "PrivateKey = " + kVpnPriv + "\n"
    "Address = 10.64.12.7/32,fc00:bbbb:bbbb:bb01::1:c06/128\n"
    "DNS = 10.64.0.1, vpn.example.net\n"
    "MTU = 1380\n"
    "PostUp = iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT # kill switch\n"
    "PreDown = iptables -D OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL -j REJECT\n"
    "\n"
    "[Peer]\n"
    "PublicKey = " + kVpnPub + "\n"
    "PresharedKey = " + kPsk + "\n"
    "AllowedIPs = 0.0.0.0/0,::/0\n"
    "Endpoint = 185.213.154.68:51820\n"
    "PersistentKeepalive = 25\n";

IpPrefix pfx(const std::string& text) { return *IpPrefix::parse(text); }
crypto::Key32 key(const std::string& text) { return *crypto::decode_base64_key(text); }

std::string all(const std::vector<ConfigDiagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) s += d.to_string() + "\n";
  return s;
}

TunnelConfig parse_ok(const std::string& text, const std::string& file = "wg0.conf") {
  TunnelConfigParse p = parse_tunnel_config(text, file);
  BOOST_TEST_REQUIRE(p.ok(), "unexpected errors:\n" << all(p.errors));
  return p.config;
}

bool same(const TunnelConfig& a, const TunnelConfig& b) {
  const InterfaceSection &x = a.interface, &y = b.interface;
  if (x.private_key != y.private_key || x.listen_port != y.listen_port || !(x.addresses == y.addresses) ||
      x.mtu != y.mtu || x.fwmark != y.fwmark || x.dns != y.dns || x.table != y.table || x.pre_up != y.pre_up ||
      x.post_up != y.post_up || x.pre_down != y.pre_down || x.post_down != y.post_down ||
      x.save_config != y.save_config || a.peers.size() != b.peers.size())
    return false;
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    const PeerSection &p = a.peers[i], &q = b.peers[i];
    if (p.public_key != q.public_key || p.preshared_key != q.preshared_key || p.endpoint != q.endpoint ||
        !(p.allowed_ips == q.allowed_ips) || p.persistent_keepalive != q.persistent_keepalive)
      return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tunnel_config)

BOOST_AUTO_TEST_CASE(seed_relay_vm_namorar) {
  TunnelConfig c = parse_ok(kNamorarConf);
  BOOST_TEST(c.interface.line == 2);
  BOOST_TEST((c.interface.private_key == key(kNamorarPriv)));
  BOOST_TEST(c.interface.listen_port == 6900);
  BOOST_TEST_REQUIRE(c.interface.addresses.size() == 1u);
  BOOST_TEST(c.interface.addresses[0] == pfx("2001:db8:c1da::2/48"));  // host bits kept: it is our address
  BOOST_TEST(!c.interface.mtu.has_value());
  BOOST_TEST_REQUIRE(c.peers.size() == 1u);
  const PeerSection& p = c.peers[0];
  BOOST_TEST(p.line == 7);
  BOOST_TEST((p.public_key == key(kCarinhoPub)));
  BOOST_TEST(!p.endpoint.has_value());
  BOOST_TEST(!p.preshared_key.has_value());
  BOOST_TEST_REQUIRE(p.allowed_ips.size() == 1u);
  BOOST_TEST(p.allowed_ips[0] == pfx("2001:db8:c1da::1/128"));
  BOOST_TEST(p.persistent_keepalive == 10);
  BOOST_TEST(parse_tunnel_config(kNamorarConf, "wg0.conf").warnings.empty());
}

BOOST_AUTO_TEST_CASE(seed_home_machine_carinho) {
  TunnelConfig c = parse_ok(kCarinhoConf);
  BOOST_TEST(c.interface.listen_port == 6900);
  BOOST_TEST(c.interface.addresses[0] == pfx("2001:db8:c1da::1/48"));
  BOOST_TEST_REQUIRE(c.peers.size() == 1u);
  const PeerSection& p = c.peers[0];
  BOOST_TEST_REQUIRE(p.endpoint.has_value());
  BOOST_TEST(p.endpoint->host == "namorar.example.com");
  BOOST_TEST(p.endpoint->port == 6900);
  BOOST_TEST(!p.endpoint->address.has_value());  // a name: the node resolves it
  BOOST_TEST(p.endpoint->to_string() == "namorar.example.com:6900");
  BOOST_TEST(p.allowed_ips[0] == pfx("2001:db8:c1da::2/128"));
  BOOST_TEST(p.persistent_keepalive == 10);
}

BOOST_AUTO_TEST_CASE(commercial_vpn_config_loads_with_warnings) {
  TunnelConfigParse r = parse_tunnel_config(kCommercialConf, "wg0.conf");
  BOOST_TEST_REQUIRE(r.ok(), all(r.errors));
  const TunnelConfig& c = r.config;
  BOOST_TEST_REQUIRE(c.interface.addresses.size() == 2u);
  BOOST_TEST(c.interface.addresses[1] == pfx("fc00:bbbb:bbbb:bb01::1:c06/128"));
  BOOST_TEST((c.interface.dns == std::vector<std::string>{"10.64.0.1", "vpn.example.net"}));
  BOOST_TEST(c.interface.mtu == 1380);
  BOOST_TEST_REQUIRE(c.interface.post_up.size() == 1u);
  // wg-quick gives hooks the raw text, '#' and all, and expands %i itself.
  BOOST_TEST(c.interface.post_up[0] ==
             "iptables -I OUTPUT ! -o %i -m mark ! --mark $(wg show %i fwmark) -m addrtype ! --dst-type LOCAL "
             "-j REJECT # kill switch");
  BOOST_TEST(c.interface.pre_down.size() == 1u);
  const PeerSection& p = c.peers.at(0);
  BOOST_TEST((p.preshared_key == key(kPsk)));
  BOOST_TEST((p.allowed_ips == std::vector<IpPrefix>{pfx("0.0.0.0/0"), pfx("::/0")}));
  BOOST_TEST_REQUIRE(p.endpoint.has_value());
  BOOST_TEST(p.endpoint->address == IpAddress::parse("185.213.154.68").value());
  BOOST_TEST(p.persistent_keepalive == 25);
  // One warning per key tether records but does not act on.
  std::string w = all(r.warnings);
  BOOST_TEST(r.warnings.size() == 3u, w);
  BOOST_TEST(w.find("wg0.conf:5: DNS is accepted but not applied") != std::string::npos, w);
  BOOST_TEST(w.find("wg0.conf:7: PostUp is accepted but not applied") != std::string::npos, w);
  BOOST_TEST(w.find("wg0.conf:8: PreDown is accepted but not applied") != std::string::npos, w);
}

BOOST_AUTO_TEST_CASE(all_wg_quick_keys_are_recorded) {
  TunnelConfigParse r = parse_tunnel_config("[Interface]\n"
                                            "PrivateKey = " + kVpnPriv + "\n"
                                            "FwMark = 0xca6c\n"
                                            "Table = off\n"
                                            "SaveConfig = true\n"
                                            "PreUp = echo pre-up %i\n"
                                            "PostDown = echo post-down\n"
                                            "Address = 10.0.0.1/24 10.0.1.1/24\n"
                                            "Address = 10.0.2.1/24\n",
                                            "wg0.conf");
  BOOST_TEST_REQUIRE(r.ok(), all(r.errors));
  const InterfaceSection& i = r.config.interface;
  BOOST_TEST(i.fwmark == 0xca6cu);
  BOOST_TEST(i.table == std::string("off"));
  BOOST_TEST(i.save_config == true);
  BOOST_TEST((i.pre_up == std::vector<std::string>{"echo pre-up %i"}));
  BOOST_TEST((i.post_down == std::vector<std::string>{"echo post-down"}));
  BOOST_TEST(i.addresses.size() == 3u);  // repeatable, commas or spaces
  BOOST_TEST(r.warnings.size() == 5u, all(r.warnings));
  BOOST_TEST(r.config.peers.empty());
}

BOOST_AUTO_TEST_CASE(case_whitespace_comments_and_crlf) {
  std::string text =
      "  # leading comment\r\n"
      "[interface]   # section names are case-insensitive too\r\n"
      "privatekey=" + kCarinhoPriv + "\r\n"
      "\t LISTENPORT   =   6900   # trailing comment\r\n"
      "\r\n"
      "[PEER]\r\n"
      "publickey = " + kNamorarPub + "\r\n"
      "Allowed IPs = 10.0.0.0/8 , 192.168.0.0/16\r\n"  // wg deletes all whitespace
      "endpoint = [2001:db8::1]:51820\r\n"
      "persistentkeepalive = off\r\n";
  TunnelConfig c = parse_ok(text);
  BOOST_TEST(c.interface.listen_port == 6900);
  BOOST_TEST_REQUIRE(c.peers.size() == 1u);
  BOOST_TEST((c.peers[0].allowed_ips == std::vector<IpPrefix>{pfx("10.0.0.0/8"), pfx("192.168.0.0/16")}));
  BOOST_TEST_REQUIRE(c.peers[0].endpoint.has_value());
  BOOST_TEST(c.peers[0].endpoint->host == "2001:db8::1");
  BOOST_TEST(c.peers[0].endpoint->address == IpAddress::parse("2001:db8::1").value());
  BOOST_TEST(c.peers[0].endpoint->to_string() == "[2001:db8::1]:51820");
  BOOST_TEST(c.peers[0].persistent_keepalive == 0);
}

BOOST_AUTO_TEST_CASE(allowed_ips_host_bits_are_masked_with_a_warning) {
  TunnelConfigParse r = parse_tunnel_config("[Interface]\nPrivateKey = " + kVpnPriv +
                                                "\n[Peer]\nPublicKey = " + kVpnPub +
                                                "\nAllowedIPs = 10.0.0.1/24, 2001:db8::1/32\n",
                                            "wg0.conf");
  BOOST_TEST_REQUIRE(r.ok(), all(r.errors));
  BOOST_TEST((r.config.peers[0].allowed_ips == std::vector<IpPrefix>{pfx("10.0.0.0/24"), pfx("2001:db8::/32")}));
  BOOST_TEST(r.warnings.size() == 2u);
  BOOST_TEST(all(r.warnings).find("wg0.conf:5: AllowedIPs: 10.0.0.1/24 has host bits set; using 10.0.0.0/24") !=
             std::string::npos, all(r.warnings));
}

BOOST_AUTO_TEST_CASE(empty_allowed_ips_and_repeated_lines) {
  TunnelConfigParse r = parse_tunnel_config("[Interface]\n"
                                            "PrivateKey = " + kVpnPriv + "\n"
                                            "ListenPort = 1\n"
                                            "ListenPort = 2\n"
                                            "[Peer]\n"
                                            "PublicKey = " + kVpnPub + "\n"
                                            "AllowedIPs =\n"
                                            "AllowedIPs = 10.0.0.0/24\n"
                                            "AllowedIPs = 10.0.1.0/24\n"
                                            "[Peer]\n"
                                            "PublicKey = " + kNamorarPub + "\n"
                                            "AllowedIPs = 10.0.1.0/24\n",
                                            "wg0.conf");
  BOOST_TEST_REQUIRE(r.ok(), all(r.errors));
  BOOST_TEST(r.config.interface.listen_port == 2);  // the last one wins, as with wg
  BOOST_TEST(r.config.peers[0].allowed_ips.size() == 2u);
  std::string w = all(r.warnings);
  BOOST_TEST(w.find("wg0.conf:4: ListenPort given again (first at line 3)") != std::string::npos, w);
  BOOST_TEST(w.find("wg0.conf:12: AllowedIPs: 10.0.1.0/24 is also routed to the [Peer] at line 5") !=
             std::string::npos, w);
}

BOOST_AUTO_TEST_CASE(serializer_round_trips) {
  for (const std::string& text : {kNamorarConf, kCarinhoConf, kCommercialConf}) {
    TunnelConfig c = parse_ok(text);
    std::string written = to_wg_quick(c);
    TunnelConfig back = parse_ok(written, "written.conf");
    BOOST_TEST(same(c, back), "written as:\n" << written);
    BOOST_TEST(to_wg_quick(back) == written);  // a fixed point
  }
  std::string written = to_wg_quick(parse_ok(kCarinhoConf));
  BOOST_TEST(written ==
             "[Interface]\n"
             "PrivateKey = " + kCarinhoPriv + "\n"
             "ListenPort = 6900\n"
             "Address = 2001:db8:c1da::1/48\n"
             "\n"
             "[Peer]\n"
             "PublicKey = " + kNamorarPub + "\n"
             "Endpoint = namorar.example.com:6900\n"
             "AllowedIPs = 2001:db8:c1da::2/128\n"
             "PersistentKeepalive = 10\n");
}

// A malformed line in an otherwise good config: in [Interface] at line 4,
// or in [Peer] at line 8.
struct BadLine {
  bool in_peer;
  std::string line;
  std::string expected;  // fragment after "wg0.conf:N: "
};

std::string with_line(const BadLine& b) {
  return "[Interface]\n"
         "PrivateKey = " + kNamorarPriv + "\n"
         "ListenPort = 6900\n" +
         (b.in_peer ? std::string("MTU = 1420") : b.line) + "\n"
         "\n"
         "[Peer]\n"
         "PublicKey = " + kCarinhoPub + "\n" +
         (b.in_peer ? b.line : std::string("AllowedIPs = 10.9.0.0/16")) + "\n";
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_file_line_and_problem) {
  const std::vector<BadLine> cases = {
      {false, "ListenPrt = 6900", "unknown key 'ListenPrt' in [Interface] (did you mean 'ListenPort'?)"},
      {false, "PublicKey = " + kCarinhoPub, "unknown key 'PublicKey' in [Interface] (it belongs in [Peer])"},
      {false, "Frobnicate = yes", "unknown key 'Frobnicate' in [Interface]"},
      {false, "ListenPort = 65536", "ListenPort: '65536' is not a port number (0-65535)"},
      {false, "ListenPort = wireguard", "ListenPort: 'wireguard' is not a port number"},
      {false, "PrivateKey = " + kNamorarPriv.substr(1), "PrivateKey: key is 43 characters, expected 44"},
      {false, "PrivateKey = !" + kNamorarPriv.substr(1), "PrivateKey: invalid base64 character '!' at position 0"},
      {false, "Address = 10.0.0.1/40", "Address: prefix length 40 exceeds 32"},
      {false, "Address = 10.0.0.300/24", "Address: '10.0.0.300' is not a valid IPv4 address"},
      {false, "MTU = 1420bytes", "MTU: '1420bytes' is not an MTU from 68 to 65535"},
      {false, "MTU = 67", "MTU: '67' is not an MTU"},
      {false, "SaveConfig = yes", "SaveConfig: 'yes' is neither true nor false"},
      {false, "FwMark = 0xzz", "FwMark: '0xzz' is neither off nor a number"},
      {false, "this line has no equals sign", "expected 'Key = Value' or a [Section]; this line has no '='"},
      {false, "MTU: 1420", "'MTU' needs '=' before its value"},
      {false, "ListenPort 6900", "'ListenPort' needs '=' before its value"},
      {false, kNamorarPriv, "unrecognised line in [Interface]: the text before '=' is not a key name"},
      {true, kNamorarPriv.substr(0, 43), "expected 'Key = Value' or a [Section]; this line has no '='"},
      {false, "= 6900", "missing key before '='"},
      {true, "PublicKey = " + kCarinhoPub.substr(0, 43), "PublicKey: key is 43 characters, expected 44"},
      {true, "PresharedKey = short", "PresharedKey: key is 5 characters, expected 44"},
      {true, "Endpoint = namorar.example.com", "Endpoint: missing ':port' in 'namorar.example.com'"},
      {true, "Endpoint = namorar.example.com:", "Endpoint: missing port number after ':'"},
      {true, "Endpoint = namorar.example.com:70000", "Endpoint: port '70000' is not a number from 1 to 65535"},
      {true, "Endpoint = namorar.example.com:0", "Endpoint: port '0' is not a number from 1 to 65535"},
      {true, "Endpoint = 2001:db8::1:51820", "Endpoint: an IPv6 address needs brackets"},
      {true, "Endpoint = [2001:db8::1:51820", "Endpoint: missing ']'"},
      {true, "Endpoint = [2001:db8::1]", "Endpoint: missing ':port' after ']'"},
      {true, "Endpoint = [192.0.2.1]:51820", "Endpoint: brackets must hold an IPv6 address"},
      {true, "Endpoint = 192.0.2.300:51820", "Endpoint: '192.0.2.300' is not a valid IPv4 address"},
      {true, "Endpoint = bad!host:51820", "Endpoint: 'bad!host' is neither an IP address nor a host name"},
      {true, "Endpoint = :51820", "Endpoint: missing host before ':'"},
      {true, "Endpoint =", "Endpoint: empty value"},
      {true, "AllowedIPs = 10.0.0.0/33", "AllowedIPs: prefix length 33 exceeds 32"},
      {true, "AllowedIPs = 10.0.0.0/8,,10.1.0.0/16", "AllowedIPs: empty entry between commas"},
      {true, "AllowedIPs = banana", "AllowedIPs: 'banana' is not a valid IPv4 address"},
      {true, "AllowedIPs = 2001:db8::/129", "AllowedIPs: prefix length 129 exceeds 128"},
      {true, "PersistentKeepalive = 65536", "PersistentKeepalive: '65536' is neither 0/off nor 1-65535 seconds"},
      {true, "PersistentKeepalive = -1", "PersistentKeepalive: '-1' is neither 0/off nor 1-65535 seconds"},
      {true, "ListenPort = 6900", "unknown key 'ListenPort' in [Peer] (it belongs in [Interface])"},
      {true, "AllowedIP = 10.0.0.0/8", "unknown key 'AllowedIP' in [Peer] (did you mean 'AllowedIPs'?)"},
  };
  for (const BadLine& b : cases) {
    BOOST_TEST_CONTEXT(b.line) {
      TunnelConfigParse r = parse_tunnel_config(with_line(b), "wg0.conf");
      std::string want = "wg0.conf:" + std::to_string(b.in_peer ? 8 : 4) + ": " + b.expected;
      BOOST_TEST(r.errors.size() == 1u, all(r.errors));
      BOOST_TEST(all(r.errors).find(want) != std::string::npos, "want: " << want << "\ngot:\n" << all(r.errors));
    }
  }
}

BOOST_AUTO_TEST_CASE(structural_errors) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"PrivateKey = " + kVpnPriv + "\n[Interface]\nPrivateKey = " + kVpnPriv + "\n",
       "wg0.conf:1: 'PrivateKey' appears before any [Interface] or [Peer] section"},
      {"[Interface]\nPrivateKey = " + kVpnPriv + "\n[Peeer]\nPublicKey = " + kVpnPub + "\n",
       "wg0.conf:3: unknown section '[Peeer]' (expected [Interface] or [Peer])"},
      {"[Peer]\nPublicKey = " + kVpnPub + "\n", "wg0.conf: no [Interface] section"},
      {"# empty\n", "wg0.conf: no [Interface] section"},
      {"[Interface]\nListenPort = 1\n", "wg0.conf:1: [Interface] has no PrivateKey"},
      {"[Interface]\nPrivateKey = " + kVpnPriv + "\n\n[Peer]\nAllowedIPs = 10.0.0.0/8\n",
       "wg0.conf:4: [Peer] has no PublicKey"},
      {"[Interface]\nPrivateKey = " + kVpnPriv + "\n[Peer]\nPublicKey = " + kVpnPub + "\n[Peer]\nPublicKey = " +
           kVpnPub + "\n",
       "wg0.conf:6: PublicKey: the same peer is already defined by the [Peer] at line 3"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.expected) {
      TunnelConfigParse r = parse_tunnel_config(c.text, "wg0.conf");
      BOOST_TEST(r.errors.size() == 1u, all(r.errors));
      BOOST_TEST(all(r.errors).find(c.expected) != std::string::npos, all(r.errors));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_in_line_order) {
  std::string text =
      "[Interface]\n"                                        // 1
      "PrivateKey = " + kVpnPriv.substr(2) + "\n"            // 2: too short
      "ListenPrt = 51820\n"                                  // 3: typo
      "Address = 10.0.0.1/24\n"                              // 4: fine
      "[Peer]\n"                                             // 5: no PublicKey
      "Endpoint = vpn.example.net\n"                         // 6: no port
      "AllowedIPs = 0.0.0.0/0, ::/0\n"                       // 7: fine
      "[Peer]\n"                                             // 8
      "PublicKey = " + kVpnPub + "\n"                        // 9: fine
      "PersistentKeepalive = often\n";                       // 10: not a number
  TunnelConfigParse r = parse_tunnel_config(text, "wg0.conf");
  BOOST_TEST_REQUIRE(r.errors.size() == 5u, all(r.errors));
  BOOST_TEST(r.errors[0].to_string() == "wg0.conf:2: PrivateKey: key is 42 characters, expected 44");
  BOOST_TEST(r.errors[1].to_string() == "wg0.conf:3: unknown key 'ListenPrt' in [Interface] (did you mean 'ListenPort'?)");
  BOOST_TEST(r.errors[2].to_string() == "wg0.conf:5: [Peer] has no PublicKey");
  BOOST_TEST(r.errors[3].to_string() == "wg0.conf:6: Endpoint: missing ':port' in 'vpn.example.net'");
  BOOST_TEST(r.errors[4].to_string() == "wg0.conf:10: PersistentKeepalive: 'often' is neither 0/off nor 1-65535 seconds");
  Error e = r.error();
  BOOST_TEST(e.code == ErrorCode::invalid_argument);
  BOOST_TEST(std::count(e.message.begin(), e.message.end(), '\n') == 4);
}

BOOST_AUTO_TEST_CASE(key_errors_never_echo_the_key) {
  std::string secret = kVpnPriv.substr(0, 40) + "####";  // '#' starts a comment: 40 chars left
  TunnelConfigParse r = parse_tunnel_config("[Interface]\nPrivateKey = " + kVpnPriv + "xyz\n", "wg0.conf");
  BOOST_TEST_REQUIRE(r.errors.size() == 1u);
  BOOST_TEST(r.errors[0].message.find(kVpnPriv.substr(0, 10)) == std::string::npos, r.errors[0].message);
  // A key pasted on a line of its own, with or without its final '='.
  for (const std::string& line : {kVpnPriv, kVpnPriv.substr(0, 43), "PrivateKey: " + kVpnPriv}) {
    TunnelConfigParse p = parse_tunnel_config("[Interface]\n" + line + "\n", "wg0.conf");
    BOOST_TEST(all(p.errors).find(kVpnPriv.substr(0, 8)) == std::string::npos, all(p.errors));
  }
  TunnelConfigParse s = parse_tunnel_config("[Interface]\nPrivateKey = " + secret + "\n", "wg0.conf");
  BOOST_TEST(all(s.errors).find("key is 40 characters") != std::string::npos, all(s.errors));
}

BOOST_AUTO_TEST_SUITE_END()

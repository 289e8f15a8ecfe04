// `listen on`: the listeners and their TLS, auth and filter options.

#include "smtp/config_parser_impl.h"

#include <set>

#include "core/ascii.h"

namespace tether::smtp::parsing {

// Long: one branch per `listen on` option, as parse.y's listen rule has.
void Parser::listen_statement(int line) {
  expect_keyword("on", "listen");
  Listener l;
  l.where = here(line);
  Token target = expect_value("an interface, address or 'socket' after 'listen on'");
  const bool socket = target.kind == TokenKind::word && target.text == "socket";
  std::set<std::string> seen;
  auto once = [&](const Token& opt, const std::string& what) {
    if (!seen.insert(what).second) fail(opt.line, what + " already specified for this listener");
  };
  const char* kListenOptions =
      "auth, auth-optional, ca, ciphers, filter, hostname, hostnames, inet4, inet6, mask-src, no-dsn, pki, "
      "port, protocols, proxy-v2, received-auth, senders, smtps, tag, tls or tls-require";
  std::initializer_list<const char*> kWords = {"auth",      "auth-optional", "ca",     "ciphers",  "filter",
                                               "hostname",  "hostnames",     "inet4",  "inet6",    "mask-src",
                                               "no-dsn",    "pki",           "port",   "protocols", "proxy-v2",
                                               "received-auth", "senders",   "smtps",  "tag",      "tls",
                                               "tls-require"};
  if (socket) {
    l.socket = true;
  } else {
    l.interface = target.text;
    std::string addr = target.text;
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    auto a = IpAddress::parse(addr);
    if (a) {
      l.address = *a;
    } else if (target.text.find(':') != std::string::npos || target.text.find('/') != std::string::npos) {
      fail(target.line, "'" + target.text + "' is neither an address nor an interface name");
    }
  }
  while (!at_end_of_statement()) {
    Token opt = take();
    if (opt.kind != TokenKind::word)
      fail_unknown(opt, " in listen", socket ? "filter, mask-src, no-dsn or tag" : kListenOptions);
    const std::string& o = opt.text;
    if (o == "filter") {
      once(opt, "filter");
      if (peek().kind == TokenKind::lbrace) {
        Token open = take();
        Filter chain;
        chain.type = Filter::Type::chain;
        chain.name = inline_name(open.line);
        chain.where = here(open.line);
        chain.chain = parse_name_list("a filter name", open.line);
        l.filter = chain.name;
        st_.config.filters.push_back(std::move(chain));
      } else {
        l.filter = expect_value("a filter name after 'filter'").text;
      }
    } else if (o == "mask-src") {
      once(opt, "mask-src");
      l.mask_src = true;
    } else if (o == "no-dsn") {
      once(opt, "no-dsn");
      l.no_dsn = true;
    } else if (o == "tag") {
      once(opt, "tag");
      l.tag = expect_value("a tag after 'tag'").text;
    } else if (socket) {
      fail_unknown(opt, " in 'listen on socket'", "filter, mask-src, no-dsn or tag");
    } else if (o == "inet4" || o == "inet6") {
      once(opt, "address family");
      l.family = o == "inet4" ? IpAddress::Family::v4 : IpAddress::Family::v6;
    } else if (o == "port") {
      once(opt, "port");
      Token p = expect_value("a port after 'port'");
      if (p.text == "smtp") l.port = 25;
      else if (p.text == "smtps") l.port = 465;
      else if (p.text == "submission") l.port = 587;
      else l.port = static_cast<std::uint16_t>(parse_number(p, 65535, "port"));
      if (l.port == 0) fail(p.line, "invalid port 0");
      l.port_given = true;
    } else if (o == "smtps" || o == "tls" || o == "tls-require") {
      once(opt, "TLS mode");
      l.tls = o == "smtps" ? Listener::Tls::smtps : o == "tls" ? Listener::Tls::starttls : Listener::Tls::starttls_require;
      if (o != "tls" && accept("verify")) l.verify = true;
    } else if (o == "ciphers") {
      once(opt, "ciphers");
      l.ciphers = expect_value("a cipher list after 'ciphers'").text;
    } else if (o == "protocols") {
      once(opt, "protocols");
      l.protocols = expect_value("a protocol list after 'protocols'").text;
    } else if (o == "pki") {
      l.pki.push_back(ascii_lower(expect_value("a pki name after 'pki'").text));
    } else if (o == "ca") {
      once(opt, "ca");
      l.ca = ascii_lower(expect_value("a ca name after 'ca'").text);
    } else if (o == "auth" || o == "auth-optional") {
      once(opt, "auth");
      l.auth = o == "auth" ? Listener::Auth::required : Listener::Auth::optional;
      if (at_table_start(kWords)) l.auth_table = parse_tables("'" + o + "'");
    } else if (o == "hostname") {
      once(opt, "hostname");
      l.hostname = expect_hostname("hostname");
    } else if (o == "hostnames") {
      once(opt, "hostnames");
      l.hostnames = parse_tables("'hostnames'");
    } else if (o == "received-auth") {
      once(opt, "received-auth");
      l.received_auth = true;
    } else if (o == "proxy-v2") {
      once(opt, "proxy-v2");
      l.proxy_v2 = true;
    } else if (o == "senders") {
      once(opt, "senders");
      l.senders = parse_tables("'senders'");
      if (accept("masquerade")) l.masquerade = true;
    } else {
      fail_unknown(opt, " in listen", kListenOptions);
    }
  }
  if (!socket) {
    if (l.tls == Listener::Tls::none && !l.pki.empty()) {
      l.tls = Listener::Tls::starttls;
      l.tls_implied_by_pki = true;
    }
    if (l.tls != Listener::Tls::none && l.pki.empty())
      fail(line, "listen on " + l.interface + ": tls, tls-require and smtps need a pki");
    if (l.auth != Listener::Auth::none && l.tls == Listener::Tls::none)
      fail(line, "listen on " + l.interface + ": auth needs tls, tls-require or smtps (passwords are never sent in clear)");
    if (l.tls == Listener::Tls::smtps && !l.port_given) l.port = 465;
  } else {
    if (st_.have_socket_listener) fail(line, "'listen on socket' given twice");
    st_.have_socket_listener = true;
  }
  end_statement("the listen directive");
  st_.config.listeners.push_back(std::move(l));
}

}  // namespace tether::smtp::parsing

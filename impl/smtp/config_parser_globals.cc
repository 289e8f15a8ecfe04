// Global settings: queue (with tether's retry policy), bounce, smtp, mta, srs.

#include "smtp/config_parser_impl.h"

#include <cctype>

namespace tether::smtp::parsing {

void Parser::queue_statement() {
  Token what = take();
  const std::string w = what.kind == TokenKind::word ? what.text : "";
  if (w == "ttl") {
    st_.config.queue.ttl = parse_positive_duration(expect_value("a duration after 'queue ttl'"), "queue ttl");
  } else if (w == "retry") {
    // tether-specific, see RetryPolicy.
    RetryPolicy& p = st_.config.knobs.retry.emplace();
    Token kind = take();
    const std::string k = kind.kind == TokenKind::word ? kind.text : "";
    if (k == "opensmtpd") {
      p = RetryPolicy{};
    } else if (k == "constant") {
      p = RetryPolicy{};
      p.kind = RetryPolicy::Kind::constant;
      p.interval = parse_positive_duration(expect_value("an interval after 'constant'"), "queue retry constant");
    } else if (k == "exponential") {
      p = RetryPolicy{};
      p.kind = RetryPolicy::Kind::exponential;
      p.interval = parse_positive_duration(expect_value("a first interval after 'exponential'"), "queue retry exponential");
      expect_keyword("max", "exponential INTERVAL");
      p.max = parse_positive_duration(expect_value("a maximum interval after 'max'"), "queue retry max");
      if (p.max < p.interval) fail(kind.line, "queue retry exponential: max is shorter than the first interval");
    } else if (k == "postfix") {
      p = RetryPolicy{};
      p.kind = RetryPolicy::Kind::postfix;
      p.interval = kPostfixMinimalBackoff;
      p.max = kPostfixMaximalBackoff;
      if (accept("min")) p.interval = parse_positive_duration(expect_value("a minimal backoff after 'min'"), "queue retry postfix min");
      if (accept("max")) p.max = parse_positive_duration(expect_value("a maximal backoff after 'max'"), "queue retry postfix max");
      if (p.max < p.interval) fail(kind.line, "queue retry postfix: max is shorter than min");
    } else {
      fail_unknown(kind, " after 'queue retry'", "opensmtpd, constant, exponential or postfix");
    }
  } else if (w == "early-retry") {
    // tether-specific (relay_profile.h): what a success does to the
    // destination's other deferred envelopes.
    Token mode = take();
    const std::string m = mode.kind == TokenKind::word ? mode.text : "";
    if (m == "on-success") st_.config.knobs.early_retry = EarlyRetry::on_success;
    else if (m == "hoststat") st_.config.knobs.early_retry = EarlyRetry::hoststat;
    else if (m == "none") st_.config.knobs.early_retry = EarlyRetry::none;
    else fail_unknown(mode, " after 'queue early-retry'", "on-success, hoststat or none");
  } else if (w == "scan-interval") {
    // tether-specific: a retry waits for the next deferred-queue scan
    // (Postfix's queue_run_delay); `off` tries each at its own time.
    if (accept("off")) st_.config.knobs.queue_scan = Duration::zero();
    else st_.config.knobs.queue_scan = parse_positive_duration(expect_value("a duration or 'off' after 'queue scan-interval'"), "queue scan-interval");
  } else if (w == "route-up") {
    // tether-specific: whether the tunnel's route coming back retries the
    // deferred mail routed into it (tunnel_relay_link.h).
    Token onoff = take();
    const std::string o = onoff.kind == TokenKind::word ? onoff.text : "";
    if (o == "on") st_.config.knobs.tunnel_route_up = true;
    else if (o == "off") st_.config.knobs.tunnel_route_up = false;
    else fail_unknown(onoff, " after 'queue route-up'", "on or off");
  } else if (w == "compression" || w == "encryption") {
    fail(what.line, "'queue " + w + "' is not supported by tether");
  } else {
    fail_unknown(what, " after 'queue'", "ttl, retry, early-retry, scan-interval or route-up");
  }
  end_statement("the queue directive");
}

void Parser::bounce_statement() {
  expect_keyword("warn-interval", "bounce");
  std::vector<Duration> delays;
  for (;;) {
    delays.push_back(parse_positive_duration(expect_value("a duration after 'warn-interval'"), "bounce warn-interval"));
    if (peek().kind != TokenKind::comma) break;
    take();
  }
  if (delays.size() > 4) fail(peek().line, "bounce warn-interval takes at most 4 delays");
  end_statement("the bounce directive");
  st_.config.bounce_warn_intervals = std::move(delays);
}

void Parser::smtp_statement() {
  Token what = take();
  const std::string w = what.kind == TokenKind::word ? what.text : "";
  SmtpSettings& s = st_.config.smtp;
  if (w == "limit") {
    bool any = false;
    while (!at_end_of_statement()) {
      Token name = take();
      if (name.kind == TokenKind::word && name.text == "max-mails")
        s.max_mails_per_session = static_cast<std::uint32_t>(parse_number(expect_value("a number"), 1000000, "max-mails"));
      else if (name.kind == TokenKind::word && name.text == "max-rcpt")
        s.max_rcpt_per_transaction = static_cast<std::uint32_t>(parse_number(expect_value("a number"), 1000000, "max-rcpt"));
      else
        fail_unknown(name, " in smtp limit", "max-mails or max-rcpt");
      any = true;
    }
    if (!any) fail(what.line, "smtp limit needs max-mails or max-rcpt");
  } else if (w == "max-message-size") {
    s.max_message_size = parse_size(expect_value("a size after 'max-message-size'"));
  } else if (w == "ciphers") {
    s.ciphers = expect_value("a cipher list after 'ciphers'").text;
  } else if (w == "sub-addr-delim") {
    Token d = expect_value("a character after 'sub-addr-delim'");
    unsigned char c = d.text.size() == 1 ? static_cast<unsigned char>(d.text[0]) : 0;
    if (d.text.size() != 1 || !std::isprint(c) || std::isspace(c) || c == '@')
      fail(d.line, "sub-addr-delim must be one printable character other than '@'");
    s.subaddress_delimiter = d.text[0];
  } else if (w == "pause-mode") {
    // tether-specific (relay_profile.h): what `pause smtp` does to new connections.
    Token mode = take();
    const std::string m = mode.kind == TokenKind::word ? mode.text : "";
    if (m == to_string(PauseMode::reply_421)) st_.config.knobs.pause_mode = PauseMode::reply_421;
    else if (m == to_string(PauseMode::stop_accepting))
      st_.config.knobs.pause_mode = PauseMode::stop_accepting;
    else fail_unknown(mode, " after 'smtp pause-mode'", "reply-421 or stop-accepting");
  } else if (w == "listen-backlog") {
    // tether-specific: listen(2)'s backlog, what a stop-accepting pause queues.
    st_.config.knobs.listen_backlog = static_cast<std::size_t>(
        parse_number(expect_value("a number after 'listen-backlog'"), 65535, "smtp listen-backlog"));
    if (*st_.config.knobs.listen_backlog == 0) fail(what.line, "smtp listen-backlog must be at least 1");
  } else if (w == "min-data-rate") {
    // tether-specific (relay_profile.h): Postfix's smtpd_min_data_rate, bytes/s; 0: none.
    st_.config.knobs.min_data_rate = static_cast<std::uint32_t>(
        parse_number(expect_value("a number of bytes per second after 'min-data-rate'"), 1u << 30,
                     "smtp min-data-rate"));
  } else if (w == "client-connection-limit" || w == "client-connection-rate") {
    // tether-specific (relay_profile.h): Postfix's smtpd_client_connection_
    // count_limit and _rate_limit (a minute), per client address; 0: none.
    const std::size_t n = static_cast<std::size_t>(
        parse_number(expect_value("a number after '" + w + "'"), 1000000, ("smtp " + w).c_str()));
    if (w == "client-connection-limit") st_.config.knobs.client_connection_limit = n;
    else st_.config.knobs.client_connection_rate = n;
  } else {
    fail_unknown(what, " after 'smtp'",
                 "limit, max-message-size, ciphers, sub-addr-delim, pause-mode, listen-backlog, min-data-rate, "
                 "client-connection-limit or client-connection-rate");
  }
  end_statement("the smtp directive");
}

void Parser::mta_statement() {
  Token what = take();
  if (what.kind == TokenKind::word && what.text == "max-deferred") {
    st_.config.knobs.max_deferred =
        static_cast<std::size_t>(parse_number(expect_value("a number after 'max-deferred'"), 1000000, "max-deferred"));
  } else if (what.kind == TokenKind::word && what.text == "limit") {
    fail(what.line, "'mta limit' is not supported by tether");
  } else if (what.kind == TokenKind::word && what.text == "connect-timeout") {
    // tether-specific, as the rest below (relay_profile.h): `kernel` is the
    // stack's own SYN retries.
    if (accept("kernel")) st_.config.knobs.connect_timeout = Duration::zero();
    else st_.config.knobs.connect_timeout = parse_positive_duration(
             expect_value("a duration or 'kernel' after 'connect-timeout'"), "mta connect-timeout");
  } else if (what.kind == TokenKind::word && what.text == "session-timeout") {
    st_.config.knobs.session_timeout =
        parse_positive_duration(expect_value("a duration after 'session-timeout'"), "mta session-timeout");
  } else if (what.kind == TokenKind::word && what.text == "route-delay") {
    Token t = expect_value("a duration after 'route-delay'");
    auto d = parse_duration(t.text);
    if (!d) fail(t.line, "invalid duration '" + t.text + "' for mta route-delay: " + d.error().message);
    if (*d < Duration::zero()) fail(t.line, "invalid duration '" + t.text + "' for mta route-delay: must not be negative");
    st_.config.knobs.route_delay = *d;
  } else {
    fail_unknown(what, " after 'mta'", "max-deferred, connect-timeout, session-timeout or route-delay");
  }
  end_statement("the mta directive");
}

// tether-specific: `profile tether|opensmtpd|postfix` (relay_profile.h).
void Parser::profile_statement() {
  Token name = take();
  auto profile = name.kind == TokenKind::word ? relay_profile_from_string(name.text) : std::nullopt;
  if (!profile) fail_unknown(name, " after 'profile'", "tether, opensmtpd or postfix");
  st_.config.knobs.profile = *profile;
  end_statement("the profile directive");
}

void Parser::srs_statement() {
  Token what = take();
  SrsSettings& s = st_.config.srs;
  if (what.kind == TokenKind::word && what.text == "key") {
    if (accept("backup")) s.backup_key = expect_value("a secret after 'backup'").text;
    else s.key = expect_value("a secret after 'key'").text;
  } else if (what.kind == TokenKind::word && what.text == "ttl") {
    s.ttl = parse_positive_duration(expect_value("a duration after 'srs ttl'"), "srs ttl");
    if (s.ttl < Duration::days(1)) fail(what.line, "srs ttl must be at least a day");
  } else {
    fail_unknown(what, " after 'srs'", "key or ttl");
  }
  end_statement("the srs directive");
}

}  // namespace tether::smtp::parsing

#pragma once
// The whitepaper's protocol constants (section 6.1), in one place
// so the handshake, sessions and timers cannot disagree about them.

#include <cstdint>

#include "core/time.h"
#include "tunnel/replay_window.h"  // kRejectAfterMessages

namespace tether::tunnel {

// A keypair that has sent this many messages asks for a new handshake.
constexpr std::uint64_t kRekeyAfterMessages = std::uint64_t(1) << 60;
// kRejectAfterMessages (2^64 - 2^13 - 1) lives with the replay window, which
// enforces it on receive; keypairs enforce it on send.

// The initiator of a keypair starts a new handshake when it sends on a
// keypair this old.
constexpr Duration kRekeyAfterTime = Duration::seconds(120);
// No keypair sends or receives after this age.
constexpr Duration kRejectAfterTime = Duration::seconds(180);
// Handshake retransmission: every REKEY_TIMEOUT (+ jitter) until this much
// time has been spent trying.
constexpr Duration kRekeyAttemptTime = Duration::seconds(90);
constexpr Duration kRekeyTimeout = Duration::seconds(5);
constexpr Duration kKeepaliveTimeout = Duration::seconds(10);
// Every key of a peer is erased this long after its latest session was
// derived, so a later compromise of the machine cannot decrypt old traffic.
constexpr Duration kZeroKeysAfter = kRejectAfterTime * 3;  // 540 s

// Initiations from one peer closer together than this are floods (Linux
// INITIATIONS_PER_SECOND 50, wireguard-go HandshakeInitationRate).
constexpr Duration kMinInitiationSpacing = Duration::milliseconds(20);

// The responder's cookie secret is replaced once it is this old.
constexpr Duration kCookieSecretMaxAge = Duration::seconds(120);
// An initiator uses a received cookie for mac2 while it is younger than
// this. wireguard-go uses 120 s (CookieRefreshTime); Linux 115 s (it
// subtracts COOKIE_SECRET_LATENCY). Either way a cookie made just before the
// secret rotates fails mac2, and the responder answers with a fresh cookie.
constexpr Duration kCookieMaxAge = Duration::seconds(120);

// Transport plaintexts are zero-padded to a multiple of this (whitepaper
// 5.4.6), so the outer length leaks less about the inner packet.
constexpr std::size_t kPaddingMultiple = 16;

}  // namespace tether::tunnel

#pragma once
// What a user tuning a tunnel and a relay wants from one capture, read off a
// timeline (timeline.h): each side's persistent keepalive, the rekey
// cadence, the initiation retry spacing and give-up, the SMTP retry times
// per destination and a bracket on the NAT's UDP idle timeout. Each figure
// comes with how many samples support it and their spread; where the
// capture cannot tell, the figure has no value and its note says why. No
// figure is ever a default or a guess. `tether-pcap infer` prints them
// (docs/pcap.md, section "infer", defines each one).
//
// Concerns, one file each: infer_figure.cc (a figure from samples),
// infer_wireguard.cc (keepalives, handshakes, retries), infer_nat.cc (the
// NAT bracket), infer_smtp.cc (SMTP retries), infer_format.cc (text, JSON).
//
// Everything is per capture (a pair seen on two links of one run is two
// pairs) and on the wire only (layer ""), except SMTP, which is read inside
// decrypted tunnels too (layer "wg"), where a relay's deliveries to the home
// travel.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pcap/timeline.h"

namespace tether::pcap {

// A figure in seconds: value is the median of the samples, unless the
// inference says otherwise; no value: the capture cannot tell (note says
// why).
struct Figure {
  std::optional<double> value;
  std::size_t samples = 0;
  double min = 0, p10 = 0, median = 0, p90 = 0, max = 0;
  std::string note;
};

// The figure of `samples` (any order): median, p10/p90 (nearest rank),
// min/max. No samples: no value, `cannot_tell` as its note.
Figure figure_of(std::vector<double> samples, const std::string& cannot_tell);

// One side of one WireGuard pair.
struct KeepaliveFigure {
  std::size_t capture = 0;
  std::string side, peer;  // ADDRESS:PORT, as the capture shows them
  // The persistent keepalive: the silences of the pair (no packet either
  // way) that ended with a keepalive from `side`.
  Figure interval;
  std::size_t passive = 0;           // keepalives KEEPALIVE_TIMEOUT (10 s) after the peer's data, left out
  std::size_t prompt = 0;            // within 0.5 s of the previous packet (handshake confirmations), left out
  double longest_silence = 0;        // of the pair, for "off, or longer than"
};

struct HandshakeFigure {
  std::size_t capture = 0;
  std::string a, b;  // the pair's endpoints
  // Intervals between successive completed handshakes (responses) of the
  // pair while it carried traffic (no silence over kBusySilence in between),
  // leaving out the handshakes a side starts when its data got no answer
  // for 15 s (recoveries).
  Figure rekey;
  std::size_t handshakes = 0, recoveries = 0;
};

struct RetryFigure {
  std::size_t capture = 0;
  std::string initiator, responder;
  std::size_t initiations = 0;
  // Intervals between successive initiations of one run (initiations with no
  // response in between, none more than kRunBreak apart).
  Figure spacing;
  // Per run that got no response and was followed by kRunBreak without an
  // initiation (within the capture): its last initiation minus its first.
  Figure give_up;
  std::size_t runs = 0, answered_runs = 0;
};

struct SmtpRetryFigure {
  std::size_t capture = 0;
  std::string layer;        // "" on the wire, "wg" inside a tunnel
  std::string client;       // the connecting address
  std::string destination;  // ADDRESS:PORT
  std::size_t attempts = 0, failed = 0, delivered = 0;
  std::size_t deliveries = 0;  // runs of attempts ended by one that did not fail (or by the capture's end)
  // Intervals from each failed attempt to the next attempt to the destination.
  Figure retry;
  // The same intervals by retry number within a delivery: [0] the first
  // retry's medians over deliveries, ...
  std::vector<Figure> by_retry;
};

// One NAT mapping side: the bracket on its UDP idle timeout.
struct NatBracket {
  std::size_t capture = 0;
  std::string inside;      // the address whose mappings are probed (as the capture shows it)
  std::string why_inside;  // "--inside", or "sent the first initiation of ..."
  // Longest idle gap after which an inbound packet was answered, and the
  // shortest after which one was not (infer_nat.cc defines both).
  Figure worked, failed;
  std::optional<double> at_least, below;
  std::string at_least_evidence, below_evidence;  // the packets that set them
  std::size_t unknown = 0;                        // probes whose outcome the capture does not show
  std::string note;
};

struct Inference {
  std::vector<KeepaliveFigure> keepalives;
  std::vector<HandshakeFigure> handshakes;
  std::vector<RetryFigure> retries;
  std::vector<SmtpRetryFigure> smtp;
  std::vector<NatBracket> nat;
  std::size_t events = 0;
  double span = 0;  // seconds from the first event to the last
};

struct InferOptions {
  // Addresses behind the NAT as the capture shows them (the NAT's outside
  // address, for a capture taken beyond it). Empty: each WireGuard pair's
  // first initiator.
  std::vector<std::string> inside;
};

Inference infer(const Timeline& timeline, const InferOptions& options = {});

// The parts, for tests and for infer().
void infer_wireguard(const Timeline& timeline, Inference& out);
void infer_nat(const Timeline& timeline, const InferOptions& options, Inference& out);
void infer_smtp(const Timeline& timeline, Inference& out);

// WireGuard's timers as Linux and wireguard-go set them (FACTS.md), which
// the inference uses to tell keepalives and retries apart.
constexpr double kKeepaliveTimeout = 10.0;  // passive keepalive after data
constexpr double kRekeyTimeout = 5.0;       // initiation retry
constexpr double kRekeyAttemptTime = 90.0;  // retries given up after
constexpr double kRunBreak = 15.0;          // a gap between initiations that ends a run
constexpr double kBusySilence = 60.0;       // a longer silence makes the next handshake no rekey

}  // namespace tether::pcap

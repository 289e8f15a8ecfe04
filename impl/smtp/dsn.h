#pragma once
// DSN parameters (RFC 3461) shared by the session that reads them from MAIL
// and the queue that keeps them in the envelope: one type for both, so the
// value moves from command to envelope without a translation.

namespace tether::smtp {

// RFC 3461 RET: what a report carries back.
enum class DsnReturn { unspecified, full, headers };

}  // namespace tether::smtp

"""results.json as one flat row, for sweeps and DataFrames."""

from __future__ import annotations


def flatten_summary(summary: dict) -> dict:
    """Nested keys joined with ".": `messages.delivered`, `latency_s.p99`,
    `tunnel.availability`; the `relays` list keyed by host:
    `relays.<host>.retries`. Scalars (text included) are kept as they are."""
    row: dict = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        elif isinstance(value, list) and prefix == "relays":
            for relay in value:
                host = relay.get("host", str(len(row)))
                walk(f"relays.{host}", {k: v for k, v in relay.items() if k != "host"})
        elif isinstance(value, list):
            row[prefix] = ",".join(str(v) for v in value)
        else:
            row[prefix] = value

    walk("", summary)
    return row

"""Operator tooling for a service's dead-letter queue: list what failed and why, replay it.

    python -m servicekit.deadletter --config deploy/local/config.yaml list applications
    python -m servicekit.deadletter --config deploy/local/config.yaml replay applications [--id ID]

Replay sends a message back to the handler queue it failed on with its retry count reset;
the handler is idempotent, so replaying something already applied changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from kombu import Connection

from servicekit.config import load_config
from servicekit.handlers import ATTEMPT_HEADER, dead_letter_queue

_KIT_HEADERS = (
    "x-kit-original-queue",
    "x-kit-handler",
    "x-kit-reason",
    "x-kit-attempts",
    "x-kit-failed-at",
    "x-kit-last-error",
    ATTEMPT_HEADER,
)


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    queue: str
    handler: str
    reason: str
    attempts: int
    failed_at: str
    body: str


def _describe(message: Any) -> DeadLetter:
    headers = message.headers or {}
    body = message.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return DeadLetter(
        message_id=message.properties.get("message_id"),
        queue=headers.get("x-kit-original-queue", ""),
        handler=headers.get("x-kit-handler", ""),
        reason=headers.get("x-kit-reason", ""),
        attempts=int(headers.get("x-kit-attempts", 0)),
        failed_at=headers.get("x-kit-failed-at", ""),
        body=text[:2000],
    )


def _drain(connection: Connection, service: str) -> tuple[Any, list[Any]]:
    """Every message now in the queue, unacknowledged (closing the channel returns them)."""
    channel = connection.channel()
    queue = dead_letter_queue(service).bind(channel)
    queue.declare()
    messages = []
    while (message := queue.get(no_ack=False)) is not None:
        messages.append(message)
    return channel, messages


def list_dead_letters(amqp_uri: str, service: str) -> list[DeadLetter]:
    """What is in ``service``'s dead-letter queue; the queue is left as it was."""
    with Connection(amqp_uri) as connection:
        channel, messages = _drain(connection, service)
        letters = [_describe(m) for m in messages]
        channel.close()
    return letters


def replay(amqp_uri: str, service: str, message_id: str | None = None) -> int:
    """Send dead letters (all, or the one with ``message_id``) back to their handler queues."""
    replayed = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel, messages = _drain(connection, service)
        producer = connection.Producer(channel=connection.channel())
        for message in messages:
            if message_id is not None and message.properties.get("message_id") != message_id:
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if k not in _KIT_HEADERS}
            producer.publish(
                message.body,
                exchange="",
                routing_key=message.headers["x-kit-original-queue"],
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                message_id=message.properties.get("message_id"),
            )
            message.ack()
            replayed += 1
        channel.close()
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servicekit.deadletter", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="deploy/local/config.yaml")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="show dead letters").add_argument("service")
    replay_parser = sub.add_parser("replay", help="send dead letters back to their handlers")
    replay_parser.add_argument("service")
    replay_parser.add_argument("--id", dest="message_id", help="only the message with this id")
    args = parser.parse_args(argv)
    amqp_uri = load_config(args.config)["AMQP_URI"]
    if args.command == "list":
        for letter in list_dead_letters(amqp_uri, args.service):
            print(json.dumps(asdict(letter), ensure_ascii=False))
        return 0
    count = replay(amqp_uri, args.service, args.message_id)
    print(f"replayed {count} message(s) of {args.service}")
    if args.message_id and count == 0:
        print(f"no dead letter with id {args.message_id}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fault flags: switches an operator turns on in the running shop to make one part of it
fail or slow down (docs/fault-flags.md). Each is off by default.

They are evaluated with OpenFeature and flagd's provider in its in-process mode, from one
flag file in flagd's own JSON format (the OpenTelemetry demo's) that every process
watches: FLAGS_FILE. The provider notices a change within about half a second (it looks
at the file's modification time); docs/decisions/0012 says how one file reaches every
replica. Without FLAGS_FILE every flag stays off and nothing is loaded.

A service asks `value(name)`, which reads a snapshot evaluated through OpenFeature each
time the file changes, so a call pays a dictionary lookup instead of an evaluation (about
20 µs). When a flag changes what a call does, `applied(name, what)` says so where an
operator looks: an event on the call's span, a log line, and
shop_fault_flag_effects_total. shop_fault_flag_active says which flags are on.

Operators change flags with the back office, or from any service's image:

    python -m service_runtime.fault_flags show
    python -m service_runtime.fault_flags set paymentFailure 0.5
    python -m service_runtime.fault_flags off paymentFailure
"""
from __future__ import annotations

import argparse
import asyncio
import fcntl
import functools
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from opentelemetry import trace
from prometheus_client import Counter, Gauge

log = logging.getLogger("service_runtime.fault_flags")

FLAGS_FILE_ENV = "FLAGS_FILE"
FLAGD_SCHEMA = "https://flagd.dev/schema/v0/flags.json"


@dataclass(frozen=True)
class Flag:
    name: str
    off: bool | int | float | str
    on: bool | int | float | str  # the value `on NAME` sets
    meaning: str

    def parse(self, text: str) -> bool | int | float | str:
        """A value for this flag from the command line; ValueError when it is not one."""
        kind = type(self.off)
        if kind is bool:
            if text.lower() not in ("true", "false", "on", "off", "1", "0"):
                raise ValueError(f"{self.name} is on or off, not {text!r}")
            return text.lower() in ("true", "on", "1")
        if kind is float:
            share = float(text)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{self.name} is a share from 0 to 1, not {text!r}")
            return share
        if kind is int:
            millis = int(text)
            if not 0 <= millis <= 60_000:
                raise ValueError(f"{self.name} is milliseconds from 0 to 60000, not {text!r}")
            return millis
        return text.strip()


FLAGS = (
    Flag("paymentFailure", 0.0, 0.5,
         "the share (0 to 1) of card authorizations the issuer declines (reason ISSUER_UNAVAILABLE)"),
    Flag("paymentUnavailable", False, True, "paymentservice answers UNAVAILABLE to every call"),
    Flag("catalogLatency", 0, 1500, "milliseconds added to every catalog read (products, search, categories)"),
    Flag("cartFailure", False, True, "every change to a cart fails with UNAVAILABLE (reading one still works)"),
    Flag("shippingSlowdown", 0, 3000, "milliseconds added to shipping quotes outside the home (domestic) zone"),
    Flag("emailFailure", False, True, "every email delivery fails as if the mail server were away; emails wait "
                                      "and are retried"),
    Flag("consumerPaused", "", "email", "the event consumers that stop taking messages: comma-separated names "
                                        "(payment, shipping, email, catalog, checkout, recommendation) or all"),
)
BY_NAME = {flag.name: flag for flag in FLAGS}

ACTIVE = Gauge("shop_fault_flag_active", "1 while a fault flag is on in this process, else 0.", ["flag"])
EFFECTS = Counter("shop_fault_flag_effects_total", "Calls or messages a fault flag changed.", ["flag"])

_values: dict[str, object] = {flag.name: flag.off for flag in FLAGS}
_configured = False


class Unavailable(Exception):
    """What a call answers while a flag makes its service fail: every service's error
    table maps it to UNAVAILABLE, as a real outage would be."""


def value(name: str):
    """The flag's value now (its off value when flags are not configured)."""
    return _values[name]


def fail_if_on(name: str, what: str, message: str) -> None:
    """Raise Unavailable(message) while the on/off flag `name` is on."""
    if _values[name]:
        applied(name, what)
        raise Unavailable(message)


def pauses(consumer: str) -> bool:
    """Whether the consumerPaused flag names this consumer (or says all)."""
    names = {name.strip() for name in str(_values["consumerPaused"]).split(",")}
    return consumer in names or "all" in names


async def delay(name: str, what: str) -> None:
    """Wait the milliseconds the flag `name` gives (none while it is off)."""
    millis = _values[name]
    if millis:
        applied(name, f"{what}: {millis} ms added")
        await asyncio.sleep(millis / 1000)


def applied(name: str, what: str) -> None:
    """Say that flag `name` changed what this call or message does, and how."""
    EFFECTS.labels(name).inc()
    span = trace.get_current_span()
    span.set_attribute("shop.fault_flag", name)
    span.add_event("fault flag applied", {"shop.fault_flag": name, "shop.fault_flag.value": str(_values[name]),
                                          "shop.fault_flag.effect": what})
    log.warning("fault flag applied", extra={"flag": name, "flag_value": _values[name], "effect": what})


def configure(service_name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Evaluate the flags of FLAGS_FILE from now on (once per process); False when it is
    not set. A missing or broken file leaves every flag as it was (off at first), and is
    read again once it is right."""
    global _configured
    env = os.environ if environ is None else environ
    path = env.get(FLAGS_FILE_ENV, "")
    if _configured or not path:
        return _configured
    from openfeature import api
    from openfeature.contrib.provider.flagd import FlagdProvider
    from openfeature.contrib.provider.flagd.config import ResolverType
    from openfeature.event import ProviderEvent

    for flag in FLAGS:
        ACTIVE.labels(flag.name).set(0)
    if not Path(path).exists():
        try:
            write(Path(path), {})  # every flag off; a replica that wrote first is kept
        except OSError as exc:
            log.warning("no fault flag file, and none can be made: every flag stays off until one appears",
                        extra={"path": path, "error": str(exc)})
    # The provider's file watcher logs a traceback each time it looks (twice a second)
    # while the file is missing or broken; the handler below says it once per problem.
    logging.getLogger("openfeature.contrib").setLevel(logging.CRITICAL)
    client = api.get_client(service_name)
    problems = []
    api.add_handler(ProviderEvent.PROVIDER_READY, lambda _details: _refresh(client, problems))
    api.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, lambda _details: _refresh(client, problems))
    api.add_handler(ProviderEvent.PROVIDER_ERROR, lambda details: _unreadable(path, details.message, problems))
    # deadline_ms is also how often the file's modification time is looked at.
    api.set_provider(FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=path, deadline_ms=500))
    _configured = True
    return True


def _unreadable(path: str, message: str | None, problems: list) -> None:
    if problems != [message]:
        problems[:] = [message]
        log.warning("fault flag file unreadable: every flag kept as it was", extra={"path": path, "error": message})


def _refresh(client, problems: list) -> None:
    global _values
    problems.clear()
    evaluators = {bool: client.get_boolean_value, int: client.get_integer_value, float: client.get_float_value,
                  str: client.get_string_value}
    values = {flag.name: evaluators[type(flag.off)](flag.name, flag.off) for flag in FLAGS}
    for flag in FLAGS:
        if values[flag.name] != _values[flag.name]:
            log.warning("fault flag changed", extra={"flag": flag.name, "flag_value": values[flag.name]})
        ACTIVE.labels(flag.name).set(0 if values[flag.name] == flag.off else 1)
    _values = values


def unavailable_while(name: str, message: str):
    """Decorate an RPC of a servicer: it answers UNAVAILABLE with `message` while the
    on/off flag `name` is on."""

    def decorate(method):
        @functools.wraps(method)
        async def wrapper(self, request, context):
            fail_if_on(name, f"{method.__name__} answered UNAVAILABLE", message)
            return await method(self, request, context)

        return wrapper

    return decorate


def slowed_by(name: str):
    """Decorate an RPC of a servicer: it waits the milliseconds the flag `name` gives first."""

    def decorate(method):
        @functools.wraps(method)
        async def wrapper(self, request, context):
            await delay(name, method.__name__)
            return await method(self, request, context)

        return wrapper

    return decorate


# -- the flag file ---------------------------------------------------------------------------

def document(values: Mapping[str, object]) -> dict:
    """The flag file for these values (the others off), in flagd's format: each flag has
    the variants off and on, and its default variant says which one holds."""
    flags = {}
    for flag in FLAGS:
        current = values.get(flag.name, flag.off)
        flags[flag.name] = {
            "state": "ENABLED",
            "variants": {"off": flag.off, "on": flag.on if current == flag.off else current},
            "defaultVariant": "off" if current == flag.off else "on",
            "metadata": {"description": flag.meaning},
        }
    return {"$schema": FLAGD_SCHEMA, "flags": flags}


def read(path: Path) -> dict[str, object]:
    """Each flag's value in the file at path (off for a flag it lacks, or no file)."""
    try:
        flags = json.loads(path.read_text()).get("flags", {})
    except FileNotFoundError:
        flags = {}
    values = {}
    for flag in FLAGS:
        entry = flags.get(flag.name)
        if entry and entry.get("state") == "ENABLED":
            values[flag.name] = entry["variants"][entry["defaultVariant"]]
        else:
            values[flag.name] = flag.off
    return values


def write(path: Path, changes: Mapping[str, object]) -> dict[str, object]:
    """Set these flags in the file at path (made when missing), the others as they are;
    the new file replaces the old one whole, so a reader never sees half of it. Returns
    every flag's value after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        values = {**read(path), **changes}
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as file:
            json.dump(document(values), file, indent=2)
            file.write("\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    return values


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m service_runtime.fault_flags",
                                     description="Show or change the shop's fault flags (docs/fault-flags.md).")
    parser.add_argument("--file", default=os.environ.get(FLAGS_FILE_ENV, ""),
                        help=f"the flag file (default: ${FLAGS_FILE_ENV})")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="every flag and its value")
    setting = commands.add_parser("set", help="give a flag a value")
    setting.add_argument("name", choices=sorted(BY_NAME))
    setting.add_argument("value")
    for command in ("on", "off"):
        commands.add_parser(command, help=f"turn a flag {command}").add_argument("name", choices=sorted(BY_NAME))
    commands.add_parser("reset", help="turn every flag off")
    args = parser.parse_args(argv)
    if not args.file:
        parser.error(f"no flag file: set {FLAGS_FILE_ENV} or give --file")
    path = Path(args.file)
    try:
        if args.command == "set":
            values = write(path, {args.name: BY_NAME[args.name].parse(args.value)})
        elif args.command == "on":
            values = write(path, {args.name: BY_NAME[args.name].on})
        elif args.command == "off":
            values = write(path, {args.name: BY_NAME[args.name].off})
        elif args.command == "reset":
            values = write(path, {flag.name: flag.off for flag in FLAGS})
        else:
            values = read(path)
    except ValueError as exc:
        parser.error(str(exc))
    for flag in FLAGS:
        state = "off" if values[flag.name] == flag.off else f"ON ({json.dumps(values[flag.name])})"
        print(f"{flag.name:20} {state:12} {flag.meaning}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

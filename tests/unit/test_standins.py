"""The stand-ins cover every third-party image the compose file and the Dockerfiles name (but
Grafana's, which has none), each says plainly that it is not the upstream image, and each
builds on the one Debian base. Read from the files; tests/containers builds and runs them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from devstack import dockerfiles, standins

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
# No source for Grafana can be built here; the tests run the observability profile without it.
NOT_STOOD_IN = {"grafana/grafana:11.3.0"}
OTHER_DOCKERFILES = [REPO / "krakend/Dockerfile", REPO / "deploy/compose/tools.Dockerfile"]


def third_party_images() -> set[str]:
    named = {spec["image"] for spec in COMPOSE["services"].values() if "image" in spec}
    for path in [image.path for image in dockerfiles.IMAGES] + OTHER_DOCKERFILES:
        named |= set(re.findall(r"^FROM\s+(\S+)", path.read_text(), re.M))
    return named


def test_every_third_party_image_but_grafanas_has_a_stand_in():
    tagged = {tag for standin in standins.STANDINS for tag in standin.tags}
    assert third_party_images() - NOT_STOOD_IN == tagged
    assert NOT_STOOD_IN <= third_party_images()


def test_each_profile_gets_the_stand_ins_of_its_services():
    for standin in standins.STANDINS:
        users = [spec.get("profiles", [""]) for spec in COMPOSE["services"].values()
                 if spec.get("image") in standin.tags]
        assert all(standin.profile in profiles for profiles in users), standin


@pytest.mark.parametrize("standin", standins.STANDINS, ids=lambda s: s.directory)
def test_each_stand_in_says_it_is_not_the_upstream_image_and_starts_from_the_base(standin):
    text = (standins.STANDINS_DIR / standin.directory / "Dockerfile").read_text()
    header = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "stand-in" in header.lower() and "upstream image was not tested" in header, standin.directory
    assert re.search(r"^What differs:|^# What differs:", text, re.M), f"{standin.directory}: say what differs"
    assert re.findall(r"^FROM\s+(\S+)", text, re.M) == ["${BASE}"]
    assert re.search(r"^ARG BASE=", text, re.M)


def test_a_stand_in_is_rebuilt_when_what_it_is_made_from_changes(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "Dockerfile").write_text("FROM ${BASE}\n")
    extra = tmp_path / "binary"
    extra.write_bytes(b"one")
    monkeypatch.setattr(standins, "STANDINS_DIR", tmp_path)
    demo = standins.StandIn("demo", ("demo:1",), {"binary": extra})
    first = standins.fingerprint(demo)
    assert standins.fingerprint(demo) == first
    extra.write_bytes(b"two")
    assert standins.fingerprint(demo) != first

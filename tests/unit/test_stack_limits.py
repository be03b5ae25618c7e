"""The local stack's limits profiles (devstack/limits.py): STACK_LIMITS chooses one, the
stack's environment passes it to identityservice and the gateway, and the gateway's
configuration changes in its per-client rates and nothing else."""
from __future__ import annotations

import pytest

from devstack import krakend, limits
from devstack.stack import REPO, Stack
from identityservice import config as identity_config
from service_runtime.config import Env

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1/identity"}


def test_make_run_has_the_default_limits_and_make_loadtest_names_its_own():
    assert Stack.from_env({}).limits is limits.DEFAULT
    assert Stack.from_env({"STACK_LIMITS": "loadtest"}).limits is limits.LOADTEST
    with pytest.raises(ValueError, match="STACK_LIMITS='open'.*default, loadtest"):
        Stack.from_env({"STACK_LIMITS": "open"})


def test_the_stacks_environment_carries_its_profile(tmp_path):
    env = Stack.from_env({"STACK_DIR": str(tmp_path), "STACK_LIMITS": "loadtest"}).environment()
    assert (env["STACK_LIMITS"], env["STACK_LOGIN_RATE_PER_CLIENT"]) == ("loadtest", "50/second;3000/minute")
    assert Stack.from_env({"STACK_DIR": str(tmp_path)}).environment()["STACK_LOGIN_RATE_PER_CLIENT"] == ""


def test_identity_takes_the_profiles_rate_or_keeps_its_own_default():
    # The Procfile passes LOGIN_RATE_PER_CLIENT=$STACK_LOGIN_RATE_PER_CLIENT: empty means the default.
    [identity] = [line for line in (REPO / "Procfile").read_text().splitlines() if line.startswith("identityservice:")]
    assert " LOGIN_RATE_PER_CLIENT=$STACK_LOGIN_RATE_PER_CLIENT " in identity
    default_rates = identity_config.load(Env(REQUIRED)).client_rates
    for profile, expected in ((limits.DEFAULT, default_rates), (limits.LOADTEST, "50/second;3000/minute")):
        passed = limits.environment(profile)["STACK_LOGIN_RATE_PER_CLIENT"]
        assert identity_config.load(Env({**REQUIRED, "LOGIN_RATE_PER_CLIENT": passed})).client_rates == expected
    assert default_rates != limits.LOADTEST.login_rate_per_client


def test_the_gateway_moves_only_its_per_client_rates(tmp_path):
    urls = krakend.container_http_urls()
    before = krakend.render(krakend.load(), port=8000, http_urls=urls, keys_dir=tmp_path)
    after = krakend.render(krakend.load(), port=8000, http_urls=urls, keys_dir=tmp_path, client_rate=50)
    changed = []
    for old, new in zip(before["endpoints"], after["endpoints"]):
        old_limit = old.get("extra_config", {}).get(krakend.RATELIMIT)
        if old_limit:
            new_limit = new["extra_config"][krakend.RATELIMIT]
            assert new_limit == {**old_limit, "clientMaxRate": 50}
            changed.append(f"{old['method']} {old['endpoint']}")
            new = {**new, "extra_config": {**new["extra_config"], krakend.RATELIMIT: old_limit}}
        assert new == old
    assert "POST /api/v1/users" in changed
    assert {k: v for k, v in after.items() if k != "endpoints"} == {k: v for k, v in before.items() if k != "endpoints"}


def test_a_stack_env_file_says_which_profile_its_stack_runs_with(tmp_path):
    text = "".join(f"{k}={v}\n" for k, v in {"STACK_DIR": "/x", **limits.environment(limits.LOADTEST)}.items())
    assert limits.recorded(text) == "loadtest"
    assert limits.recorded("STACK_DIR=/x\n") is None

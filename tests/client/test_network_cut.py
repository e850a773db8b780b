"""The test cable: through it the sandbox answers; cut, the client is refused; restored, the same sandbox answers again."""

from __future__ import annotations

import httpx
import pytest

from tests.network_cut import NetworkCut


@pytest.fixture
def sandbox(shared_sandbox):
    """The tests here only read the sandbox: they share the worker's (tests/conftest.py)."""
    return shared_sandbox


def test_cut_refuses_and_restore_reaches_the_same_sandbox(sandbox):
    token = sandbox.info.token_of("teacher")
    headers = {"Authorization": f"Bearer {token}"}
    with NetworkCut(int(sandbox.base_url.rsplit(":", 1)[1])) as cable:
        url = cable.base_url + "/api/v1/conversations/unread_count"
        with httpx.Client(headers=headers) as client:
            before = client.get(url).json()
            cable.cut()
            with pytest.raises(httpx.TransportError):
                client.get(url)
            cable.restore()
            assert client.get(url).json() == before

"""The licence client's URL check: what schemathesis sent once must be a clear 'bad_url'."""

from __future__ import annotations

import pytest

from restrike.errors import LicenseError
from restrike.license.client import activate, check_url


@pytest.mark.parametrize("url", ["http://>\u00df\u0012\U0001f60d\u00de", "https://host\x7f:1",
                                 "https://ho st\n", "ftp://host", "https://", "https://h:99999",
                                 "http://[x", "http://@"])
def test_a_server_that_is_no_url_is_bad_url(url: str) -> None:
    with pytest.raises(LicenseError) as info:
        activate(url, "RS-KEY", "fp", timeout=0.5)
    assert info.value.kind == "bad_url"


def test_a_url_is_kept_without_its_trailing_slash() -> None:
    assert check_url(" https://licence.example:8443/ ") == "https://licence.example:8443"

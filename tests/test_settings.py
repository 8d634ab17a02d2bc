"""Decision settings: each enumeration is defined once and validated in one place."""

from __future__ import annotations

import pytest

from index_builder.errors import WsdError
from wsd_service.settings import MAX_K, Backoff, Mode, Settings, SettingsError, VoteRule


@pytest.mark.parametrize(
    "bad",
    [
        {"k": 0},
        {"k": MAX_K + 1},
        {"vote": "x"},
        {"mode": "x"},
        {"backoff": "x"},
        {"prior": -1},
        {"centroid": 11},
    ],
)
def test_settings_out_of_range_are_refused(bad: dict) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(**bad)
    message = str(caught.value)
    assert isinstance(caught.value, WsdError) and ("choose from" in message or "must be between" in message)


def test_plain_strings_become_enum_members() -> None:
    settings = Settings(vote="paper", mode="centroid", backoff="none")
    assert (
        settings.vote is VoteRule.PAPER
        and settings.mode is Mode.CENTROID
        and settings.backoff is Backoff.NONE
    )
    assert settings == Settings(vote=VoteRule.PAPER, mode=Mode.CENTROID, backoff=Backoff.NONE)
    assert f"{settings.vote}" == "paper"  # labels and JSON rows keep the plain value

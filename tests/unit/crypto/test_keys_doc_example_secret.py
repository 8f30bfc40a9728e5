"""The key ring Secret shown in docs/keys.md is a real, valid key ring in our layout."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import yaml

from strongroom.crypto.keyring import KeyRing, KeyState

DOC = (Path(__file__).resolve().parents[3] / "docs" / "keys.md").read_text(encoding="utf-8")


def test_the_example_secret_parses_as_a_key_ring() -> None:
    block = re.search(r"<!-- example: keyring-secret -->\n```yaml\n(.*?)```", DOC, re.DOTALL)
    assert block is not None
    secret = yaml.safe_load(block.group(1))
    data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
    ring = KeyRing.from_secret_data(data)
    assert ring.key_id == "shop-backups"
    assert [(v.version, v.state) for v in ring.versions] == [
        (1, KeyState.DECRYPT_ONLY),
        (2, KeyState.PRIMARY),
    ]
    assert ring.to_secret_data() == data  # our writer produces exactly this Secret
    decoded = re.search(r"`keyring.json` decoded:\n\n```json\n(.*?)\n```", DOC, re.DOTALL)
    assert decoded is not None
    assert json.loads(decoded.group(1)) == json.loads(data["keyring.json"])

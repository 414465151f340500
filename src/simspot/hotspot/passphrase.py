"""Passphrase policy: length, WPA's character rules, and a strength estimate that says why.

The estimate splits the passphrase into the cheapest explanation an attacker's guesser would find
(common passwords, the SSID, keyboard walks, repeats, sequences, dates; everything else guessed
character by character) and adds up the bits of each piece, choosing the split with the fewest bits
by dynamic programming. A WPA2 handshake can be attacked offline, so the bar is a guess count an
offline attacker cannot reach: ``MIN_BITS``.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from simspot.hotspot.validate import PASSPHRASE_MAX, HotspotValueError, passphrase_format
from simspot.i18n import part, render

MIN_LENGTH = 12
MIN_BITS = 50.0

# The most used passwords and password words (leaked-password rankings agree on the head of the
# list); the order is a rough popularity rank, which sets how few guesses each costs.
COMMON: tuple[str, ...] = (
    "123456", "password", "123456789", "12345678", "12345", "qwerty", "1234567", "111111",
    "1234567890", "123123", "abc123", "1234", "password1", "iloveyou", "1q2w3e4r", "000000",
    "qwerty123", "zaq12wsx", "dragon", "sunshine", "princess", "letmein", "654321", "monkey",
    "27653", "1qaz2wsx", "123321", "qwertyuiop", "superman", "asdfghjkl", "welcome", "football",
    "baseball", "master", "shadow", "michael", "trustno1", "hello", "freedom", "whatever",
    "starwars", "login", "passw0rd", "admin", "admin123", "121212", "666666", "7777777",
    "internet", "wifi", "hotspot", "wireless", "router", "secret", "default", "changeme",
    "guest", "test", "linux", "android", "iphone", "samsung", "google", "pokemon", "batman",
    "soccer", "hockey", "charlie", "jordan", "hunter", "ranger", "buster", "thomas", "tigger",
    "robert", "daniel", "andrew", "jessica", "ashley", "jennifer", "michelle", "nicole",
    "summer", "winter", "spring", "autumn", "love", "lovely", "flower", "purple", "orange",
    "banana", "cookie", "cheese", "chocolate", "pepper", "ginger", "computer", "matrix",
    "mustang", "harley", "ferrari", "corvette", "cowboy", "killer", "ninja", "azerty",
    "family", "friends", "forever", "angel", "baby", "money", "secure", "access", "simspot",
    "mobile", "phone", "welcome1", "letmein1", "root", "toor", "pass", "qazwsx", "abcd1234",
    "password123", "1qazxsw2", "zxcvbnm", "asdf", "qwer", "loveme", "flower", "mother",
    "father", "sister", "brother", "school", "happy", "music", "apple", "orange", "london",
    "berlin", "paris", "hello123", "qwe123", "aa123456", "iloveu", "fuckyou", "nothing",
    "silver", "golden", "diamond", "dolphin", "eagle", "tiger", "lion", "jesus", "christ",
    "blessed", "heaven", "gaming", "player", "network", "connect", "office", "home", "house",
)  # fmt: skip

_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s",
                       "$": "s", "7": "t", "+": "t", "8": "b", "9": "g", "|": "l"})  # fmt: skip

_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")
_SHIFTED = dict(zip('~!@#$%^&*()_+{}|:"<>?', "`1234567890-=[]\\;',./", strict=True))


@dataclass(frozen=True)
class Finding:
    kind: str  # "common", "ssid", "keyboard", "repeat", "sequence", "date", "guess"
    start: int
    end: int  # exclusive
    text: str
    bits: float

    def describe(self) -> str:
        what = {
            "common": "a common password or word",
            "ssid": "the network name",
            "keyboard": "a keyboard pattern",
            "repeat": "a repetition",
            "sequence": "a sequence",
            "date": "a date or year",
        }[self.kind]
        return f"{what} ({self.text!r})"

    def message(self) -> dict[str, Any]:
        """``describe()`` as a catalogue message (simspot.i18n)."""
        return part(f"passphrase.found.{self.kind}", text=repr(self.text))


@dataclass(frozen=True)
class Strength:
    bits: float
    findings: tuple[Finding, ...]  # the pieces of the cheapest explanation, in order

    @property
    def patterns(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind != "guess")


class WeakPassphrase(HotspotValueError):
    """A passphrase refused by the policy; ``reasons`` lists every problem found (as messages)."""

    def __init__(self, reasons: list[dict[str, Any]], field: str = "passphrase") -> None:
        texts = [render(r["id"], r["params"]) for r in reasons]
        super().__init__(field, "; ".join(texts), "error.passphrase.weak", reasons=reasons)
        self.reasons = tuple(texts)

    @classmethod
    def one(cls, exc: HotspotValueError) -> WeakPassphrase:
        """WPA's own rules broken (``passphrase_format``): that error's one sentence."""
        field = exc.field or "passphrase"
        problem = str(exc).removeprefix(f"{field}: ")
        weak = cls.__new__(cls)
        params = {k: v for k, v in exc.params.items() if k != "field"}
        HotspotValueError.__init__(weak, field, problem, exc.msg_id, **params)
        weak.reasons = (problem,)
        return weak


def _pool(text: str) -> int:
    pool = 0
    if any(c.islower() for c in text):
        pool += 26
    if any(c.isupper() for c in text):
        pool += 26
    if any(c.isdigit() for c in text):
        pool += 10
    if any(not c.isalnum() for c in text):
        pool += 33
    return max(pool, 10)


@lru_cache(maxsize=1)
def _keyboard() -> dict[str, set[str]]:
    """Neighbour keys on a US QWERTY layout (rows are offset by half a key)."""
    pos = {ch: (r, c) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
    grid = {v: k for k, v in pos.items()}
    near: dict[str, set[str]] = {}
    for ch, (r, c) in pos.items():
        cand = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
        near[ch] = {grid[p] for p in cand if p in grid}
    return near


def _unshift(ch: str) -> str:
    return _SHIFTED.get(ch, ch.lower())


def _case_bits(token: str) -> float:
    if token.islower() or not any(c.isalpha() for c in token):
        return 0.0
    if (token[0].isupper() and token[1:].islower()) or token.isupper():
        return 1.0
    return 2.0


def _matches(text: str, ssid: str | None, blocks: bool) -> list[Finding]:
    n = len(text)
    low = text.lower()
    plain = low.translate(_LEET)
    rank = {w: i for i, w in reversed(list(enumerate(COMMON)))}
    out: list[Finding] = []
    ssid_low = ssid.lower() if ssid else ""
    for i in range(n):
        for j in range(i + 3, n + 1):
            token, piece, unleet = text[i:j], low[i:j], plain[i:j]
            for word, extra in ((piece, 0.0), (unleet, 1.0), (piece[::-1], 1.0)):
                if word in rank:
                    bits = math.log2(rank[word] + 2) + extra + _case_bits(token)
                    out.append(Finding("common", i, j, token, bits))
            if len(ssid_low) >= 3 and ssid_low in (piece, unleet):
                out.append(Finding("ssid", i, j, token, 1.0 + _case_bits(token)))
    near = _keyboard()
    # Keyboard walks: runs of 4+ neighbouring keys.
    for i in range(n):
        j = i + 1
        while j < n and _unshift(text[j]) in near.get(_unshift(text[j - 1]), ()):
            j += 1
            if j - i >= 4:
                turns = sum(
                    1
                    for k in range(i + 2, j)
                    if (ord(_unshift(text[k])) - ord(_unshift(text[k - 1])))
                    != (ord(_unshift(text[k - 1])) - ord(_unshift(text[k - 2])))
                )
                bits = math.log2(47) + math.log2(j - i) + 2.0 * turns + _case_bits(text[i:j])
                out.append(Finding("keyboard", i, j, text[i:j], bits))
    # Runs of one character, and sequences with a constant step of 1 (abcd, 4321).
    for i in range(n):
        j = i + 1
        while j < n and text[j] == text[i]:
            j += 1
        for end in range(i + 3, j + 1):
            out.append(
                Finding(
                    "repeat", i, end, text[i:end], math.log2(_pool(text[i])) + math.log2(end - i)
                )
            )
        for step in (1, -1):
            j = i + 1
            while (
                j < n
                and ord(low[j]) - ord(low[j - 1]) == step
                and low[j].isalnum()
                and low[j].isdigit() == low[i].isdigit()
            ):
                j += 1
            for end in range(i + 3, j + 1):
                space = 10 if low[i].isdigit() else 26
                bits = math.log2(space) + math.log2(end - i) + (1.0 if step < 0 else 0.0)
                out.append(Finding("sequence", i, end, text[i:end], bits))
    # A repeated block (abcabc, passpass): the block's own cost plus the repeat count.
    for i in range(n if blocks else 0):
        for size in range(2, (n - i) // 2 + 1):
            block = text[i : i + size]
            count = 1
            while text[i + count * size : i + (count + 1) * size] == block:
                count += 1
            if count >= 2:
                bits = _cheapest(block, ssid, blocks=False).bits + math.log2(count)
                out.append(Finding("repeat", i, i + count * size, text[i : i + count * size], bits))
    out.extend(_dates(text))
    return out


_DATE = re.compile(r"(?=(\d{1,4}([-/. ]?)\d{1,2}\2\d{2,4}|(?:19|20)\d{2}))")


def _dates(text: str) -> list[Finding]:
    out = []
    for m in _DATE.finditer(text):
        token = m.group(1)
        digits = re.sub(r"[-/. ]", "", token)
        if len(digits) == 4 and token == digits and token[:2] in ("19", "20"):
            out.append(Finding("date", m.start(), m.start() + 4, token, math.log2(200)))
        elif 4 <= len(digits) <= 8 and _plausible_date(token):
            sep = 1.0 if not token.isdigit() else 0.0
            bits = math.log2(366 * 200) + sep
            out.append(Finding("date", m.start(), m.start() + len(token), token, bits))
    return out


def _plausible_date(token: str) -> bool:
    parts = re.split(r"[-/. ]", token)
    if len(parts) != 3:
        d = token
        splits = [(d[:2], d[2:4], d[4:]), (d[:4], d[4:6], d[6:]), (d[:1], d[1:2], d[2:])]
        parts_options = [list(s) for s in splits if all(s)]
    else:
        parts_options = [parts]
    for p in parts_options:
        nums = [int(x) for x in p]
        days_months = [x for x in nums if 1 <= x <= 31]
        has_month = any(1 <= x <= 12 for x in nums)
        has_year = any(len(x) in (2, 4) for x in p)
        if len(days_months) >= 2 and has_month and has_year:
            return True
    return False


@lru_cache(maxsize=4096)
def _cheapest(text: str, ssid: str | None, blocks: bool = True) -> Strength:
    n = len(text)
    per_char = math.log2(_pool(text))
    by_end: dict[int, list[Finding]] = {}
    for f in _matches(text, ssid, blocks) if n <= 64 else []:
        by_end.setdefault(f.end, []).append(f)
    best: list[float] = [0.0] + [math.inf] * n
    back: list[Finding | None] = [None] * (n + 1)
    for j in range(1, n + 1):
        guess = Finding("guess", j - 1, j, text[j - 1], per_char)
        best[j], back[j] = best[j - 1] + per_char, guess
        for f in by_end.get(j, []):
            if best[f.start] + f.bits < best[j]:
                best[j], back[j] = best[f.start] + f.bits, f
    pieces: list[Finding] = []
    j = n
    while j > 0:
        step = back[j]
        if step is None:  # unreachable: every position has the one-character guess
            break
        pieces.append(step)
        j = step.start
    pieces.reverse()
    # Merge adjacent one-character guesses into one finding for readability.
    merged: list[Finding] = []
    for f in pieces:
        if merged and f.kind == "guess" and merged[-1].kind == "guess":
            last = merged[-1]
            merged[-1] = Finding(
                "guess", last.start, f.end, text[last.start : f.end], last.bits + f.bits
            )
        else:
            merged.append(f)
    return Strength(round(best[n], 1), tuple(merged))


def estimate(passphrase: str, ssid: str | None = None) -> Strength:
    """Bits of guessing an attacker needs for ``passphrase`` (lower is weaker), and why."""
    return _cheapest(passphrase, ssid)


def problems(passphrase: str, ssid: str | None = None) -> list[str]:
    """Every reason the policy refuses ``passphrase``; empty when it is acceptable."""
    try:
        passphrase_format(passphrase)
    except HotspotValueError as exc:
        return [str(exc).removeprefix("passphrase: ")]
    return [render(r["id"], r["params"]) for r in _policy(passphrase, ssid)]


def _policy(passphrase: str, ssid: str | None) -> list[dict[str, Any]]:
    """The policy's reasons (after the format check) as catalogue messages (simspot.i18n)."""
    reasons: list[dict[str, Any]] = []
    # A 64-hex-digit raw key is still estimated: "aaaa...a" is valid hex and worthless.
    if len(passphrase) < MIN_LENGTH:
        reasons.append(part("passphrase.short", length=len(passphrase), min=MIN_LENGTH))
    strength = estimate(passphrase, ssid)
    if strength.bits < MIN_BITS:
        found = [f.message() for f in strength.patterns]
        bits = {"bits": f"{strength.bits:.0f}", "needed": f"{MIN_BITS:.0f}"}
        if found:
            reasons.append(part("passphrase.guessable.contains", **bits, found=found))
        elif len(set(passphrase)) <= 1 or passphrase.isdigit():
            reasons.append(part("passphrase.guessable.few", **bits))
        else:
            reasons.append(part("passphrase.guessable", **bits))
    return reasons


def check(passphrase: str, ssid: str | None = None, field: str = "passphrase") -> str:
    """Return ``passphrase`` if the policy accepts it, else raise ``WeakPassphrase`` saying why."""
    try:
        passphrase_format(passphrase, field)
    except HotspotValueError as exc:  # WPA's own rules: that one sentence
        raise WeakPassphrase.one(exc) from None
    reasons = _policy(passphrase, ssid)
    if reasons:
        raise WeakPassphrase(reasons, field)
    return passphrase


# No 0/o, 1/l/i: easy to read aloud and to type from a screen.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate(groups: int = 4, size: int = 5) -> str:
    """A random passphrase like ``x7kqm-3vhtr-...``: about 99 bits with the defaults."""
    if groups * size < MIN_LENGTH or groups * (size + 1) - 1 > PASSPHRASE_MAX:
        raise ValueError(
            f"a generated passphrase needs {MIN_LENGTH} random characters and at most "
            f"{PASSPHRASE_MAX} in all"
        )
    while True:
        words = ["".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups)]
        candidate = "-".join(words)
        if not problems(candidate):
            return candidate

"""Who assesses whom in a round: the words every workbook and document uses for the assessing body.

A round is run by a district (UBND huyện …) or, since the two-level local government of July 2025, by a
province (UBND tỉnh …); its units are xã, phường, thị trấn or đặc khu. Templates
(workbook_templates/*.yaml) say `[[scorer]]`, `[[office]]`, `[[level]]`, `[[units]]` … where these words go;
`cchc_xl.templates.template(name, identity)` fills them from a `RoundIdentity`, so nothing in a workbook names
the bundled sample's district, nor says "huyện" in a province's round. Without a round (a criteria set
checked on its own, say) the `NEUTRAL` identity speaks of "cơ quan đánh giá".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cchc_xl.communes import KINDS, Commune

if TYPE_CHECKING:
    from cchc_xl.store import Round

# The level named in a body, looked for in this order ("UBND thành phố Hà Nội" is a city, not a district).
_LEVELS = ("tỉnh", "thành phố", "thị xã", "quận", "huyện")
# Cities run by the central government: their bodies are provinces' (Sở Nội vụ, not Phòng Nội vụ).
_CENTRAL_CITIES = ("hà nội", "hồ chí minh", "hải phòng", "đà nẵng", "cần thơ", "huế")


@dataclass(frozen=True)
class RoundIdentity:
    """The assessing body (as typed at `init`), the place for the date line, and the kinds of units."""

    body: str = ""
    place: str = ""
    kinds: tuple[str, ...] = KINDS

    @classmethod
    def of(cls, body: str, place: str = "", communes: Iterable[Commune] = ()) -> RoundIdentity:
        present = {c.kind for c in communes}
        kinds = tuple(k for k in KINDS if k in present) + tuple(sorted(present - set(KINDS)))
        return cls(body=body.strip(), place=place.strip(), kinds=kinds or KINDS)

    @classmethod
    def of_round(cls, rnd: Round | None) -> RoundIdentity:
        """A recorded round's identity (NEUTRAL for a store without rounds)."""
        if rnd is None:
            return NEUTRAL
        return cls.of(rnd.body, rnd.place, rnd.communes)

    @property
    def level(self) -> str:
        """'huyện', 'tỉnh', 'thành phố' …: the body's level as named in it; '' when it names none."""
        low = unicodedata.normalize("NFC", self.body).lower()
        return next((lv for lv in _LEVELS if lv in low), "")

    @property
    def is_province(self) -> bool:
        low = unicodedata.normalize("NFC", self.body).lower()
        return self.level == "tỉnh" or (self.level == "thành phố" and any(c in low for c in _CENTRAL_CITIES))

    def words(self) -> dict[str, str]:
        """Template token -> text (see the module doc)."""
        level = self.level
        scorer = f"Do {level} chấm" if level else "Do cơ quan đánh giá chấm"
        if not self.body:
            office = "cơ quan đánh giá"
        else:
            office = "Sở Nội vụ" if self.is_province else "Phòng Nội vụ"
        units = ", ".join(self.kinds)
        body = self.body or "cơ quan đánh giá"
        level = level or "đợt đánh giá"
        return {"body": body, "BODY": body.upper(), "level": level, "LEVEL": level.upper(),
                "scorer": scorer, "scorer_lc": scorer[:1].lower() + scorer[1:], "office": office,
                "units": units, "UNITS": units.upper(), "place": self.place}

    def fill(self, text: str) -> str:
        if "[[" not in text:
            return text
        for key, value in self.words().items():
            text = text.replace(f"[[{key}]]", value)
        return text


NEUTRAL = RoundIdentity()

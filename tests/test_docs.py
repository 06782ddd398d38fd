"""The user guides (docs/huong-dan-su-dung.md, docs/huong-dan-xa.md): pictures exist, commands are real,
no placeholder text. Pictures are made by scripts/render_pictures.py from the demo's own output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cchc_xl.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"
IMAGES = DOCS / "images"
GUIDES = [DOCS / "huong-dan-su-dung.md", DOCS / "huong-dan-xa.md"]

IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img\s[^>]*src=\"([^\"]+)\"")
FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.S | re.M)  # also fences indented in lists
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# `cchc-xl` as a program being run: at the start, after a space or a path separator, followed by a space
# (so `cchc-xl.toml` is not a command).
COMMAND = re.compile(r"(?:^|(?<=[\s\\/]))cchc-xl(?=[ \t])([^\n]*)")
PLACEHOLDERS = re.compile(r"\b(TODO|FIXME|TBD|XXX+|lorem ipsum)\b|\?\?\?|<placeholder>|\[(?:hình|ảnh)[^\]]*\]\(\)",
                          re.I)
ELLIPSIS = {"…", "...", "[…]"}
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_snippets(text: str) -> list[str]:
    """Fenced code blocks, then inline code spans outside them."""
    snippets = [m.group(2) for m in FENCE.finditer(text)]
    rest = FENCE.sub("", text)
    return snippets + INLINE_CODE.findall(rest)


def command_lines(text: str) -> list[str]:
    """Everything after `cchc-xl ` on each mention inside code (comments cut off)."""
    found = []
    for snippet in code_snippets(text):
        for line in snippet.splitlines():
            for m in COMMAND.finditer(line):
                found.append(m.group(1).split(" #", 1)[0].strip())
    return found


def _tokens(rest: str) -> list[str]:
    try:
        return shlex.split(rest, posix=True)
    except ValueError:  # an unbalanced quote in prose: plain splitting is enough to find command names
        return rest.split()


def resolve(rest: str) -> tuple[list[str], str | None]:
    """The command path named by the words after `cchc-xl`, and a problem if they name no real command."""
    cmd: click.Command = cli
    path: list[str] = []
    for token in _tokens(rest):
        if token.startswith("-") or token in ELLIPSIS:
            break
        if isinstance(cmd, click.Group):
            # (asked as click asks: a group may load its commands when used, as `evidence` does)
            sub = cmd.get_command(click.Context(cmd), token)
            if sub is None:
                return path, f"“{' '.join([*path, token])}” is not a cchc-xl command"
            cmd, path = sub, [*path, token]
        else:
            break  # an argument of a leaf command
    return path, None


def all_commands() -> list[tuple[str, str]]:
    return [(guide.name, rest) for guide in GUIDES for rest in command_lines(_text(guide))]


def test_guides_exist_and_speak_vietnamese() -> None:
    for guide in GUIDES:
        text = _text(guide)
        assert len(text) > 2000, guide
        assert "Phòng Nội vụ" in text and "tài liệu kiểm chứng" in text.lower(), guide


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_image_links_point_to_existing_pictures(guide: Path) -> None:
    links = [a or b for a, b in IMAGE_LINK.findall(_text(guide))]
    assert links, f"{guide.name} has no pictures"
    for link in links:
        assert not re.match(r"^[a-z]+:", link), f"{guide.name}: {link} must be a relative link"
        target = (guide.parent / link).resolve()
        assert target.is_relative_to(IMAGES.resolve()), f"{guide.name}: {link} is not under docs/images"
        assert target.is_file(), f"{guide.name}: {link} does not exist (run python scripts/render_pictures.py)"
        assert target.suffix == ".png", link


def test_guides_mention_commands() -> None:
    named = {" ".join(resolve(rest)[0]) for _guide, rest in all_commands()}
    for wanted in ("criteria export", "criteria import", "criteria check", "generate", "import", "appraise prepare",
                   "appraise import", "appraise finalize", "appraise reopen", "appraise history", "report", "demo"):
        assert wanted in named, f"the district guide does not show `cchc-xl {wanted}`"


@pytest.mark.parametrize(("guide", "rest"), all_commands(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_command_in_the_guides_is_real(guide: str, rest: str) -> None:
    path, problem = resolve(rest)
    assert problem is None, f"{guide}: `cchc-xl {rest}`: {problem}"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, f"{guide}: `cchc-xl {' '.join(path)} --help` failed: {result.output}"
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts} | {"--help", "-h"}
    for token in _tokens(rest):
        if token in ELLIPSIS:
            break
        if token.startswith("-"):
            assert token.split("=", 1)[0] in known, f"{guide}: `cchc-xl {rest}`: no option {token}"


def test_resolve_rejects_unknown_commands() -> None:
    assert resolve("criteria export tieu-chi.xlsx") == (["criteria", "export"], None)
    assert resolve("appraise finalize 03922 --by \"A\"") == (["appraise", "finalize"], None)
    assert resolve("--version") == ([], None)
    assert resolve("no-such-command --out x")[1] is not None
    assert resolve("criteria nonsense")[1] is not None


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_no_placeholder_text(guide: Path) -> None:
    for lineno, line in enumerate(_text(guide).splitlines(), start=1):
        m = PLACEHOLDERS.search(line)
        assert m is None, f"{guide.name}:{lineno}: placeholder “{m.group(0)}”"


def _vn(n: float) -> str:
    """A number as the guide writes it: 2.000, 2.048."""
    return f"{n:,.0f}".replace(",", ".")


def test_guide_states_the_safety_limits_the_code_applies() -> None:
    from cchc_xl.evidence.intake import DEFAULT_LIMITS as evidence
    from cchc_xl.reading.safety import Limits

    mb = 1024 * 1024
    book = Limits()
    text = _text(GUIDES[0])
    section = text[text.index("### Giới hạn an toàn khi đọc tệp"):]
    section = section[:section.index("\n### ", 1)]
    workbook, bundle = section.split("**Thư mục hoặc tệp zip TLKC")
    for phrase in (f"tối đa {_vn(book.max_file_bytes / mb)} MB", f"tối đa {_vn(book.max_entries)} mục nén",
                   f"{_vn(book.max_uncompressed / mb)} MB khi giải nén", f"lớn hơn\n  {_vn(book.ratio_floor / mb)} MB",
                   f"nén quá {book.max_ratio} lần"):
        assert phrase in workbook, phrase
    for phrase in (f"tối đa {_vn(evidence.max_entries)} tệp", f"{_vn(evidence.max_total_bytes / mb)} MB khi giải nén",
                   f"mỗi tệp tối đa {_vn(evidence.max_file_bytes / mb)} MB",
                   f"lớn hơn {_vn(evidence.ratio_floor_bytes / mb)} MB", f"nén quá {evidence.max_ratio} lần",
                   f"{evidence.max_pages_parsed} trang đầu", f"tối đa {evidence.max_signatures} chữ ký"):
        assert phrase in bundle, phrase
    assert f"thêm {book.extent_margin_rows} dòng" in workbook and f"thêm {book.extent_margin_cols} cột" in workbook
    assert f"tối đa\n  {_vn(book.max_strings)} chuỗi chữ" in workbook
    from cchc_xl.criteria.load import MAX_YAML_BYTES, MAX_YAML_DEPTH
    from cchc_xl.evidence.crosscheck import HINT_CANDIDATES, HINT_NAMES
    from cchc_xl.importing.findings import MAX_PER_BUNDLE, MAX_PER_FILE
    from cchc_xl.numbers import MAX_DIGITS, MAX_MAGNITUDE

    flat = " ".join(section.split())
    for phrase in (f"nhỏ hơn 10^{MAX_MAGNITUDE.adjusted()}", f"tối đa {MAX_DIGITS} chữ số",
                   f"tối đa {MAX_PER_FILE} vấn đề cho mỗi tệp và {MAX_PER_BUNDLE} cho mỗi thư mục",
                   f"tối đa {_vn(evidence.max_pdf_streams)} luồng dữ liệu",
                   f"mỗi luồng tối đa {evidence.max_stream_bytes // mb} MB",
                   f"cả tệp tối đa {evidence.max_pdf_inflated // mb} MB", f"tối đa {HINT_NAMES} tên thiếu",
                   f"tối đa {HINT_CANDIDATES} tên tệp", f"tệp tối đa {MAX_YAML_BYTES // mb} MB",
                   f"lồng nhau tối đa {MAX_YAML_DEPTH} cấp", f"mỗi số tối đa {MAX_DIGITS} chữ số"):
        assert phrase in flat, phrase

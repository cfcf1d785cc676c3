"""An xlsx file's archive and its XML parts, opened and parsed within fixed limits.

Everything here guards what a zip of XML parts can claim about itself (see xlsx_reader): the
size of the archive's list of parts, each part's inflated size and compression ratio (checked
against the list before inflating, and the bytes actually inflated counted as they come), and
the XML itself (no DTD, so no entity expansion, and no run of more than MAX_SILENT_BYTES without
an element or text event). The handlers that give the parts their meaning are in xlsx_parts and
xlsx_reader.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat

from trainer.errors import DomainError

MAX_CENTRAL_DIRECTORY = 1 << 20  # bytes: ~10,000 parts; zipfile reads the whole list up front
MAX_SILENT_BYTES = 1 << 20  # XML without a single event: a giant tag, comment or attribute
MB = 1 << 20
# Inflated size of each part that is read. The sheet is streamed (its size costs time, which
# the sheet's element limit bounds first): a 20,000-row roster's is ~11 MB. The shared strings
# are all kept, so their size is memory: a roster's distinct names, kana and addresses are a few
# MB.
PART_LIMITS = {"sheet": 64 * MB, "sharedStrings": 16 * MB, "styles": 8 * MB, "other": 2 * MB}
# A part this big that inflates more than BOMB_RATIO times is not an office file but a bomb
# (a roster's sheet inflates 10-20 times; 5 million empty rows inflate 660 times).
BOMB_MIN_SIZE = 8 * MB
BOMB_RATIO = 100
CHUNK = 64 * 1024

BROKEN = (
    "Excelファイルとして読み込めませんでした。ファイルが壊れていないか、"
    "パスワードが掛かっていないか確かめてください。"
)
AS_CSV = "Excelで開いて、名簿のシートを「CSV UTF-8（コンマ区切り）」で保存してから選んでください。"
_PART_NAMES = {"sheet": "シート", "sharedStrings": "文字の一覧", "styles": "書式の一覧"}


class UnreadableWorkbook(DomainError):
    """The upload is not a workbook this reader will read; the message says why."""


# --- the archive ------------------------------------------------------------------------------


def open_archive(data: bytes) -> zipfile.ZipFile:
    _check_central_directory(data)
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise UnreadableWorkbook(BROKEN) from None


_END_RECORD = struct.Struct("<4s4H2LH")  # the zip's end of central directory record


def _check_central_directory(data: bytes) -> None:
    """Refuse an archive whose list of parts is huge, before zipfile reads all of it (16 MB of
    empty parts is 350,000 ZipInfo objects, ~100 MB). The record is found as zipfile finds it:
    at the very end, else the last one in the final 64 KB (after a comment)."""
    size = _END_RECORD.size
    if data[-size : -size + 4] == b"PK\x05\x06":
        at = len(data) - size
    else:
        at = data.rfind(b"PK\x05\x06", max(0, len(data) - size - 0xFFFF))
        if at < 0:
            raise UnreadableWorkbook(BROKEN)
    record = data[at : at + size]
    if len(record) < size:
        raise UnreadableWorkbook(BROKEN)
    *_, entries, directory_size, _offset, _comment = _END_RECORD.unpack(record)
    # ZIP64 (more than 65,535 parts or 4 GB) is never an office roster; zipfile would take its
    # sizes from another record, so refusing it keeps this check the one that counts.
    zip64 = (
        entries == 0xFFFF
        or directory_size == 0xFFFFFFFF
        or (at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07")
    )
    if zip64 or directory_size > MAX_CENTRAL_DIRECTORY:
        raise UnreadableWorkbook(
            "Excelファイルの中に含まれるファイルが多すぎます。名簿のファイルとして読み込めません。"
            + AS_CSV
        )


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}MB" if size >= 10 * MB else f"{size / MB:,.1f}MB"


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """The part's relationships: id → (type's last word, target part name)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    rels = _Relationships(folder)
    parse_part(archive, rels_name, rels, "other")
    return rels.targets


def relationship_target(archive: zipfile.ZipFile, part: str, kind: str) -> str | None:
    return next((t for k, t in relationships(archive, part).values() if k == kind), None)


# --- streaming XML with limits ----------------------------------------------------------------


class Handler:
    """An expat handler. `events` counts every callback, so that silence can be noticed.

    Tags are compared by local name, without namespace processing (which costs a fifth of
    the parse): the transitional and the strict namespaces, under any prefix, name the same
    things. The sheet's handler, called for every element, overrides the on_* methods
    themselves to save a call per event."""

    events = 0

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        self.start(local_name(name), attrs)

    def on_end(self, name: str) -> None:
        self.events += 1
        self.end(local_name(name))

    def on_text(self, data: str) -> None:
        self.events += 1
        self.text(data)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, tag: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _refuse_dtd(*_args: Any) -> None:
    # No xlsx part has a DTD; refusing it rules out entity expansion (billion laughs).
    raise UnreadableWorkbook(BROKEN)


def local_name(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


def _parser(handler: Handler) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = handler.on_start
    parser.EndElementHandler = handler.on_end
    parser.CharacterDataHandler = handler.on_text
    return parser


def parse_part(archive: zipfile.ZipFile, name: str, handler: Handler, kind: str) -> None:
    for _ in stream_part(archive, name, handler, kind):
        pass


def _checked_info(archive: zipfile.ZipFile, name: str, kind: str) -> zipfile.ZipInfo:
    """The part's entry, refused before anything is inflated if it says it is too big, or
    compressed as no office file is."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise UnreadableWorkbook(BROKEN) from None
    limit = PART_LIMITS[kind]
    what = _PART_NAMES.get(kind, "ファイルの一部")
    if info.file_size > limit:
        raise UnreadableWorkbook(
            f"Excelファイルの中身が大きすぎます（{what}を展開すると{_mb(info.file_size)}、"
            f"読み込めるのは{_mb(limit)}までです）。名簿に使わない行・列やシートを削除して保存し"
            "直すか、" + AS_CSV
        )
    if info.file_size > BOMB_MIN_SIZE and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
        raise UnreadableWorkbook(
            f"Excelファイルの中身が、ふつうのファイルではありえないほど圧縮されています（{what}の"
            f"{info.compress_size / 1024:,.0f}KBが、展開すると{_mb(info.file_size)}）。"
            "名簿のファイルとして読み込めません。" + AS_CSV
        )
    return info


def stream_part(archive: zipfile.ZipFile, name: str, handler: Handler, kind: str) -> Iterator[Any]:
    """Feed the part to expat in chunks; yield what the handler has ready after each (the
    sheet's rows; other handlers have none)."""
    info = _checked_info(archive, name, kind)
    limit = PART_LIMITS[kind]
    parser = _parser(handler)
    ready: list[Any] = getattr(handler, "ready", [])
    inflated = silent = 0
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK):
                # zipfile stops at the declared size, and a part that inflates to more fails
                # its CRC; counting here does not depend on either.
                inflated += len(chunk)
                if inflated > limit:
                    raise UnreadableWorkbook(BROKEN)
                before = handler.events
                parser.Parse(chunk, False)
                silent = silent + len(chunk) if handler.events == before else 0
                if silent > MAX_SILENT_BYTES:
                    raise UnreadableWorkbook(BROKEN)
                if ready:
                    yield from ready
                    ready.clear()
                if getattr(handler, "done", False):
                    return  # the rest of the sheet (merged cells, print settings) is not needed
            parser.Parse(b"", True)
    except (
        expat.ExpatError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,  # an encrypted part
        NotImplementedError,  # a compression method zipfile does not have
    ):
        raise UnreadableWorkbook(BROKEN) from None
    yield from ready
    ready.clear()


class _Relationships(Handler):
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag != "Relationship" or attrs.get("TargetMode") == "External":
            return
        if len(self.targets) > 10_000:
            raise UnreadableWorkbook(BROKEN)
        target = attrs.get("Target", "")
        if target.startswith("/"):
            name = target.lstrip("/")
        else:
            name = posixpath.normpath(posixpath.join(self.folder, target))
        kind = attrs.get("Type", "").rstrip("/").rpartition("/")[2]
        self.targets[attrs.get("Id", "")] = (kind, name)


def small_int(text: str | None) -> int | None:
    """A count or an index as a file writes it: ASCII digits, ten at most, else None."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    return int(text)

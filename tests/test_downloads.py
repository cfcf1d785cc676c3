"""tables.download, the one response every file download goes through: its content type, its
file name (a Japanese one too) and no-store."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from trainer.tables import download


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
        ("json", "application/json"),
    ],
)
def test_each_kind_has_its_content_type_once_and_is_never_stored(kind, content_type):
    response = download(b"x", kind, f"file.{kind}")
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="file.{kind}"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data() == b"x"


def test_a_pdf_can_be_shown_in_the_browser():
    response = download(b"%PDF", "pdf", "certificate-00012.pdf", inline=True)
    assert response.headers["Content-Disposition"] == 'inline; filename="certificate-00012.pdf"'


def test_a_japanese_name_goes_out_as_utf8_with_an_ascii_fallback():
    disposition = download(b"", "csv", "名簿_2026.csv").headers["Content-Disposition"]
    plain, encoded = disposition.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename="_2026.csv"'
    assert unquote(encoded) == "名簿_2026.csv"
    disposition.encode("latin-1")  # a header Werkzeug can send as it is


def test_quotes_and_backslashes_in_an_uploaded_name_stay_inside_the_header_value():
    disposition = download(b"", "pdf", 'a"b\\c.pdf').headers["Content-Disposition"]
    assert disposition == 'attachment; filename="a_b_c.pdf"'
    disposition = download(b"", "pdf", 'チラシ"x".pdf').headers["Content-Disposition"]
    plain, encoded = disposition.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename="_x_.pdf"'
    assert unquote(encoded) == 'チラシ"x".pdf'


def test_a_streamed_body_is_sent_chunk_by_chunk():
    response = download(iter([b"a,b\r\n", b"1,2\r\n"]), "csv", "table.csv")
    assert response.get_data() == b"a,b\r\n1,2\r\n"

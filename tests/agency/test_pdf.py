"""PDF rendering: our own assets only, system fonts, nothing fetched from elsewhere."""

from __future__ import annotations

import subprocess

import pytest

from agency.pdf import AssetFetcher, AssetRefused, render_pdf

pytestmark = pytest.mark.no_db

CSS = """
@page { size: A4; margin: 20mm; @bottom-right { content: "Page " counter(page) " / " counter(pages);
        font-family: "DejaVu Sans"; } }
body { font-family: "DejaVu Sans"; }
.second { break-before: page; }
"""


def text_of(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def assets(tmp_path):
    (tmp_path / "doc.css").write_text(CSS)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "note.css").write_text("p { color: red }")
    (tmp_path.parent / "secret.css").write_text("p { color: blue }")
    return tmp_path


def test_renders_with_our_stylesheet_and_embedded_dejavu(assets):
    html = '<link rel="stylesheet" href="amiable:doc.css"><p>Créance réglée : 1 234,56 €</p><p class="second">fin</p>'
    data = render_pdf(html, assets_dir=assets)
    text = text_of(data)
    assert data.startswith(b"%PDF-") and "Créance réglée : 1 234,56 €" in text
    assert "Page 1 / 2" in text and "Page 2 / 2" in text  # margin boxes come from the stylesheet
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "DejaVu" in fonts and "yes yes" in fonts  # embedded, subset


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "http://127.0.0.1:9/evil.css",
        "https://example.com/font.woff2",
        "data:text/css,p{color:red}",
        "amiable:../secret.css",
        "amiable:missing.css",
    ],
)
def test_any_other_url_stops_the_rendering(assets, url):
    with pytest.raises(AssetRefused):
        render_pdf(f'<link rel="stylesheet" href="{url}"><p>x</p>', assets_dir=assets)
    with pytest.raises(AssetRefused):
        render_pdf(f'<p>x</p><img src="{url}">', assets_dir=assets)


def test_fetcher_serves_files_inside_the_assets_folder_only(assets):
    fetcher = AssetFetcher(assets)
    response = fetcher.fetch("amiable:sub/note.css")
    assert response.read() == b"p { color: red }" and response.content_type == "text/css"
    for url in ("amiable:/etc/passwd", "amiable:../secret.css", "file://" + str(assets / "doc.css")):
        with pytest.raises(AssetRefused):
            fetcher.fetch(url)

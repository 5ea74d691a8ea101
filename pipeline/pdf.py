"""Export stage: .docx → PDF/A-2b with one headless LibreOffice run per build."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PureWindowsPath

from .errors import RatsdocError, os_fehlertext

PDFA2_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
TIMEOUT_SECONDS = 300
DEBIAN_PACKAGE = "libreoffice-writer-nogui"


class ExportFehler(RatsdocError):
    """LibreOffice is missing, failed, or produced something that is not the document."""


def soffice_path() -> str:
    """LibreOffice's soffice: on the PATH, else in its usual folders on Windows and macOS.

    The Windows installer does not put soffice on the PATH; it installs into
    %ProgramFiles%\\LibreOffice\\program (a 32-bit one into %ProgramFiles(x86)%).
    """
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in _usual_places():
        if candidate.is_file():
            return str(candidate)
    if os.name == "nt":
        hint = "Installation von https://de.libreoffice.org (nach C:\\Program Files\\LibreOffice)"
    elif sys.platform == "darwin":
        hint = "Installation von https://de.libreoffice.org (in den Ordner „Programme“)"
    else:
        hint = f"Installation unter Debian/Ubuntu: apt-get install {DEBIAN_PACKAGE}"
    raise ExportFehler(f"LibreOffice wurde nicht gefunden; für PDF wird es gebraucht. {hint}")


def windows_places(environ: dict[str, str]) -> list[PureWindowsPath]:
    """Where the LibreOffice installer for Windows puts soffice.exe (64 and 32 bit)."""
    places = []
    for variable, fallback in (("ProgramFiles", r"C:\Program Files"),
                               ("ProgramW6432", r"C:\Program Files"),
                               ("ProgramFiles(x86)", r"C:\Program Files (x86)")):
        root = PureWindowsPath(environ.get(variable) or fallback)
        places.append(root / "LibreOffice" / "program" / "soffice.exe")
    return list(dict.fromkeys(places))


def _usual_places() -> list[Path]:
    if os.name == "nt":
        return [Path(str(place)) for place in windows_places(dict(os.environ))]
    return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]


def convert_to_pdfa(documents: dict[str, bytes], expected_text: dict[str, str],
                    timeout: int = TIMEOUT_SECONDS) -> dict[str, bytes]:
    """Convert every document in one LibreOffice run; check each PDF before returning it.

    LibreOffice exits 0 even when a conversion failed, so each PDF must exist, be a PDF/A-2b,
    and contain the expected text (e.g. the Betreff).
    """
    if not documents:
        return {}
    soffice = soffice_path()
    try:
        with tempfile.TemporaryDirectory(prefix="ratsdoc-pdf-") as tmp:
            return _convert(soffice, Path(tmp), documents, expected_text, timeout)
    except OSError as exc:
        raise ExportFehler(f"PDF-Umwandlung: der temporäre Ordner ({tempfile.gettempdir()}) ist "
                           f"nicht nutzbar: {os_fehlertext(exc)}") from None


def _convert(soffice: str, folder: Path, documents: dict[str, bytes],
             expected_text: dict[str, str], timeout: int) -> dict[str, bytes]:
    sources = []
    for name, data in documents.items():
        source = folder / f"{name}.docx"
        source.write_bytes(data)
        sources.append(source)
    # Each run gets its own profile: runs sharing one lose conversions silently.
    profile = (folder / "profil").as_uri()
    command = [soffice, "--headless", "--norestore", "--nologo", "--nodefault",
               f"-env:UserInstallation={profile}", "--infilter=MS Word 2007 XML",
               "--convert-to", PDFA2_FILTER, "--outdir", str(folder / "pdf"),
               *map(str, sources)]
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ExportFehler(f"LibreOffice hat nach {timeout} s nicht geantwortet; abgebrochen") from None
    except OSError as exc:
        raise ExportFehler(f"LibreOffice ({soffice}) lässt sich nicht starten: "
                           f"{os_fehlertext(exc)}") from None
    result = {}
    for name in documents:
        pdf = folder / "pdf" / f"{name}.pdf"
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise ExportFehler(f"LibreOffice hat {name}.docx nicht in PDF umgewandelt")
        data = pdf.read_bytes()
        check_pdf(name, data, expected_text.get(name, ""))
        result[name] = data
    return result


def check_pdf(name: str, data: bytes, expected_text: str) -> None:
    """The PDF claims PDF/A-2b and carries the expected text."""
    from pypdf import PdfReader  # lazily: only PDF builds need it

    reader = PdfReader(io.BytesIO(data))
    xmp = reader.xmp_metadata
    if xmp is None or (xmp.pdfaid_part, xmp.pdfaid_conformance) != ("2", "B"):
        raise ExportFehler(f"{name}.pdf ist kein PDF/A-2b")
    if expected_text:
        text = " ".join(page.extract_text() or "" for page in reader.pages[:3])
        if _squeeze(expected_text)[:60] not in _squeeze(text):
            raise ExportFehler(f"{name}.pdf enthält den erwarteten Text nicht: „{expected_text}“")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)

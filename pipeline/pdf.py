"""Export stage: .docx → PDF/A-2b with one headless LibreOffice run per build."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import RatsdocError

PDFA2_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
TIMEOUT_SECONDS = 300
DEBIAN_PACKAGE = "libreoffice-writer-nogui"


class ExportFehler(RatsdocError):
    """LibreOffice is missing, failed, or produced something that is not the document."""


def soffice_path() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise ExportFehler(
        "LibreOffice wurde nicht gefunden; für PDF wird es gebraucht. "
        f"Installation unter Debian/Ubuntu: apt-get install {DEBIAN_PACKAGE}"
    )


def convert_to_pdfa(documents: dict[str, bytes], expected_text: dict[str, str],
                    timeout: int = TIMEOUT_SECONDS) -> dict[str, bytes]:
    """Convert every document in one LibreOffice run; check each PDF before returning it.

    LibreOffice exits 0 even when a conversion failed, so each PDF must exist, be a PDF/A-2b,
    and contain the expected text (e.g. the Betreff).
    """
    if not documents:
        return {}
    soffice = soffice_path()
    with tempfile.TemporaryDirectory(prefix="ratsdoc-pdf-") as tmp:
        folder = Path(tmp)
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
            raise ExportFehler(
                f"LibreOffice hat nach {timeout} s nicht geantwortet; abgebrochen"
            ) from None
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

"""Speed of `ratsdoc web` on the shipped data: page times and „Speichern“ → updated page.

    python benchmarks/web.py               # 15 rounds per page (about half a minute)
    python benchmarks/web.py --runden 5

The server is the real one (waitress, as `ratsdoc web` runs it) on a free loopback port, with a
copy of the shipped data and a fresh output folder; requests come from urllib, one at a time.
Each page is fetched once before measuring (imports, template compilation); the table shows
medians. „Speichern → Seite“ is the time from sending the measure form (a status change through
apply_changes: lock, validation, atomic write) to having the updated page, redirect included;
„Dokumente erzeugen“ the build after that change (catalogue and Zwischenbericht rendered, one
version archived), as the server does it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ("/", "/katalog", "/katalog?kategorie=laufend", "/katalog/3", "/katalog/neu",
         "/vorlagen/integrationsplan-2020", "/archiv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runden", type=int, default=15)
    rounds = parser.parse_args().runden

    from waitress import create_server

    from pipeline.web import create_app

    with tempfile.TemporaryDirectory(prefix="ratsdoc-web-bench-") as tmp:
        daten = Path(tmp) / "data"
        shutil.copytree(ROOT / "data", daten)
        app = create_app(daten, ROOT / "templates" / "docx", Path(tmp) / "output", pdf=False)
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

        def get(path: str) -> str:
            with opener.open(base + path, timeout=60) as response:
                return response.read().decode("utf-8")

        def timed(action) -> float:
            start = time.perf_counter()
            action()
            return time.perf_counter() - start

        # one build first, so that the overview and the archive show versions
        token = re.search(r'name="csrf_token" value="([^"]+)"', get("/")).group(1)
        opener.open(base + "/erzeugen", urllib.parse.urlencode({"csrf_token": token}).encode(),
                    timeout=300).read()
        results: dict[str, list[float]] = {}
        for path in PAGES:
            get(path)
            results[path] = [timed(lambda p=path: get(p)) for _ in range(rounds)]
        saves, builds = [], []
        for index in range(rounds):
            page = get("/katalog/3")
            stand = re.search(r'name="stand" value="([^"]+)"', page).group(1)
            fields = {"csrf_token": token, "stand": stand, "status": f"Wird fortgesetzt ({index})",
                      "kategorie": "", "datum": "", "notiz": "", "fortschritt": ""}
            body = urllib.parse.urlencode(fields).encode()

            def save(data=body) -> None:
                with opener.open(base + "/katalog/3", data, timeout=60) as response:
                    assert "gespeichert" in response.read().decode("utf-8")

            saves.append(timed(save))

            def erzeugen() -> None:
                form = urllib.parse.urlencode({"csrf_token": token}).encode()
                opener.open(base + "/erzeugen", form, timeout=300).read()

            builds.append(timed(erzeugen))  # after one status change: catalogue and report
        # the server thread is a daemon: it ends with this process

    all_pages = [t for times in results.values() for t in times]
    print(f"Runden: {rounds} je Seite; Median in Millisekunden\n")
    print("| Seite | Median | langsamste |")
    print("|---|---:|---:|")
    for path, times in results.items():
        print(f"| `{path}` | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms |")
    print(f"| alle Seiten | {statistics.median(all_pages) * 1000:.0f} ms | "
          f"{max(all_pages) * 1000:.0f} ms |")
    print(f"| „Speichern“ → aktualisierte Seite (Maßnahme 3) | {statistics.median(saves) * 1000:.0f} ms"
          f" | {max(saves) * 1000:.0f} ms |")
    print(f"| „Dokumente erzeugen“ nach einer Statusänderung | "
          f"{statistics.median(builds) * 1000:.0f} ms | {max(builds) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()

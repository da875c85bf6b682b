"""Profile the demo data and take ``sample/report_screenshot.png`` of its report.html.

Run from the repository root (needs the ``viz`` extra and Debian's ``chromium``)::

    python examples/make_report_screenshot.py [output_folder]

The profile is written to ``output_folder`` (default: a temporary folder); the
screenshot is the top of ``report.html`` in a 1366 px wide headless Chromium window,
about what a laptop shows.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hvrt import HVRTPartitioner, PartitionProfiler
from hvrt.datasets import make_demo_data

SCREENSHOT = Path(__file__).resolve().parent.parent / "sample" / "report_screenshot.png"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--hide-scrollbars",
    "--window-size=1366,1500",
]


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="hvrt-report-"))
    X, y = make_demo_data(n_samples=20_000, random_state=0)
    labels = HVRTPartitioner(max_leaf_nodes=200, random_state=0).fit(X, y).labels_
    result = PartitionProfiler(data=X, partition_labels=labels, output_path=output).run_profiling()
    print(result)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found; install it (apt-get install -y chromium) to take the screenshot")
        return 1
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hvrt-chromium-") as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={SCREENSHOT}",
                (output / "report.html").resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {SCREENSHOT} from {output / 'report.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

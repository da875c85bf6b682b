"""The HTML skeleton and stylesheet of ``report.html``, kept as Python strings.

A Python module (rather than a ``.html`` file) ships in the wheel with no package-data
configuration. Placeholders use :class:`string.Template` syntax (``$name``); every value
substituted into them has already been escaped by the renderer.
"""

from __future__ import annotations

from string import Template

STYLE = """
:root { --ink: #1d2733; --muted: #5b6877; --line: #d9dee5; --accent: #1f5fa8; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); }
header .wrap { padding-top: 18px; padding-bottom: 14px; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 10px; padding-bottom: 6px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 18px 0 8px; }
.sub { color: var(--muted); margin: 0; }
nav { margin-top: 10px; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 18px 22px; margin: 20px 0; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; margin: 0; }
.facts div { background: var(--bg); border-radius: 6px; padding: 8px 12px; }
.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.facts dd { margin: 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.table-scroll { overflow-x: auto; max-height: 460px; overflow-y: auto; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; min-width: 50%; }
th, td { padding: 5px 12px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td.text { max-width: 22em; overflow: hidden; text-overflow: ellipsis; }
thead th { position: sticky; top: 0; background: #eef1f5; font-weight: 600; }
tbody tr:hover { background: #f3f6fa; }
figure { margin: 14px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.note { background: #fff8e1; border: 1px solid #f0d48a; border-radius: 6px; padding: 10px 14px; }
code { background: #eef1f5; padding: 1px 5px; border-radius: 4px; font-size: 13px; }
.explain { color: var(--muted); font-size: 14px; max-width: 900px; }
footer { color: var(--muted); font-size: 13px; padding: 8px 0 30px; }
"""

PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>$title</title>
<style>$style</style>
</head>
<body>
<header><div class="wrap">
<h1>$title</h1>
<p class="sub">$subtitle</p>
<nav>$nav</nav>
</div></header>
<main class="wrap">
$notes
$sections
</main>
<footer class="wrap">$footer</footer>
</body>
</html>
"""
)

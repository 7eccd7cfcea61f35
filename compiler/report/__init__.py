"""`tailgen report`: what a person reads at a glance — who can reach what, and why.

`site_report` collects the data (access matrix with each verdict's site.yaml line, SSH, DNS,
exit nodes, and a review's gains and losses); `render` lays it out as one self-contained HTML
page. Both are pure; the CLI reads the files and writes the page.
"""

from __future__ import annotations

from compiler.report.collect import site_report
from compiler.report.from_matrix import matrix_report
from compiler.report.model import Report
from compiler.report.page import render

__all__ = ["Report", "matrix_report", "render", "site_report"]

"""`tailgen report`: what a person reads at a glance — who can reach what, and why.

`site_report` collects the data (access matrix with each verdict's site.yaml line, SSH, DNS,
exit nodes, and a review's gains and losses); `render` lays it out as one self-contained HTML
page, and `page_parts` yields it in pieces (the matrix row by row, each row's cells computed
when it is reached) for a writer that streams. All are pure; the CLI reads the files and
writes the page.
"""

from __future__ import annotations

from compiler.report.collect import site_report
from compiler.report.from_matrix import matrix_report
from compiler.report.model import Report
from compiler.report.page import page_parts, render

__all__ = ["Report", "matrix_report", "page_parts", "render", "site_report"]

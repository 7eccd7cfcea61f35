"""Import every real policy and every accepted control-plane case; print the counts and the
share of rules the model holds (`python tests/adopt_corpus.py`, from the repository root).

Shared by tests/test_adopt_real.py, which asserts what this prints.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: make `compiler` and `tests` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]

from compiler.adopt import Adoption, import_policy
from compiler.errors import TailgenError


@dataclass
class Outcome:
    name: str
    adoption: Adoption | None
    error: str = ""
    text: str = ""  # the policy as imported

    @property
    def kind(self) -> str:
        if self.adoption is None:
            return "refused"
        return "zero difference" if self.adoption.proof.zero else "named difference"


def import_one(name: str, text: str, devices: dict[str, Any] | None = None) -> Outcome:
    try:
        return Outcome(name, import_policy(text, name, devices), text=text)
    except TailgenError as exc:
        return Outcome(name, None, str(exc).splitlines()[0], text)


def real_policies(directory: Path) -> Iterator[Outcome]:
    for path in sorted(directory.glob("*.*json")):
        yield import_one(path.name, path.read_bytes().decode("utf-8"))


def saas_cases(cases_file: Path, stride: int = 1) -> Iterator[Outcome]:
    """The accepted cases (`cases.jsonl`, or the vendored `cases.jsonl.gz`)."""
    from datafiles import read_text

    lines = read_text(cases_file).splitlines()
    accepted = [c for c in map(json.loads, lines) if c["api_response_code"] == 200]
    for case in accepted[::stride]:
        policy = case["full_policy"]
        text = policy if isinstance(policy, str) else json.dumps(policy)
        yield import_one(case["file"], text, case["topology"])


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    kinds = ("zero difference", "named difference", "refused")
    return {k: sum(o.kind == k for o in outcomes) for k in kinds}


def share_table(outcomes: list[Outcome]) -> list[str]:
    """Per file: rules in the model vs under `policy:`, and the overall share."""
    rows, total_m, total_v = [], 0, 0
    for o in outcomes:
        if o.adoption is None:
            rows.append(f"{o.name:70} refused: {o.error[:90]}")
            continue
        m, v = o.adoption.share.rules()
        total_m, total_v = total_m + m, total_v + v
        rows.append(f"{o.name:70} {m:3} model {v:3} policy: {o.adoption.share.percent:5.1f} %")
    overall = 100.0 * total_m / (total_m + total_v) if total_m + total_v else 100.0
    rows.append(f"{'overall':70} {total_m:3} model {total_v:3} policy: {overall:5.1f} %")
    return rows


def main() -> None:
    shared = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared"
    )
    real = list(real_policies(shared / "testdata" / "policies"))
    print("\n".join(share_table(real)))
    print("real policies:", counts(real))
    saas = list(saas_cases(shared / "testdata" / "saas" / "cases.jsonl"))
    print("accepted control-plane cases:", counts(saas))
    modelled = sum(o.adoption.share.rules()[0] for o in saas if o.adoption)
    verbatim = sum(o.adoption.share.rules()[1] for o in saas if o.adoption)
    print(f"  rules in the model: {modelled} of {modelled + verbatim}")


if __name__ == "__main__":
    main()

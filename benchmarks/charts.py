"""Draw the benchmark figures of `benchmarks/results/*.json` as PNG charts for the docs.

`python -m benchmarks.charts` (run by `make bench` after measuring) writes
`docs/performance/*.png`; the Performance page shows them. A result file that is missing is
left out of its chart, so a partial `make bench` still draws what it measured.
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on CI machines or servers
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
OUT = ROOT / "docs" / "performance"

# Goals the result files do not carry themselves (the git clone goals are the docs' own).
GIT_GOALS = {"first": 0.5, "second": 0.8}

# (label, measured, goal) rows of one chart.
Row = tuple[str, float, float]


def load(results: Path, name: str) -> dict | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def goal_value(goal: str | float) -> float:
    """`">= 0.9"` or `0.9` -> 0.9."""
    return float(str(goal).lstrip("<>= "))


def throughput_rows(results: Path) -> list[Row]:
    """Our throughput over the floor's in the same run: higher is better."""
    rows: list[Row] = []
    for name, size in (("exports", "300k"), ("exports_full", "1M")):
        if result := load(results, name):
            goals = result["goals"]
            for label, key in (
                (f"CSV export, {size}", "csv_vs_floor"),
                (f"CSV export, {size}, served", "served_csv_vs_floor"),
                (f"JSON + created_by export, {size}", "json_include_vs_floor"),
                (f"JSON + created_by export, {size}, served", "served_json_include_vs_floor"),
            ):
                if key in result:  # served figures: measured since #24
                    rows.append((label, result[key], goal_value(goals[key])))
    if result := load(results, "skills_zip"):
        rows.append(
            (
                "collection zip, 100 MB",
                result["throughput_ratio_vs_floor"],
                goal_value(result["throughput_goal"]),
            )
        )
    if result := load(results, "skill_exports"):
        rows.append(
            (
                "marketplace zip export",
                result["throughput_vs_zip_cli"],
                goal_value(result["throughput_goal"]),
            )
        )
    if result := load(results, "git"):
        rows.append(("git clone, first", result["first_clone_ratio_vs_floor"], GIT_GOALS["first"]))
        rows.append(
            ("git clone, second", result["second_clone_ratio_vs_floor"], GIT_GOALS["second"])
        )
    return rows


def growth_rows(results: Path) -> list[Row]:
    """A large case's cost over a small one's: lower is better (flat is 1.0)."""
    rows: list[Row] = []
    for name, size in (("api_list", "300k"), ("api_list_full", "1M")):
        if result := load(results, name):
            page = result["page_size"]
            rows.append((f"list, 100 vs 1 per page ({size} run)", page["ratio"], page["goal"]))
            for key, label in (("numbered_page", "numbered page"), ("keyset_page", "keyset page")):
                figure = result[key]
                rows.append((f"{label}, {size} vs 200 rows", figure["ratio"], figure["goal"]))
    if result := load(results, "api_list"):
        document = result["document"]
        rows.append(
            (
                "organization document, +20k members",
                document["after_bytes"] / document["before_bytes"],
                document["bound_bytes"] / document["before_bytes"],
            )
        )
    for name, size in (("exports", "300k"), ("exports_full", "1M")):
        if result := load(results, name):
            rows.append(
                (
                    f"export worker memory, {size} vs 10k",
                    result["peak_memory_n_vs_10k"],
                    goal_value(result["goals"]["peak_memory_n_vs_10k"]),
                )
            )
    return rows


def bar_chart(rows: list[Row], title: str, xlabel: str, path: Path, better: str) -> None:
    labels = [label for label, _, _ in rows][::-1]
    values = [value for _, value, _ in rows][::-1]
    goals = [goal for _, _, goal in rows][::-1]
    met = [
        value >= goal if better == "higher" else value <= goal
        for value, goal in zip(values, goals, strict=True)
    ]
    figure, axes = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.4))
    positions = range(len(rows))
    axes.barh(positions, values, color=["#3f51b5" if ok else "#e53935" for ok in met], height=0.6)
    axes.scatter(goals, positions, marker="|", s=400, color="black", zorder=3, label="goal")
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {value:.2f}x", va="center", fontsize=9)
    axes.set_yticks(list(positions), labels, fontsize=9)
    axes.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlim(0, max(values + goals) * 1.18)
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=11)
    axes.legend(loc="lower right", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)


def load_chart(results: Path, path: Path) -> bool:
    result = load(results, "load")
    if result is None:
        return False
    kinds = sorted(result["kinds"].items(), key=lambda item: item[1]["p50_ms"])
    labels = [kind for kind, _ in kinds]
    figure, axes = plt.subplots(figsize=(9, 0.4 * len(kinds) + 1.4))
    height = 0.27
    for offset, (key, color) in enumerate(
        (("p50_ms", "#3f51b5"), ("p95_ms", "#7986cb"), ("p99_ms", "#c5cae9"))
    ):
        axes.barh(
            [index + (offset - 1) * height for index in range(len(kinds))],
            [figures[key] for _, figures in kinds],
            height=height,
            color=color,
            label=key.removesuffix("_ms"),
        )
    axes.set_yticks(range(len(kinds)), labels, fontsize=9)
    axes.set_xlabel("milliseconds")
    axes.set_title(
        f"make load: {result['requests']} requests, {result['requests_per_second']:.1f}/s, "
        f"{result['users']} users",
        fontsize=11,
    )
    axes.legend(loc="lower right", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
    return True


def draw(results: Path = RESULTS, out: Path = OUT) -> list[str]:
    """Draw every chart the result files in `results` allow into `out`; the names written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if rows := throughput_rows(results):
        bar_chart(
            rows,
            "Throughput against a floor measured in the same run",
            "ours / floor (higher is better; 1.0 = as fast as the floor)",
            out / "throughput.png",
            better="higher",
        )
        written.append("throughput.png")
    if rows := growth_rows(results):
        bar_chart(
            rows,
            "Cost of the large case over the small one",
            "large / small (lower is better; 1.0 = flat)",
            out / "growth.png",
            better="lower",
        )
        written.append("growth.png")
    if load_chart(results, out / "load.png"):
        written.append("load.png")
    return written


def main() -> int:
    written = draw()
    print(f"charts: {', '.join(written) or 'none (no results)'} in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A marketplace of 20 plugins x 10 skills exported as a zip, next to `zip -r` of the same tree.

Both run in this process's run: the export job (layout, blob reads, deterministic zip, storage)
and the CLI (`zip -qr -6`, its default level) over the same files laid out on disk, each the
best of `ROUNDS` (the machine is shared and noisy). The figure is the export's throughput as a
fraction of the CLI's (goal >= 0.5). Peak memory is the job's Python allocation peak
(tracemalloc) at two marketplace sizes, to show it does not grow with the archive.
"""

import json
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchmarks.common import save_results, setup

PLUGINS, SKILLS_PER_PLUGIN, FILE_BYTES = 20, 10, 20_000
ROUNDS = 3


def _registry(tenant, plugins: int, prefix: str):
    import os

    from skills import services

    marketplace_plugins = []
    for p in range(plugins):
        collection = services.create_collection(
            tenant=tenant,
            actor=None,
            name=f"{prefix}c{p}",
            root_path=f".claude/{prefix}c{p}",
        )
        files = {}
        for s in range(SKILLS_PER_PLUGIN):
            name = f"{prefix}p{p}-s{s}"
            files[f"{name}/SKILL.md"] = (
                f"---\nname: {name}\ndescription: Skill {s} of plugin {p}.\n---\n# {name}\n"
            ).encode()
            files[f"{name}/reference.md"] = os.urandom(FILE_BYTES // 2).hex().encode()
            files[f"{name}/scripts/tool.py"] = os.urandom(FILE_BYTES // 2)
        version = services.create_version(collection, actor=None, files=files)
        marketplace_plugins.append(
            services.create_plugin(
                tenant=tenant,
                actor=None,
                name=f"{prefix}plugin-{p}",
                skills=version.skills.all(),
                version="1.0.0",
            )
        )
    return services.create_marketplace(
        tenant=tenant,
        actor=None,
        skill_plugins=marketplace_plugins,
        name=f"{prefix}market",
        owner={"name": "Bench"},
    )


def _export(tenant, marketplace, *, trace: bool = False) -> tuple[float, int, int]:
    """One export job: its seconds, its Python allocation peak (with `trace`, else 0) and the
    zip's size. Tracing slows Python code down, so timed runs are not traced."""
    from exports.models import SkillExport
    from exports.skill_exports import services as skill_exports

    export = skill_exports.create_skill_export(
        tenant=tenant, member=None, target="marketplace", subject=marketplace
    )
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    outcome = skill_exports.run(str(export.pk))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    export = SkillExport.objects.select_related("file").get(pk=export.pk)
    assert outcome == "done" and export.status == "completed", (outcome, export.error)
    return elapsed, peak, export.file.file_size


def _measure(tenant, marketplace) -> tuple[float, int, int]:
    """The fastest of `ROUNDS` untraced exports, the peak of a traced one, the zip's size."""
    seconds, _, size = min(_export(tenant, marketplace) for _ in range(ROUNDS))
    return seconds, _export(tenant, marketplace, trace=True)[1], size


def _zip_cli(marketplace) -> tuple[float, int] | None:
    from exports.skill_exports import bundles

    if shutil.which("zip") is None:
        return None
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "tree"
        for source in bundles.marketplace_bundle(marketplace):
            target = root / source.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"".join(source.open_chunks()))
        archive = Path(directory) / "out.zip"
        times = []
        for _ in range(ROUNDS):
            archive.unlink(missing_ok=True)
            started = time.perf_counter()
            subprocess.run(["zip", "-qr", "-6", str(archive), "."], cwd=root, check=True)
            times.append(time.perf_counter() - started)
        return min(times), archive.stat().st_size


def run() -> dict:
    setup()
    from organizations.services import create_api_key

    key, _ = create_api_key(organization_slug="bench-skill-exports")
    tenant = key.tenant
    small = _registry(tenant, PLUGINS // 4, "s")
    full = _registry(tenant, PLUGINS, "f")
    small_time, small_peak, _ = _measure(tenant, small)
    full_time, full_peak, full_size = _measure(tenant, full)
    cli = _zip_cli(full)
    figures = {
        "marketplace": f"{PLUGINS} plugins x {SKILLS_PER_PLUGIN} skills x 3 files",
        "export_seconds": round(full_time, 3),
        "export_zip_bytes": full_size,
        "zip_cli_seconds": round(cli[0], 3) if cli else None,
        "zip_cli_bytes": cli[1] if cli else None,
        "export_vs_cli_time_ratio": round(full_time / cli[0], 2) if cli else None,
        "throughput_vs_zip_cli": round(cli[0] / full_time, 2) if cli else None,
        "throughput_goal": ">= 0.5",
        "rounds": ROUNDS,
        "peak_python_memory_bytes": {"5_plugins": small_peak, "20_plugins": full_peak},
        "peak_memory_ratio_20_vs_5": round(full_peak / small_peak, 2),
        "small_export_seconds": round(small_time, 3),
    }
    print(json.dumps(figures, indent=2))
    save_results("skill_exports", figures)
    return figures


if __name__ == "__main__":
    run()

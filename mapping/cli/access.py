"""``bordermap access`` and ``bordermap surge``: travel-time catchments of the posts, and a
displacement surge sent to the posts people reach quickest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ..access.catchments import access_indicators
from ..access.files import write_access
from ..access.routing import Origin, origin_around, origin_from_file, parse_lon_lat
from ..access.run import run_surge
from ..access.saved import save_surge, saved_surges
from ..access.scenario import CURVES, SurgeError, SurgeScenario
from ..access.settings import SEASONS, TRAVEL_MODES
from ..access.surge import SurgeResult, column_labels
from ..derived import access_surface
from ..i18n import t
from ..i18n.quantities import format_quantity
from ..scoring.explain import label
from ..scoring.profile import load_profile
from ..tables import write_table
from .common import EXIT_OK, OUT_TYPE, Context, common, counting_bar, echo, operator
from .options import AS_USER, FULL_PRECISION, MinutesList, ModeMix, Number
from .protected import file_viewers, log_written, travel_file, written_run

PROFILE = click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path),
                       help="Profile whose [access] table sets speeds and times "
                            "(default: profiles/default.toml).")


def _step_bar(ctx: Context) -> Callable[[str], None]:
    return ctx.progress(3, "cli.step.access")


@click.command("access")
@click.option("--mode", type=click.Choice(TRAVEL_MODES), help="Travel mode (default: the profile's).")
@click.option("--minutes", type=MinutesList(),
              help="Travel times in minutes, e.g. 60,120 (default: the profile's).")
@click.option("--season", type=click.Choice(SEASONS), help="dry or wet season (default: the profile's).")
@PROFILE
@click.option("--out", type=OUT_TYPE, help="Write catchments.gpkg (isochrones, quickest-post areas), "
                                           "times.tif (minutes, quickest post) or a .csv/.xlsx table; "
                                           "areas and rasters need --full-precision (logged).")
@FULL_PRECISION
@AS_USER
@common
def access_cmd(ctx: Context, mode: str | None, minutes: tuple[float, ...] | None, season: str | None,
               profile_path: Path | None, out: Path | None, full_precision: bool, as_user: str | None) -> int:
    """Travel-time catchments of every post: people within each time, people for whom the
    post is the quickest, time from the nearest town. The travel-time areas and raster of --out
    show where restricted crossings let people across: written with --full-precision only, by a
    user cleared for it; every file is logged in the audit log."""
    settings = load_profile(profile_path).access
    changes: dict = {}
    if minutes:
        changes["minutes"] = list(minutes)
    if season:
        changes["season"] = season
    settings = settings.with_changes(**changes) if changes else settings
    mode = mode or settings.mode
    store = ctx.store()
    if out:  # refused before any work: who may write it, and what
        viewer, writer = file_viewers(ctx, as_user, full_precision)
        how = travel_file(ctx, out, writer)
    posts = store.read("posts")
    if posts is None or posts.empty:
        ctx.say("cli.access.no_posts", err=True)
        return 1
    surface = access_surface(store, store.read, settings, mode, _step_bar(ctx))
    bar = counting_bar(ctx, "cli.step.catchments")
    total = len(surface.post_ids)
    done = [0]

    def advance(step: int) -> None:
        done[0] += step
        bar(done[0], total)

    table = access_indicators(surface, settings, store.read("settlements"), advance)
    names = posts.set_index(posts["post_id"].astype(str))
    table.insert(0, "name", names["name"].reindex(table.index.astype(str)).to_numpy())
    table.insert(1, "iso3", names["iso3"].reindex(table.index.astype(str)).to_numpy())
    _print_table(ctx, table)
    if out:
        done[0] = 0
        write_access(out, surface, settings, table, posts, ctx.lang, advance)
        ctx.say("cli.access.written", out=str(out), posts=total)
        log_written(ctx, viewer, "access", out, how)
    return EXIT_OK


def _print_table(ctx: Context, table: pd.DataFrame) -> None:
    columns = [c for c in table.columns if c not in ("name", "iso3")]
    echo(" | ".join([t("cli.access.post", ctx.lang), *(label(c, ctx.lang) for c in columns)]))
    for _, row in table.iterrows():
        values = [format_quantity(row[c], "minutes" if c.startswith("town_min_") else "persons", ctx.lang)
                  for c in columns]
        echo(" | ".join([f"{row['name']} ({row['iso3']})", *values]))


def _origin(text: str, radius_km: float) -> Origin:
    """``LON,LAT`` (with ``radius_km``) or a vector file of areas or places."""
    path = Path(text)
    if path.exists():
        return origin_from_file(path)
    return origin_around(*parse_lon_lat(text), radius_km)


@click.command("surge")
@click.option("--origin", help="Where people leave from: LON,LAT (with --radius-km) or a file of areas "
                               "or places (GeoJSON, GeoPackage, KML, shapefile).")
@click.option("--radius-km", type=Number(0, 1000, unit="km"), default=10, show_default=True,
              help="Radius of the origin around LON,LAT (km).")
@click.option("--people", type=Number(0, 100_000_000, integer=True), help="People displaced.")
@click.option("--days", type=Number(1, 3650, integer=True), help="Days over which they leave.")
@click.option("--curve", type=click.Choice(CURVES), help="Arrival curve: even, early or peak.")
@click.option("--mode-mix", type=ModeMix(),
              help="Shares of travel modes, e.g. foot=0.6,motorbike=0.3,vehicle=0.1.")
@click.option("--unofficial-share", type=Number(0, 1), help="Share who cross at unofficial crossings (0–1).")
@click.option("--choice-k", type=Number(1, 10_000, integer=True),
              help="Split people over the k quickest sites (1: all to the quickest).")
@click.option("--name", help="The scenario's name (kept with --save).")
@click.option("--save", is_flag=True, help="Save the scenario in the store under --name.")
@click.option("--saved", "saved_name", help="Run a scenario saved in the store (other options change it).")
@PROFILE
@click.option("--out", type=OUT_TYPE, help="Write the table (one row per post and day) as .csv or .xlsx "
                                           "(unofficial crossings by grid cell unless --full-precision; "
                                           "logged).")
@FULL_PRECISION
@AS_USER
@common
def surge_cmd(ctx: Context, origin: str | None, radius_km: float, people: int | None, days: int | None,
              curve: str | None, mode_mix: dict[str, float] | None, unofficial_share: float | None,
              choice_k: int | None, name: str | None, save: bool, saved_name: str | None,
              profile_path: Path | None, out: Path | None, full_precision: bool, as_user: str | None) -> int:
    """Simulate a displacement surge: arrivals, processing and queues per post and day, and the
    posts that saturate first. The table of --out shows unofficial crossings merged by grid
    cell unless --full-precision, by a user cleared for it; every file is logged in the audit log."""
    store = ctx.store()
    if out:  # refused before any work
        viewer, writer = file_viewers(ctx, as_user, full_precision)
    base, where = SurgeScenario(), None
    if saved_name:
        found = saved_surges(store).get(saved_name)
        if found is None:
            raise SurgeError("no_saved", name=saved_name, known=", ".join(saved_surges(store)) or "-")
        base, where = found.scenario, found.origin
    if origin:
        where = _origin(origin, radius_km)
    if where is None:
        raise SurgeError("no_origin")
    given: dict[str, Any] = {"people": people, "days": days, "curve": curve, "mode_mix": mode_mix,
             "unofficial_share": unofficial_share, "choice_k": choice_k, "name": name}
    scenario = replace(base, **{key: value for key, value in given.items() if value is not None})
    run = run_surge(store, store.read, load_profile(profile_path).access, scenario, where, _step_bar(ctx))
    result = run.result
    if save:
        save_surge(store, scenario, where, operator())
        ctx.say("cli.surge.saved", name=scenario.name)
    _print_surge(ctx, scenario, result, where)
    if out:
        shown, how = written_run(ctx, run, writer)
        daily = shown.result.daily
        write_table(daily.rename(columns=column_labels(ctx.lang)), out, ctx.lang, index=False)
        ctx.say("cli.surge.written", out=str(out), rows=len(daily))
        log_written(ctx, viewer, "surge", out, how)
    return EXIT_OK


def _print_surge(ctx: Context, scenario: SurgeScenario, result: SurgeResult, where: Origin) -> None:
    lang = ctx.lang
    ctx.say("cli.surge.summary", people=scenario.people, days=scenario.days, origin=where.label)
    summary = result.summary[result.summary["arrivals"] > 0].sort_values("arrivals", ascending=False)
    for _, row in summary.iterrows():
        if row["site_kind"] == "post":
            saturated = (t("cli.surge.saturates", lang, day=int(row["saturation_day"]))
                         if pd.notna(row["saturation_day"]) else t("cli.surge.never_saturates", lang))
            ctx.say("cli.surge.post_line", name=row["name"],
                    arrivals=format_quantity(row["arrivals"], "persons", lang),
                    capacity=format_quantity(row["capacity_per_day"], "per_day", lang), saturated=saturated,
                    queue=format_quantity(row["peak_queue"], "persons", lang))
        else:
            ctx.say("cli.surge.unofficial_line", name=row["name"],
                    arrivals=format_quantity(row["arrivals"], "persons", lang))
    unreached = sum(result.unreached.values())
    if unreached:
        ctx.say("cli.surge.unreached", people=format_quantity(unreached, "persons", lang))
    if result.first_saturated:
        ctx.say("cli.surge.first_saturated", posts=", ".join(result.first_saturated[:5]))

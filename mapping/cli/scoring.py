"""``bordermap score | ahp | sensitivity | shortlist``: rank posts, derive weights, test the
ranking's robustness, and pick the posts that fit the budget."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from pathlib import Path

import click
import pandas as pd

from ..i18n import format_number, t
from ..scoring.ahp import ahp_from_csv
from ..scoring.explain import label, results_table
from ..scoring.methods import METHODS
from ..scoring.pipeline import layers_from_store, rank_store, read_indicator_table, select
from ..scoring.profile import Profile, ProfileError, load_profile
from ..scoring.rank import Ranking, score
from ..scoring.selection import BORDER_COLUMN, Selection
from ..scoring.sensitivity import monte_carlo, one_at_a_time
from ..scoring.shortlist import shortlist
from ..tables import write_table
from .common import EXIT_OK, FORMAT_OPT, OUT_TYPE, Context, common, counting_bar, echo
from .options import BUDGET, CONCENTRATION, FULL_PRECISION, POSTS, SAMPLES, SEED
from .protected import log_written, written_ranking
from .selection import limit_options, limits, selection, selection_options


def profile_options(command: Callable) -> Callable:
    """``--profile``, ``--method``, ``--indicators`` and ``--reference-date``."""
    options = [
        click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Criteria profile (TOML). Default: profiles/default.toml."),
        click.option("--method", type=click.Choice(METHODS), help="Override the profile's method."),
        click.option("--indicators", "indicators_path",
                     type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Score a precomputed indicator table (CSV/XLSX) instead of the store."),
        click.option("--reference-date", type=click.DateTime(["%Y-%m-%d"]),
                     help="Date that ages assessments and incidents (default: today)."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def _selected(ctx: Context, table: pd.DataFrame, chosen: Selection, need_borders: bool) -> pd.DataFrame:
    """A table read from a file, reduced to ``chosen``; the border each post serves comes from
    its ``border_id`` column, else (when a border is asked for) from the store's layers."""
    if chosen.everything and not need_borders:
        return table
    layers = None
    if BORDER_COLUMN not in table and (chosen.borders or need_borders):
        layers = layers_from_store(ctx.store())
    return select(table, chosen, layers)


def _ranking(ctx: Context, profile_path: Path | None, method: str | None,
             indicators_path: Path | None, reference_date: dt.datetime | None,
             chosen: Selection | None = None, need_borders: bool = False) -> Ranking:
    """The ranking of the selected posts (every post by default), normalised over them."""
    chosen = chosen or Selection()
    profile: Profile = load_profile(profile_path)
    if method:
        profile = profile.with_method(method)
    if profile.ahp is not None and not profile.ahp.consistent:
        ctx.say("ahp.inconsistent", err=True, cr=round(profile.ahp.consistency_ratio, 3))
    if indicators_path:
        ranking = score(_selected(ctx, read_indicator_table(indicators_path), chosen, need_borders), profile)
    else:
        day = reference_date.date() if reference_date else None
        ranking = rank_store(ctx.store(), profile, day, chosen)[1]
    if ranking.empty_criteria:
        ctx.say("profile.empty_criteria", err=True,
                criteria=", ".join(label(c, ctx.lang) for c in ranking.empty_criteria))
    if ranking.table.empty:
        raise ProfileError("nothing_ranked")
    return ranking


@click.command("score")
@profile_options
@selection_options
@click.option("--out", type=OUT_TYPE, help="Write the full ranking to a .csv or .xlsx file.")
@click.option("--top", type=POSTS, help="How many posts to print (default: the profile's top_n).")
@FULL_PRECISION
@common
def score_cmd(ctx: Context, profile_path, method, indicators_path, reference_date,
              countries: tuple[str, ...], borders: tuple[str, ...],
              out: Path | None, top: int | None, full_precision: bool) -> int:
    """Rank the posts for rehabilitation, with each rank explained (--country, --border: rank
    only the posts of some countries or borders, normalised over them)."""
    ranking = _ranking(ctx, profile_path, method, indicators_path, reference_date,
                       selection(countries, borders))
    table = results_table(ranking, ctx.lang)
    if out:
        written, how = (ranking, None) if indicators_path else written_ranking(ctx, ranking, full_precision)
        write_table(results_table(written, ctx.lang), out, ctx.lang)
        if how is not None:
            log_written(ctx, ctx.viewer(), "score", out, how)
        ctx.say("cli.score_written", out=str(out), posts=len(ranking.table))
    shown = ranking.table.head(top or ranking.profile.top_n)
    for post, row in table.loc[shown.index].iterrows():
        name = row.get("name") or post
        echo(f"{row['rank']:>3}  {format_number(row['score'], ctx.lang, 3):>6}  {name} "
                   f"({row.get('iso3') or '-'})  {row['explanation']}")
    if "excluded" in table:
        for post, row in table[table["excluded"].notna()].iterrows():
            ctx.say("cli.excluded", post=row.get("name") or post, reason=row["excluded"])
    return EXIT_OK


@click.command("ahp")
@click.argument("matrix", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@FORMAT_OPT
@common
def ahp_cmd(ctx: Context, matrix: Path, output: str) -> int:
    """Weights from a pairwise comparison matrix (CSV; cells like 3 or 1/3)."""
    result = ahp_from_csv(matrix)
    if output == "json":
        echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        for name, weight in result.weights.items():
            echo(f"{name:<28} {format_number(weight, ctx.lang, 3)}")
        ctx.say("cli.ahp_consistency", lambda_max=round(result.lambda_max, 3),
                cr=round(result.consistency_ratio, 3))
    if not result.consistent:
        ctx.say("ahp.inconsistent", err=True, cr=round(result.consistency_ratio, 3))
    return EXIT_OK


@click.command("sensitivity")
@profile_options
@selection_options
@click.option("--samples", type=SAMPLES, default=1000, show_default=True,
              help="Monte Carlo samples (1 to 1,000,000).")
@click.option("--top", "top_n", type=POSTS, help="Size of the top (default: the profile's top_n).")
@click.option("--concentration", type=CONCENTRATION, default=50.0, show_default=True,
              help="Dirichlet concentration (0.001 to 1,000,000): higher keeps weights closer to the "
                   "profile.")
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--out", type=OUT_TYPE, help="Write rank intervals (.csv/.xlsx).")
@click.option("--sweep-out", type=OUT_TYPE, help="Write the one-at-a-time weight sweep.")
@common
def sensitivity_cmd(ctx: Context, profile_path, method, indicators_path, reference_date,
                    countries: tuple[str, ...], borders: tuple[str, ...], samples: int,
                    top_n: int | None, concentration: float, seed: int,
                    out: Path | None, sweep_out: Path | None) -> int:
    """How stable is the ranking when the weights move? Rank intervals and P(top N)."""
    ranking = _ranking(ctx, profile_path, method, indicators_path, reference_date,
                       selection(countries, borders))
    profile = ranking.profile
    norms = ranking.table[[f"norm:{c}" for c in profile.names]].to_numpy()
    ids = list(ranking.table.index)
    top_n = top_n or profile.top_n
    result = monte_carlo(norms, profile.benefit, profile.weights, profile.method, samples=samples,
                         concentration=concentration, top_n=top_n, seed=seed,
                         progress=counting_bar(ctx, "cli.step.sensitivity"))
    frame = result.to_frame(ids)
    frame.insert(0, "rank", ranking.table["rank"].to_numpy())
    if "name" in ranking.table:
        frame.insert(0, "name", ranking.table["name"].to_numpy())
    if out:
        write_table(frame, out, ctx.lang)
    if sweep_out:
        sweep = one_at_a_time(norms, profile.benefit, profile.weights, profile.method,
                              profile.names, ids=ids)
        write_table(sweep, sweep_out, ctx.lang, index=False)
    ctx.say("cli.sensitivity_header", samples=samples, top=top_n, concentration=concentration)
    for post, row in frame.head(top_n).iterrows():
        echo(t("cli.sensitivity_row", ctx.lang, rank=int(row["rank"]),
                     name=row.get("name") or post, low=int(row["rank_p05"]),
                     high=int(row["rank_p95"]), p=round(float(row["p_top_n"]) * 100)))
    return EXIT_OK


@click.command("shortlist")
@profile_options
@selection_options
@click.option("--budget", type=BUDGET, help="Budget in USD (more than 0, at most 10^12).")
@click.option("--top", "top_n", type=POSTS, help="At most this many posts.")
@limit_options
@click.option("--scores", "scores_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A table with id, iso3, score and rehab_cost_usd (e.g. from bordermap score --out).")
@click.option("--out", type=OUT_TYPE, required=True, help="Write the shortlist (.csv/.xlsx).")
@FULL_PRECISION
@common
def shortlist_cmd(ctx: Context, profile_path, method, indicators_path, reference_date,
                  countries: tuple[str, ...], borders: tuple[str, ...],
                  budget: float | None, top_n: int | None, min_per_country: tuple[tuple[str, int], ...],
                  max_per_country: tuple[tuple[str, int], ...], min_per_border: tuple[tuple[str, int], ...],
                  max_per_border: tuple[tuple[str, int], ...], scores_path: Path | None, out: Path,
                  full_precision: bool) -> int:
    """The posts with the highest total score whose rehabilitation costs fit the budget, with
    limits per country and per border (--scores: the scores are kept as they are, and
    --country/--border only pick the posts)."""
    chosen_posts = selection(countries, borders)
    how: dict[str, str] | None = None  # what the file does with sensitive layers, when from the store
    bounds = limits(min_per_country, max_per_country, min_per_border, max_per_border)
    need_borders = bool(bounds["min_per_border"] or bounds["max_per_border"])
    if scores_path:
        table = read_indicator_table(scores_path)
        table = table[table["score"].notna()] if "score" in table else table
        table = _selected(ctx, table, chosen_posts, need_borders)
    else:
        ranking = _ranking(ctx, profile_path, method, indicators_path, reference_date, chosen_posts,
                           need_borders)
        if not indicators_path:
            ranking, how = written_ranking(ctx, ranking, full_precision)
        table = ranking.table
    chosen = shortlist(table.reset_index(), budget=budget, top_n=top_n, **bounds)
    selected = table.loc[chosen.selected]
    write_table(selected, out, ctx.lang)
    if how is not None:
        log_written(ctx, ctx.viewer(), "shortlist", out, how)
    ctx.say("cli.shortlist_done", count=len(chosen.selected), cost=round(chosen.total_cost),
            budget_left=round(chosen.budget_left) if chosen.budget_left is not None else "-",
            out=str(out))
    for post in chosen.selected:
        row = table.loc[post]
        cost = row.get("rehab_cost_usd")
        echo(f"  {post:<12} {row.get('name', '')!s:<24} {row.get('iso3', '')!s:<4} "
                   f"{format_number(cost, ctx.lang, 0) if pd.notna(cost) else '-':>12}")
    return EXIT_OK

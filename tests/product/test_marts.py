"""Product marts against an independent recomputation from the raw events (real dbt)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.warehouse import Warehouse
from orchestration.defs.product import SUITES, THRESHOLDS, table_size_alert
from orchestration.lib.alerts import evaluate
from orchestration.lib.expectations import validate
from tests.databases import cloned_database
from tests.product import recompute as expected
from tests.product import recompute_metrics
from tests.product.recompute import RawProduct, fetch
from tests.product.recompute_metrics import RawMetrics
from tests.sources import built_history, ending_yesterday, models_of

pytestmark = pytest.mark.dbt

PRODUCT_MODELS = models_of("product")
# Late (3%), duplicate (0.5%) and invalid (0.2%) rows, as the generator makes by default.
SPEC = ending_yesterday(events=100_000, days=40, seed=13)


@pytest.fixture(scope="module")
def built(server: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The product source's generated events loaded, then `dbt build` of its models."""
    work = tmp_path_factory.mktemp("product")
    with built_history(server, work, SPEC, "product") as warehouse:
        yield warehouse


@pytest.fixture(scope="module")
def raw(built: Warehouse) -> RawProduct:
    return RawProduct.read(built)


@pytest.mark.parametrize("mart", list(expected.MARTS))
def test_mart_equals_a_recomputation_from_raw_events(
    built: Warehouse, raw: RawProduct, mart: str
) -> None:
    assert expected.assert_mart_matches(built, raw, mart) > 0


@pytest.fixture(scope="module")
def raw_metrics(built: Warehouse) -> RawMetrics:
    return RawMetrics.read(built)


@pytest.mark.parametrize("mart", list(recompute_metrics.MARTS))
def test_metric_mart_equals_a_recomputation_from_raw_points(
    built: Warehouse, raw_metrics: RawMetrics, mart: str
) -> None:
    assert recompute_metrics.assert_mart_matches(built, raw_metrics, mart) > 0


def test_the_metric_points_exercise_every_definition(
    built: Warehouse, raw_metrics: RawMetrics
) -> None:
    """Seed 002's metric names with their tags and seed 003's LLM metrics, every type, points
    in every bucket of the seed's benchmarks, late and re-sent points."""
    names = {(p["name"], p["metric_type"]) for p in raw_metrics.points}
    assert {
        ("api.request.duration", "timer"), ("users.active", "gauge"),
        ("missions.created", "counter"), ("database.query.duration", "timer"),
        ("llm.ttft_ms", "timer"), ("llm.tpot_ms", "timer"), ("llm.throughput_tps", "gauge"),
        ("llm.generation_ms", "histogram"), ("llm.cache.hit", "histogram"),
    } == names  # fmt: skip
    tags = {p["tags"] for p in raw_metrics.points if p["name"] == "api.request.duration"}
    assert '{"status": "500", "endpoint": "/api/search"}' in tags, "jsonb's key order"
    assert "{}" in {p["tags"] for p in raw_metrics.points if p["name"] == "users.active"}
    buckets = fetch(built, "select min(points) as fewest from marts.llm_performance_buckets_daily"
                    " group by metric_name, bucket_number")  # fmt: skip
    assert len(buckets) == 12
    assert any(b["fewest"] == 0 for b in buckets), "an empty bucket keeps its row"
    [late] = fetch(
        built,
        "select count(*) as rows from raw.metrics as m join raw._loads as l"
        " on l.load_id = m._load_id"
        " where l.file_name > 'metrics__' || (m.recorded_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0
    [resent] = fetch(
        built,
        "select count(*) as rows from raw._quarantine"
        " where reason like 're-sent event%' and table_name = 'metrics'",
    )
    assert resent["rows"] > 0


def test_percentiles_are_exact_per_grain_never_averaged(built: Warehouse) -> None:
    """A week's p90 is the p90 of its points, not the mean of its days' p90s."""
    [row] = fetch(
        built,
        "select w.p90_value as weekly, avg(d.p90_value) as averaged"
        " from marts.metric_aggregates_weekly as w join marts.metric_aggregates_daily as d"
        " using (metric_name, metric_type, tags)"
        " where d.period_start between w.period_start and w.period_start + 6"
        " and w.metric_name = 'api.request.duration' and w.tags = '(all)' and w.is_complete"
        " group by w.period_start, w.p90_value order by w.period_start limit 1",
    )
    assert row["weekly"] != pytest.approx(row["averaged"])


def test_the_data_exercises_every_definition(built: Warehouse, raw: RawProduct) -> None:
    """The sample has what the marts distinguish: the seeds' event kinds in the four
    categories, internal users, anonymous visitors who identify mid-session, sessions across
    midnight, server events without a session, late events, re-sent copies."""
    names = {e["event_name"] for e in raw.events}
    assert {
        "session_start", "code_input", "doc_generation", "doc_export", "login", "signup",
        "trial", "tier_change", "checkout_completed", "usage_alert", "batch_generation",
        "quality_score", "oauth_flow", "user_interaction", "error", "performance",
        "mission_created", "mission_completed", "spec_created", "forge_item_created",
        "search_performed", "page_view", "user_identified",
    } <= names  # fmt: skip
    assert {e["category"] for e in raw.events} == {"workflow", "business", "usage", "system"}
    assert {e["event_type"] for e in raw.events} == {"track", "page", "identify"}
    assert any(e["is_internal"] for e in raw.events)
    assert any(e["session_id"] is None for e in raw.events)
    sessions = expected.sessions(raw)
    assert sum(s["crosses_midnight"] for s in sessions.values()) >= 10
    by_session: dict[str, set[object]] = {}
    for e in raw.events:
        by_session.setdefault(e["session_id"], set()).add(e["user_id"])
    assert any(None in users and len(users) == 2 for users in by_session.values()), "identify"
    [late] = fetch(
        built,
        "select count(*) as rows from raw.analytics_events as e"
        " join raw._loads as l on l.load_id = e._load_id"
        " where l.file_name > 'analytics_events__' || (e.occurred_at at time zone 'UTC')::date",
    )
    assert late["rows"] > 0
    [resent] = fetch(
        built, "select count(*) as rows from raw._quarantine where reason like 're-sent event%'"
    )
    assert resent["rows"] > 0


def test_distinct_counts_are_exact_per_period_never_summed(built: Warehouse) -> None:
    [row] = fetch(
        built,
        "select m.active_users, (select sum(active_users) from marts.active_users_daily as d"
        "  where date_trunc('month', d.period_start) = m.period_start) as summed"
        " from marts.active_users_monthly as m where m.is_complete or true"
        " order by m.period_start desc limit 1",
    )
    assert row["active_users"] < row["summed"]


@pytest.fixture
def copy(built: Warehouse, server: Warehouse) -> Iterator[Warehouse]:
    with cloned_database(server, built) as warehouse:
        yield warehouse


def test_each_alert_fires_on_what_crosses_its_threshold(copy: Warehouse) -> None:
    by_name = {threshold.name: threshold for threshold in THRESHOLDS}
    [day] = fetch(
        copy, "select max(period_start) as day from marts.product_events_daily where is_complete"
    )
    quiet = {name: evaluate(copy, threshold).passed for name, threshold in by_name.items()}
    assert quiet == dict.fromkeys(by_name, True), "the sample is small: nothing fires"

    def set_daily_events(total: int) -> None:  # all on one row of the day, the rest 0
        with copy.cursor() as cursor:
            cursor.execute(
                "update marts.product_events_daily set events = 0, internal_events = 0"
                f" where period_start = '{day['day']}'"
            )
            cursor.execute(
                f"update marts.product_events_daily set events = {total - 5}, internal_events = 5"
                f" where period_start = '{day['day']}' and event_name = 'session_start'"
            )

    daily = by_name["alert_product_daily_events_over_10k"]
    set_daily_events(10_000)
    assert evaluate(copy, daily).passed
    set_daily_events(10_001)
    fired = evaluate(copy, daily)
    assert not fired.passed
    assert fired.metadata["breaches"].value == 1
    # The size alerts' query, with a limit the sample's table crosses.
    assert not evaluate(copy, table_size_alert("any_size", 0, "test")).passed


def test_volume_check_catches_a_day_far_from_its_weekday(copy: Warehouse) -> None:
    suite = next(s for s in SUITES if s.name.endswith("volume_against_trailing_weeks"))
    [day] = fetch(
        copy, "select max(period_start) as day from marts.product_events_daily where is_complete"
    )
    window = {"min_date": str(day["day"]), "max_date": str(day["day"])}
    assert validate(copy, suite, window).passed
    reconciled = next(s for s in SUITES if s.name.endswith("reconciles_with_staging"))
    assert validate(copy, reconciled, window).passed
    with copy.cursor() as cursor:
        cursor.execute(
            "update marts.product_events_daily set events = events * 3"
            f" where period_start = '{day['day']}'"
        )
    assert not validate(copy, suite, window).passed
    assert not validate(copy, reconciled, window).passed


def test_metric_alerts_fire_on_what_crosses_their_thresholds(copy: Warehouse) -> None:
    """The cache hit rate under 70% and the p95 latencies over the seed's limits, each on one
    complete day; the sample itself is quiet (asserted above)."""
    by_name = {threshold.name: threshold for threshold in THRESHOLDS}
    [day] = fetch(
        copy, "select max(period_start) as day from marts.llm_prompt_cache_daily where is_complete"
    )
    cache = by_name["alert_llm_cache_hit_rate_under_target"]
    with copy.cursor() as cursor:  # exactly on target: not under it
        cursor.execute(
            "update marts.llm_prompt_cache_daily set lookups = 10, hits = 7, misses = 3,"
            f" hit_rate = 0.7, meets_target = true where period_start = '{day['day']}'"
        )
    assert evaluate(copy, cache).passed
    with copy.cursor() as cursor:
        cursor.execute(
            "update marts.llm_prompt_cache_daily set hits = 6, misses = 4, hit_rate = 0.6,"
            f" meets_target = false where period_start = '{day['day']}'"
        )
    fired = evaluate(copy, cache)
    assert not fired.passed and fired.metadata["breaches"].value == 1
    for name, metric, limit in (
        ("alert_llm_ttft_p95_over_2s", "llm.ttft_ms", 2000),
        ("alert_llm_tpot_p95_over_60ms", "llm.tpot_ms", 60),
        ("alert_database_query_p95_over_2s", "database.query.duration", 2000),
    ):

        def set_p95(value: float, metric: str = metric) -> None:
            with copy.cursor() as cursor:
                cursor.execute(
                    f"update marts.metric_aggregates_daily set p95_value = {value}"
                    f" where period_start = '{day['day']}' and metric_name = '{metric}'"
                    " and tags = '(all)'"
                )

        set_p95(limit)
        assert evaluate(copy, by_name[name]).passed, name
        set_p95(limit + 0.5)
        fired = evaluate(copy, by_name[name])
        assert not fired.passed and fired.metadata["breaches"].value == 1, name

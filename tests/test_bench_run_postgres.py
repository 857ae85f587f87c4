"""bench/run on PostgreSQL still runs end to end (a smoke run, no figure judged); see tests/test_bench_tools.py."""

from tests.test_bench_tools import check_bench_run


def test_bench_run_on_postgresql_prints_every_figure_and_loses_no_request():
    check_bench_run(("--postgres",), "PostgreSQL (fsync on)")

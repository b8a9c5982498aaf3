"""The command line: output formats and one-line errors with exit status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from sessionkit.cli import main

ARGS = [
    "expand",
    "FREQ=WEEKLY;BYDAY=MO,WE",
    "--start",
    "2026-03-02T18:00",
    "--tz",
    "Europe/Berlin",
    "--duration",
    "90m",
    "--from",
    "2026-03-01",
    "--to",
    "2026-05-01",
]


def test_table_lists_local_and_utc_across_dst(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(ARGS) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "18 occurrence(s)"
    assert "Mon 2026-03-02 18:00 CET" in out[1]
    assert "2026-03-02 17:00Z" in out[1]
    assert any("Mon 2026-03-30 18:00 CEST" in line and "2026-03-30 16:00Z" in line for line in out)


def test_the_table_writes_a_year_before_1000_with_four_digits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.replace("2026-", "0010-") for a in ARGS]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    # Berlin's local mean time then: 18:00 LMT is 17:06:32 UTC (+00:53:28), so the table
    # shows seconds. strftime wrote the year "10".
    assert out[1].split() == [
        "1", "Wed", "0010-03-03", "18:00:00", "LMT", "Wed", "0010-03-03", "19:30:00", "LMT",
        "0010-03-03", "17:06:32Z", "0010-03-03", "18:36:32Z",
    ]  # fmt: skip


def test_the_table_shows_seconds_when_an_occurrence_has_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In minutes alone, FREQ=SECONDLY printed three rows of "18:00 CET ... 18:00 CET":
    # the same occurrence, it seemed, three times.
    argv = ["expand", "FREQ=SECONDLY;COUNT=3", *ARGS[2:]]
    argv[argv.index("90m")] = "45s"
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[2:4] + line.split()[9:] for line in out[1:4]] == [
        ["2026-03-02", "18:00:00", "2026-03-02", "17:00:00Z", "2026-03-02", "17:00:45Z"],
        ["2026-03-02", "18:00:01", "2026-03-02", "17:00:01Z", "2026-03-02", "17:00:46Z"],
        ["2026-03-02", "18:00:02", "2026-03-02", "17:00:02Z", "2026-03-02", "17:00:47Z"],
    ]
    assert main(ARGS) == 0  # whole minutes: no seconds
    assert "Mon 2026-03-02 18:00 CET   Mon 2026-03-02 19:30 CET" in capsys.readouterr().out


def test_the_table_shows_local_seconds_when_only_the_local_times_have_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Berlin's LMT is +00:53:28: 18:00:28 LMT is 17:07:00 UTC. Only UTC was asked for seconds,
    # so the row read "18:00 LMT ... 17:07Z", though 18:00 LMT is 17:06:32Z.
    argv = [a.replace("2026-", "1890-") for a in ARGS]
    argv[argv.index("1890-03-02T18:00")] = "1890-03-02T18:00:28"
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [
        "1", "Mon", "1890-03-03", "18:00:28", "LMT", "Mon", "1890-03-03", "19:30:28", "LMT",
        "1890-03-03", "17:07:00Z", "1890-03-03", "18:37:00Z",
    ]  # fmt: skip


def test_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 18
    assert rows[0] == {
        "key": "2026-03-02T18:00:00",
        "local_start": "2026-03-02T18:00:00+01:00",
        "local_end": "2026-03-02T19:30:00+01:00",
        "utc_start": "2026-03-02T17:00:00+00:00",
        "utc_end": "2026-03-02T18:30:00+00:00",
    }
    assert main([*ARGS, "--format", "csv", "--exdate", "2026-03-04"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 17
    assert table[1]["key"] == "2026-03-09T18:00:00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"FREQ=WEEKLY;BYDAY=MO,WE": "FREQ=FORTNIGHTLY"}, "FREQ='FORTNIGHTLY' is not a frequency"),
        ({"Europe/Berlin": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"Europe/Berlin": "localtime"}, "'localtime' is this machine's own zone"),
        ({"Europe/Berlin": "posix/Europe/Berlin"}, "variant of 'Europe/Berlin'"),
        ({"90m": "ninety"}, "--duration 'ninety'"),
        ({"90m": "0m"}, "must be positive"),
        ({"90m": "\u0669\u0660m"}, "--duration"),  # Arabic-Indic 90: digits are ASCII, as in rules
        ({"90m": "\uff19\uff10m"}, "--duration"),  # fullwidth 90
        ({"2026-03-01": "March"}, "--from 'March'"),
        ({"2026-03-02T18:00": "tomorrow"}, "--start 'tomorrow'"),
        ({"2026-05-01": "2026-02-01"}, "--to '2026-02-01' (the window's end) is before --from"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(
    change: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [change.get(a, a) for a in ARGS]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("sessionkit: error: ")
    assert message in err


@pytest.mark.parametrize(
    "duration", ["99999999999999h", "99999999999999999m", "PT999999999999999999S", "9" * 5000 + "s"]
)
def test_a_duration_past_timedelta_range_gives_one_line_and_status_2(
    duration: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # timedelta() raised OverflowError (int() a ValueError past 4300 digits): a traceback, status 1
    argv = [duration if a == "90m" else a for a in ARGS]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"sessionkit: error: --duration {duration!r}: too long")


def test_missing_arguments_and_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sessionkit", "expand"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "required" in result.stderr


def test_no_command_is_told_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    # A bare "python -m sessionkit" was told "the following arguments are required: command".
    assert main([]) == 2
    assert capsys.readouterr() == (
        "",
        "sessionkit: error: the following arguments are required: {expand,demo,tick}\n",
    )


@pytest.mark.parametrize(
    "exdate", ["2026-03-02 18:00", "2026-03-02T18:00", "2026-03-02", "2026-03-02T17:00+00:00"]
)
def test_exdate_takes_the_forms_of_from_and_to(
    exdate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A date-time with a space, as --from and --to take it, was refused as "not a date".
    argv = [exdate if a == "2026-03-01" else a for a in ARGS]  # that form in --from too
    assert main([*argv, "--format", "json", "--exdate", exdate]) == 0
    keys = [row["key"] for row in json.loads(capsys.readouterr().out)]
    assert len(keys) == 17
    assert keys[:2] == ["2026-03-04T18:00:00", "2026-03-09T18:00:00"]


@pytest.mark.parametrize("exdate", ["2026-03-02 6pm", "2026-02-30", "March 2", "2026-03-02T25:00"])
def test_a_bad_exdate_gives_one_line_naming_both_forms(
    exdate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--exdate", exdate]) == 2
    assert capsys.readouterr().err == (
        f"sessionkit: error: --exdate {exdate!r}: expected a date (2026-03-02) or a local"
        " date-time (2026-03-02T18:00 or 2026-03-02 18:00)\n"
    )


class _FullDisk(io.StringIO):
    """A stdout on a full disk: writing (or flushing) raises ENOSPC."""

    def flush(self) -> None:
        raise OSError(28, "No space left on device")


def test_output_that_cannot_be_written_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `expand ... > /dev/full` ended in an OSError traceback.
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    args = ["expand", "FREQ=DAILY;COUNT=2", "--start", "2026-03-02T17:00", "--tz", "UTC"]
    status = main([*args, "--duration", "1h", "--from", "2026-03-01", "--to", "2026-03-05"])
    assert status == 1
    assert capsys.readouterr().err == (
        "sessionkit: error: the output could not be written ([Errno 28] No space left on device)\n"
    )


SECONDLY = [
    *ARGS[:1],
    "FREQ=SECONDLY",
    *ARGS[2:7],
    "1s",
    "--from",
    "2026-03-02",
    "--to",
    "2026-03-04",
]


def test_an_expansion_past_its_limit_names_the_command_lines_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The library's message named Limits.candidates and max_candidates=, which a shell has not
    assert main(SECONDLY) == 2
    err = capsys.readouterr().err
    assert err == (
        "sessionkit: error: expanding 'FREQ=SECONDLY' examined more than 100,000 candidate"
        " dates; ask for a smaller window (--from, --to) or raise the limit (--max-candidates)\n"
    )


def test_max_candidates_raises_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*SECONDLY, "--max-candidates", "100000000", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 1 + 30 * 3600  # the header, then every second from 18:00 on 2 March


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_a_bad_max_candidates_gives_one_line_and_status_2(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--max-candidates", value]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sessionkit: error: --max-candidates {value!r}: expected a whole number of at least 1\n"
    )


@pytest.mark.parametrize(
    ("start", "happens"),
    [
        ("2026-03-28T02:30", "2026-03-29T02:30:00 does not exist in Europe/Berlin"),
        ("2026-10-24T02:30", "2026-10-25T02:30:00 happens twice in Europe/Berlin"),
    ],
)
def test_a_dst_refusal_names_the_command_lines_option(
    start: str, happens: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The library's message named disambiguate='compatible', a Python argument
    argv = [
        "expand",
        "FREQ=DAILY",
        "--start",
        start,
        "--tz",
        "Europe/Berlin",
        "--duration",
        "1h",
        "--from",
        start[:10],
        "--to",
        "2026-12-31",
        "--disambiguate",
        "raise",
    ]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"sessionkit: error: {happens} (--disambiguate raise); choose --disambiguate"
        " compatible, earlier, later or skip\n"
    )


def test_the_help_is_plain_text_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    # It printed the module's docstring: a wall of reST with ``double backquotes``.
    with pytest.raises(SystemExit) as done:
        main(["--help"], prog="python -m sessionkit")
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out
    assert "examples:\n  python -m sessionkit demo " in out
    assert "python -m sessionkit COMMAND --help" in out
    # It named statuses 2 and 130, not the 1 of a failed tick or demo step; then it named
    # a tick's unreachable database for 1, not a demo's, which exited 2.
    assert "Exit status 2: the\ncommand line is wrong (a bad argument," in out
    assert "1: the work could not be done\n(a database that cannot be opened or reached" in out
    assert "running it again retries); 130:\nCtrl-C." in out


@pytest.mark.parametrize("command", [["--help"], ["demo", "--help"]])
def test_the_help_names_the_command_as_it_was_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    # The installed script's help said "python -m sessionkit" too: a command it was not run by.
    monkeypatch.setattr(sys, "argv", ["/venv/bin/sessionkit", *command])
    with pytest.raises(SystemExit) as done:
        main(command)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "python -m" not in out
    prog = " ".join(["sessionkit", *command[:-1]])
    assert out.startswith(f"usage: {prog} [-h]")


def test_python_m_sessionkit_names_itself_in_its_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sessionkit", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: python -m sessionkit [-h] {expand,demo,tick}")
    assert "\n  python -m sessionkit demo marketplace     also: consulting" in done.stdout


def test_the_table_columns_line_up_for_a_zone_named_by_its_offset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Kathmandu's abbreviation is "+0545": one character more than the columns left for
    # "CEST", which shifted every later column of the row off its header.
    argv = [
        "expand", "FREQ=DAILY", "--start", "2026-10-03T02:15", "--tz", "Asia/Kathmandu",
        "--duration", "30m", "--from", "2026-10-03", "--to", "2026-10-05",
    ]  # fmt: skip
    assert main(argv) == 0
    header, first, *_ = capsys.readouterr().out.splitlines()
    for column in ("local end", "UTC start", "UTC end"):
        assert first[header.index(column) - 2 : header.index(column)] == "  "
        assert first[header.index(column)] != " "
    assert first[header.index("local end") :].startswith("Sat 2026-10-03 02:45 +0545")
    assert first[header.index("UTC start") :].startswith("2026-10-02 20:30Z")


@pytest.mark.parametrize(
    ("flag", "bound", "shown"),
    [("--from", "0001-01-01", "--from 0001-01-01T00:00:00+00:53:28"),
     ("--to", "9999-12-31T23:30-01:00", "--to 9999-12-31T23:30:00-01:00")],
)  # fmt: skip
def test_a_window_bound_without_a_utc_equivalent_is_named_by_its_flag(
    capsys: pytest.CaptureFixture[str], flag: str, bound: str, shown: str
) -> None:
    argv = [*ARGS]
    argv[argv.index(flag) + 1] = bound
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"sessionkit: error: {shown} has no UTC equivalent"
        " (it lies outside the years 1 to 9999 in UTC)\n"
    )


def test_demo_now_help_says_how_much_later_the_window_refills(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # "a later one makes the rolling window refill": a week later the LMS refilled nothing
    # (it keeps a four-week buffer of its two months).
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "once less than its buffer is left ahead (the LMS keeps four weeks" in out


def test_ctrl_c_while_the_parser_is_built_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The parser was built before main()'s try: a Ctrl-C then was a traceback.
    from sessionkit import cli

    def ctrl_c(_prog: str | None) -> None:
        raise KeyboardInterrupt

    hook = sys.unraisablehook
    monkeypatch.setattr(cli, "_build_parser", ctrl_c)
    try:
        status = main(ARGS)
    except KeyboardInterrupt:  # caught here, or pytest would take it as its own Ctrl-C
        pytest.fail("Ctrl-C escaped main(): a traceback in a shell")
    assert status == 130
    assert capsys.readouterr() == ("", "sessionkit: interrupted\n")
    assert sys.unraisablehook is hook

"""Commands ``serve`` (the local web app) and ``check`` (the guided self-check in the terminal).

``serve`` binds to 127.0.0.1 only and prints a link with a per-run code; ``check`` asks the five
signs as questions (Rich prompts), or reads answers from ``--answers FILE`` (JSON) for scripts.
Without a terminal and without ``--answers`` it stops with status 2 and says what to do.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import IntPrompt, Prompt
from rich.text import Text

from ebbtide.cli.analysis_cmds import CountryOption, DbOption
from ebbtide.cli.app import app, err, friendly_errors, report
from ebbtide.errors import EbbtideError, shown


def free_port(preferred: int | None = None) -> int:
    """``preferred`` if it is free on 127.0.0.1, else one the system picks."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                if port == preferred:
                    raise EbbtideError(f"port {port} is in use", where="--port",
                                       fix="Choose another port, or leave --port out to pick a free one.") from None
                raise
            return int(sock.getsockname()[1])
    raise AssertionError("unreachable")


_LAUNCHER = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Opening ebbtide…</title>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;line-height:1.5">
<form id="go" method="post" action="http://127.0.0.1:{port}/launch">
<input type="hidden" name="code" value="{code}">
<p>Opening ebbtide… If nothing happens, press <button type="submit">Open ebbtide</button></p></form>
<script>document.getElementById("go").submit();</script></body></html>
"""


def write_launcher(port: int, code: str) -> Path:
    """A page that posts the one-time code to the app: 0600, in a new 0700 folder.

    The browser is started with this file's path, so the code is never on a command line (``ps``),
    in an address bar or in the browser's history; the app removes the file once the code is used.
    """
    import os
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ebbtide-open-"))  # 0700
    path = folder / "open-ebbtide.html"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_LAUNCHER.format(port=port, code=code))
    return path


def _remove_launcher(path: Path) -> None:
    import contextlib

    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def _open_when_listening(server: Any, launcher: Path) -> None:
    """Start the browser once the server accepts connections (not before: it would show an error)."""
    import time
    import webbrowser

    deadline = time.monotonic() + 60
    while not getattr(server, "started", False) and time.monotonic() < deadline:
        time.sleep(0.05)
    if getattr(server, "started", False):
        webbrowser.open(launcher.as_uri())


@app.command("serve")
@friendly_errors
def serve_cmd(
    port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).",
                                             show_default=False)] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the app in your browser.")] = False,
    db: DbOption = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Keep everything in memory: nothing is written "
                                           "to your store; it is all gone when the app stops.")] = False,
) -> None:
    """Start the private web app on this computer only (127.0.0.1), with a one-time link."""
    import threading

    try:
        import uvicorn

        from ebbtide.web import create_app
    except ImportError as exc:  # pragma: no cover - fastapi and uvicorn are main dependencies
        raise EbbtideError(f"the web app's packages are missing ({exc.name})", where="serve",
                           fix="pip install 'ebbtide[web]'") from None
    chosen = free_port(port)
    web = create_app(db, port=chosen, memory=no_store)
    url = f"http://127.0.0.1:{chosen}/?t={web.state.token}"
    err.print(Panel(Text.assemble(
        "ebbtide is running on this computer only.\n\nOpen this link in your browser (it works once):\n",
        (url, "bold"),
        "\n\nThe code in the link changes every time; nothing leaves this computer. Press Ctrl-C to stop.",
        "\nNothing is stored: everything is forgotten when ebbtide stops (--no-store)." if no_store else "")))
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=chosen, log_level="warning",
                                           access_log=False, server_header=False))
    launcher = write_launcher(chosen, web.state.launch_code) if open_browser else None
    if launcher is not None:
        code = web.state.launch_code
        web.state.on_code_used.append(lambda used: _remove_launcher(launcher) if used == code else None)
        threading.Thread(target=_open_when_listening, args=(server, launcher), daemon=True).start()
    try:
        server.run()
    finally:
        if launcher is not None:
            _remove_launcher(launcher)


# --------------------------------------------------------------------------- check
def _ask_scale(question: str, options: list[dict[str, Any]], default: int) -> int:
    err.print(Text.assemble("\n", (question, "bold")), highlight=False)  # may hold a typed name
    for i, opt in enumerate(options, 1):
        err.print(f"  {i}. {opt['label']}", markup=False, highlight=False)
    default_index = next(i for i, o in enumerate(options, 1) if int(o["value"]) == default)
    choice = IntPrompt.ask("Number", console=err, choices=[str(i) for i in range(1, len(options) + 1)],
                           default=default_index, show_choices=False)
    return int(options[choice - 1]["value"])


def ask_answers() -> dict[str, Any]:
    """The self-check as Rich prompts on the terminal (questions and scales from selfcheck.toml)."""
    from ebbtide.insight.selfcheck import selfcheck_text
    from ebbtide.insight.wording import load

    t = selfcheck_text()
    err.print(Panel(Text(t["intro"]), title="Self-check"))
    # WHY first: the answer decides what advice is safe to show (evidence.md section 4.2 rule 5).
    err.print(f"\n{t['safety_intro']} {t['safety_help']}", markup=False, highlight=False)
    afraid = Prompt.ask(t["safety_afraid_question"], console=err, choices=["yes", "no"], default="no")
    controlled = Prompt.ask(t["safety_controlled_question"], console=err, choices=["yes", "no"], default="no")
    partner = Prompt.ask(t["partner_question"], console=err, default="").strip()
    weeks = IntPrompt.ask(t["weeks_question"], console=err, default=6)
    name = partner or str(t["default_partner"])
    answers: dict[str, Any] = {"partner": partner, "weeks": weeks, "signs": {}, "reflection": {}}
    for s in t["signs"]:
        answers["signs"][s["id"]] = _ask_scale(s["question"].replace("{partner}", name), t["scale"], -1)
    answers["pulling_back"] = _ask_scale(t["own"]["pulling_back"], t["own_scale"], 0)
    answers["reaching_out"] = _ask_scale(t["own"]["reaching_out"], t["own_scale"], 0)
    err.print(f"\n{t['reflection_intro']}", highlight=False)
    reasons = load("reasons")
    from ebbtide.model import ReasonId

    for r in ReasonId:
        answers["reflection"][r.value] = _ask_scale(reasons[r.value]["title"], t["reflection_scale"], 0)
    answers["afraid"] = "yes" if "yes" in (afraid, controlled) else "no"
    return answers


def _interactive() -> bool:
    return sys.stdin.isatty()


ANSWERS_SHAPE = ('a JSON object such as {"signs": {"decreased_communication": 2, "evasive_responses": -1}, '
                 '"pulling_back": 0, "reaching_out": 1, "afraid": false, "weeks": 6}: signs 0 (same) to 3 (much '
                 'less), -1 (cannot tell)')


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EbbtideError("file not found", where=str(path), fix="Check the path of --answers.") from None
    except UnicodeDecodeError:
        raise EbbtideError("the file is not UTF-8 text", where=str(path), fix=f"Give {ANSWERS_SHAPE}.") from None
    except OSError as exc:
        raise EbbtideError(f"cannot read the file ({exc.strerror or 'read error'})", where=str(path),
                           fix="Check the path of --answers.") from None
    except json.JSONDecodeError as exc:
        raise EbbtideError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", where=str(path),
                           fix=f"Give {ANSWERS_SHAPE}.") from None
    if not isinstance(data, dict):
        raise EbbtideError("the answers are not a JSON object", where=str(path),
                           fix=f"Give {ANSWERS_SHAPE}.")
    return data


@app.command("check")
@friendly_errors
def check_cmd(
    answers_file: Annotated[Path | None, typer.Option("--answers", help="Read the answers from a JSON file "
                                                      "instead of asking: {\"signs\": {SIGN: 0-3 or -1}, "
                                                      "\"pulling_back\": 0-2, \"reaching_out\": 0-2, "
                                                      "\"afraid\": true/false, \"weeks\": N}.",
                                                      show_default=False)] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON.",
                                                   show_default=False)] = None,
    country: CountryOption = None,
) -> None:
    """A guided self-check without a chat export: the five signs as questions, then the same plan."""
    from ebbtide.insight import crisis_resources, pattern_label
    from ebbtide.insight.safety import help_line
    from ebbtide.insight.selfcheck import parse_answers, run_selfcheck
    from ebbtide.model import Pattern
    from ebbtide.report.terminal import _faq, _plan, _reasons, _safety, reflection_note

    if answers_file is not None:
        raw = _read_answers(answers_file)
    elif _interactive():
        raw = ask_answers()
    else:
        raise EbbtideError("the self-check needs a terminal to ask its questions", where="check",
                           fix=f"Run it in a terminal, or give the answers with ebbtide check --answers FILE: {ANSWERS_SHAPE}.")
    assessment, insight = run_selfcheck(parse_answers(raw))
    if insight.safety_first:
        _safety(report, insight, crisis_resources(country))
    report.print(Panel(Text(insight.headline), title=Text(pattern_label(assessment.pattern.value, me='you', partner=assessment.partner), style="bold"),
                    border_style="cyan"))
    reflection_note(report, insight)
    _plan(report, insight)
    if insight.held_back:
        report.print(Text(insight.held_back, style="italic"))
    else:
        _reasons(report, insight, from_answers=True, stable=assessment.pattern is Pattern.STABLE)
        _faq(report, insight)
    report.print()
    for limit in insight.limits:
        report.print(Text(f"· {limit}", style="dim"))
    if not insight.safety_first:
        report.print(Text(help_line(country), style="dim"))
    if json_path is not None:
        from ebbtide.report.json_report import report_dict

        data = report_dict(assessment, insight, simulated=False, country=country)
        data["source"] = "self-check"
        try:
            json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        except OSError as exc:
            raise EbbtideError(f"cannot write the file ({exc.strerror})", where=str(json_path),
                               fix="Give a file name in a folder that exists.") from None
        err.print(f"JSON: {shown(json_path)}", markup=False, highlight=False)


# --------------------------------------------------------------------------- helplines
@app.command("helplines")
@friendly_errors
def helplines_cmd(
    country: CountryOption = None,
    everywhere: Annotated[bool, typer.Option("--all", help="List every country's helplines.")] = False,
) -> None:
    """Where to get help: the emergency number first, then abuse and crisis lines (offline list)."""
    from ebbtide.insight.safety import countries, country_code, crisis_resources

    if country and not country_code(country):
        known = ", ".join(code for code, _ in countries())
        raise EbbtideError(f"no helplines stored for '{country}'", where="--country",
                           fix=f"Use one of: {known} (eu: elsewhere), or --all.")
    region = None
    for r in crisis_resources(country, everywhere=everywhere):
        if r.region_name != region:
            region = r.region_name
            report.print(f"\n[bold]{escape(region)}[/]")
        report.print(f"  {r.name}: {r.contact} ({r.for_what})", markup=False, highlight=False)
    if country and not everywhere:
        report.print("\nEvery country: ebbtide helplines --all", markup=False, highlight=False)

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
from rich.panel import Panel
from rich.prompt import IntPrompt, Prompt
from rich.text import Text

from ebbtide.cli.analysis_cmds import CountryOption, DbOption
from ebbtide.cli.app import app, err, friendly_errors, out
from ebbtide.errors import EbbtideError


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


@app.command("serve")
@friendly_errors
def serve_cmd(
    port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).",
                                             show_default=False)] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the app in your browser.")] = False,
    db: DbOption = None,
) -> None:
    """Start the private web app on this computer only (127.0.0.1), with a one-time link."""
    try:
        import uvicorn

        from ebbtide.web import create_app
    except ImportError as exc:  # pragma: no cover - fastapi and uvicorn are main dependencies
        raise EbbtideError(f"the web app's packages are missing ({exc.name})", where="serve",
                           fix="pip install 'ebbtide[web]'") from None
    chosen = free_port(port)
    web = create_app(db, port=chosen)
    url = f"http://127.0.0.1:{chosen}/?t={web.state.token}"
    err.print(Panel(Text.assemble(
        "ebbtide is running on this computer only.\n\nOpen this link in your browser:\n", (url, "bold"),
        "\n\nThe code in the link changes every time; nothing leaves this computer. Press Ctrl-C to stop.")))
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(web, host="127.0.0.1", port=chosen, log_level="warning", access_log=False, server_header=False)


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
    err.print(f"\n{t['safety_help']}", highlight=False)
    answers["afraid"] = Prompt.ask(t["safety_question"], console=err, choices=["yes", "no"], default="no")
    return answers


def _interactive() -> bool:
    return sys.stdin.isatty()


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EbbtideError("file not found", where=str(path), fix="Check the path of --answers.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EbbtideError(f"cannot read the file ({exc})", where=str(path), fix="Give a UTF-8 JSON file.") from None
    except json.JSONDecodeError as exc:
        raise EbbtideError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", where=str(path),
                           fix="See docs/web.md for the shape of the answers file.") from None
    if not isinstance(data, dict):
        raise EbbtideError("the answers are not a JSON object", where=str(path),
                           fix='Write {"signs": {"decreased_communication": 2, ...}, ...}.')
    return data


@app.command("check")
@friendly_errors
def check_cmd(
    answers_file: Annotated[Path | None, typer.Option("--answers", help="Read the answers from a JSON file "
                                                      "instead of asking.", show_default=False)] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON.",
                                                   show_default=False)] = None,
    country: CountryOption = None,
) -> None:
    """A guided self-check without a chat export: the five signs as questions, then the same plan."""
    from ebbtide.insight import crisis_resources, pattern_label
    from ebbtide.insight.selfcheck import parse_answers, run_selfcheck
    from ebbtide.report.terminal import _faq, _plan, _reasons, _safety

    if answers_file is not None:
        raw = _read_answers(answers_file)
    elif _interactive():
        raw = ask_answers()
    else:
        raise EbbtideError("the self-check needs a terminal to ask its questions", where="check",
                           fix="Run it in a terminal, or give the answers as JSON: ebbtide check --answers FILE "
                               "(see docs/web.md).")
    assessment, insight = run_selfcheck(parse_answers(raw))
    if insight.safety_first:
        _safety(out, insight, crisis_resources(country))
    out.print(Panel(Text(insight.headline), title=Text(pattern_label(assessment.pattern.value, me='you', partner=assessment.partner), style="bold"),
                    border_style="cyan"))
    _plan(out, insight)
    _reasons(out, insight)
    _faq(out, insight)
    out.print()
    for limit in insight.limits:
        out.print(Text(f"· {limit}", style="dim"))
    if json_path is not None:
        from ebbtide.report.json_report import report_dict

        data = report_dict(assessment, insight, simulated=False, country=country)
        data["source"] = "self-check"
        try:
            json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        except OSError as exc:
            raise EbbtideError(f"cannot write the file ({exc.strerror})", where=str(json_path),
                               fix="Give a file name in a folder that exists.") from None
        err.print(f"JSON: {json_path}", markup=False, highlight=False)

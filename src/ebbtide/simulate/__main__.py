"""``python -m ebbtide.simulate``: regenerate the bundled demo, or write any scenario as an export.

python -m ebbtide.simulate --write-demo
python -m ebbtide.simulate --scenario pursue_withdraw --seed 3 --weeks 30 --out chat.txt
"""

from __future__ import annotations

import argparse
import sys

from ebbtide.errors import EbbtideError
from ebbtide.simulate.couple import simulate_couple
from ebbtide.simulate.demo import write_demo
from ebbtide.simulate.scenarios import SCENARIOS
from ebbtide.simulate.whatsapp import DIALECTS, write_whatsapp_export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ebbtide.simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--write-demo", action="store_true", help="regenerate the bundled demo export")
    parser.add_argument("--list", action="store_true", help="list the scenarios and what each plants")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help="write this scenario instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weeks", type=int, default=None)
    parser.add_argument("--me", default="Alex")
    parser.add_argument("--partner", default="Sam")
    parser.add_argument("--dialect", choices=sorted(DIALECTS), default="android_en_gb")
    parser.add_argument("--out", help="output file (for --scenario, or another place for --write-demo)")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in SCENARIOS.items():
            print(f"{name:24s} {spec.pattern.value:22s} {spec.description}")
        return 0
    if args.write_demo:
        path = write_demo(args.out)
        print(f"wrote {path}")
        return 0
    if args.scenario:
        if not args.out:
            parser.error("--scenario needs --out FILE")
        try:
            chat = simulate_couple(
                args.scenario, seed=args.seed, weeks=args.weeks, me=args.me, partner=args.partner
            )
        except EbbtideError as exc:  # bad weeks or names: say what and exit 2, no traceback
            print(exc.message, file=sys.stderr)
            return exc.exit_code
        write_whatsapp_export(chat.messages, args.out, dialect=args.dialect, me=args.me)
        print(
            f"wrote {args.out}: {chat.messages.height} messages; truth: {chat.truth.pattern.value}, "
            f"change from {chat.truth.change_start}"
        )
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

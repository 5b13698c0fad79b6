"""The ``crm`` command: run reports, serve the apps, list notebook parameters.

``crm report all`` runs every notebook through papermill into ``reports/<run>/``;
``crm app`` serves every notebook as a Voila app at http://127.0.0.1:8866/;
``crm params NAME`` lists a notebook's parameters. Errors in the input are printed as one
message (no traceback) and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from crmlib.config import BUILD_DIR, NOTEBOOK_DIR, REPORTS_DIR
from crmlib.errors import CrmInputError


def _read_parameter_file(path: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CrmInputError(f"Parameter file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise CrmInputError(f"Parameter file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CrmInputError(f"Parameter file {path} must hold 'name: value' lines.")
    return data


def _cmd_report(args: argparse.Namespace) -> int:
    from crmlib.reporting import run_reports

    params: dict[str, Any] = {}
    for path in args.parameter_file or []:
        params.update(_read_parameter_file(path))
    for name, value in args.parameter or []:
        params[name] = value
    names = None if not args.names or args.names == ["all"] else args.names
    result = run_reports(
        names,
        params,
        src=args.notebooks,
        reports_dir=args.reports_dir,
        timeout=args.timeout,
        progress=not args.quiet,
        run_name=args.name,
    )
    print(result.summary())
    return 0 if result.ok else 1


def _cmd_app(args: argparse.Namespace) -> int:
    from crmlib.apps import serve
    from crmlib.reporting import build_notebooks

    target = Path(args.build_dir) / "notebooks"
    built = build_notebooks(args.notebooks, target)
    if not built:
        raise CrmInputError(f"No notebooks found in {args.notebooks}.")
    serve(
        target,
        ip=args.ip,
        port=args.port,
        token=args.token,
        pool_size=args.pool_size,
        max_kernels=args.max_kernels,
        cull_idle_timeout=args.cull_idle_timeout,
        reports_dir=args.reports_dir,
    )
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    import tempfile

    import papermill

    from crmlib.reporting import build_notebooks
    from crmlib.reporting.runner import describe_parameters

    with tempfile.TemporaryDirectory() as tmp:
        built = {p.stem: p for p in build_notebooks(args.notebooks, Path(tmp))}
        if args.name not in built:
            raise CrmInputError(f"Unknown notebook {args.name!r}; available: {sorted(built)}.")
        declared = {args.name: papermill.inspect_notebook(str(built[args.name]))}
    print(describe_parameters(declared))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``crm`` argument parser (also used by the tests)."""
    parser = argparse.ArgumentParser(prog="crm", description="CRM analysis workbench")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--reports-dir", type=Path, default=REPORTS_DIR, help="reports folder")
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("report", help="run notebooks into offline HTML reports")
    rep.add_argument("names", nargs="*", help="notebook names, or 'all' (default)")
    rep.add_argument(
        "-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
        help="set a notebook parameter (repeatable)",
    )  # fmt: skip
    rep.add_argument(
        "-f", "--parameter-file", action="append", metavar="YAML",
        help="YAML file of name: value parameters (repeatable; -p wins)",
    )  # fmt: skip
    rep.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")
    rep.add_argument("--name", help="label added to the run folder name")
    rep.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    rep.set_defaults(func=_cmd_report)

    app = sub.add_parser("app", help="serve every notebook as a Voila app")
    app.add_argument("--ip", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8866)
    app.add_argument("--token", help="require this token (for access from other machines)")
    app.add_argument("--pool-size", type=int, default=1, help="preheated kernels per notebook")
    app.add_argument("--max-kernels", type=int, default=6, help="cap on kernels, pool included")
    app.add_argument("--cull-idle-timeout", type=int, default=300, help="seconds")
    app.add_argument("--build-dir", type=Path, default=BUILD_DIR, help=argparse.SUPPRESS)
    app.set_defaults(func=_cmd_app)

    par = sub.add_parser("params", help="list a notebook's parameters")
    par.add_argument("name")
    par.set_defaults(func=_cmd_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``crm`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CrmInputError as exc:
        print(f"crm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

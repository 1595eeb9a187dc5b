"""Executes Jupyter notebooks headlessly through nbclient (run by lib/notebook/execute.ts).

Usage: python3 _execute.py --kernel deno --timeout 600 --out OUT_DIR --summary SUMMARY.json NB...

Each notebook runs with its own folder as the working directory; the executed copy goes to
OUT_DIR/<name>.ipynb even when a cell fails, so that the failure can be read. SUMMARY.json lists,
per notebook, its wall time and every error: error outputs with their cell, and a timeout or a
dead kernel with the cell that was running.
"""

import argparse
import json
import os
import sys
import time

import nbformat
from jupyter_client.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete


class LateOutputClient(NotebookClient):
    """A NotebookClient that keeps outputs arriving after their cell went idle.

    Deno's kernel sends `status: idle` ahead of outputs still queued (displays, results,
    streams; large plotly bundles most of all), and plain nbclient drops any message whose cell
    has finished. Here each message goes to the cell that sent it, whichever cell is running,
    and after the last cell the channel is read until it has been quiet for `QUIET_SECONDS`.
    """

    QUIET_SECONDS = 1.5
    BETWEEN_CELLS_QUIET_SECONDS = 0.3
    DRAIN_LIMIT_SECONDS = 120

    def __init__(self, *args, name="", **kwargs):
        super().__init__(*args, **kwargs)
        self.cells_by_parent = {}
        self.name = name
        self.last_progress = 0.0

    def route(self, msg):
        parent = msg["parent_header"].get("msg_id")
        if parent not in self.cells_by_parent or msg["msg_type"] == "status":
            return
        cell, index = self.cells_by_parent[parent]
        try:
            self.process_message(msg, cell, index)
        except CellExecutionComplete:
            pass

    PROGRESS_EVERY_SECONDS = 10

    def echo_progress(self, msg):
        """Prints a cell's progress line (lib/viz/jupyter.ts `progressDisplay`) at most every
        PROGRESS_EVERY_SECONDS, so that a cell training for minutes shows it is alive."""
        if msg["msg_type"] not in ("display_data", "update_display_data"):
            return
        content = msg.get("content", {})
        display_id = content.get("transient", {}).get("display_id", "")
        if not display_id.startswith("edegan-progress-"):
            return
        now = time.monotonic()
        if now - self.last_progress < self.PROGRESS_EVERY_SECONDS:
            return
        self.last_progress = now
        text = content.get("data", {}).get("text/plain", "")
        print(f"{self.name}:   {text}", flush=True)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        self.cells_by_parent[parent_msg_id] = (cell, cell_index)
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            self.echo_progress(msg)
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return
            else:
                self.route(msg)

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        if cell.cell_type == "code" and self.cells_by_parent:
            # Deno's kernel stamps a queued output with the request running when it is sent, so
            # displays still queued when the next cell starts would land in that cell: let the
            # channel go quiet first.
            await self.drain(self.BETWEEN_CELLS_QUIET_SECONDS)
        started = time.monotonic()
        code = [c for c in self.nb.cells if c.cell_type == "code"]
        # A line when each code cell starts and ends (and its progress line every few seconds
        # in between), so that a long notebook shows where it is.
        number = next((i + 1 for i, c in enumerate(code) if c is cell), 0)
        if number:
            print(f"{self.name}: cell {number}/{len(code)} running", flush=True)
        result = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        if number:
            print(f"{self.name}: cell {number}/{len(code)} done in "
                  f"{time.monotonic() - started:.1f} s", flush=True)
        if cell_index == len(self.nb.cells) - 1:
            await self.drain()
        return result

    async def drain(self, quiet=None):
        deadline = time.monotonic() + self.DRAIN_LIMIT_SECONDS
        while time.monotonic() < deadline:
            try:
                msg = await ensure_async(
                    self.kc.iopub_channel.get_msg(timeout=quiet or self.QUIET_SECONDS)
                )
            except Exception:  # queue.Empty: quiet long enough
                return
            self.route(msg)


def cell_errors(nb):
    errors = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append({
                    "cell": index,
                    "ename": output.get("ename", ""),
                    "evalue": output.get("evalue", ""),
                })
    return errors


def running_cell(nb):
    """The code cell that started but did not finish (record_timing keeps these stamps)."""
    for index, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in stamps \
                and "shell.execute_reply" not in stamps:
            return index
    return None


def run(path, args):
    nb = nbformat.read(path, as_version=4)
    client = LateOutputClient(
        nb,
        name=os.path.basename(path),
        kernel_name=args.kernel,
        timeout=args.timeout if args.timeout > 0 else None,
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    started = time.monotonic()
    failure = None
    try:
        client.execute()
    except Exception as error:  # CellTimeoutError, DeadKernelError, a kernel that never starts
        failure = {
            "cell": running_cell(nb),
            "ename": type(error).__name__,
            "evalue": str(error).strip().splitlines()[0] if str(error).strip() else "",
        }
    seconds = time.monotonic() - started
    out = os.path.join(args.out, os.path.basename(path))
    nbformat.write(nb, out)
    errors = cell_errors(nb) + ([failure] if failure else [])
    return {"notebook": path, "executed": out, "seconds": round(seconds, 2), "errors": errors}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell; 0: none")
    parser.add_argument("--out", required=True)
    parser.add_argument("--summary", required=True)
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = []
    for path in args.notebooks:
        result = run(path, args)
        results.append(result)
        status = "ok" if not result["errors"] else f"{len(result['errors'])} error(s)"
        print(f"{os.path.basename(path)}: {result['seconds']:.1f} s, {status}", flush=True)
        with open(args.summary, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Init time, duration and peak memory of the function's release binary, as Lambda runs it.

Starts the emulator (tests/emulator/launcher.py), seeds an organization of N members with
tests/emulator/demo.py, then runs the binary against a minimal Lambda runtime API served here: the
binary's first request to it ends its init; one invocation (a full sweep that creates the role in every
account) follows; then its peak resident memory (VmHWM) is read from /proc before it is stopped.

Usage: python function.py BINARY MEMBERS [MEMBERS …]   (prints one Markdown table row per size)
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EVENT = os.path.join(ROOT, "events", "enable-by-cli-iamuser.json")


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """The two calls of the Lambda runtime API the binary makes: next invocation, and its response."""

    protocol_version = "HTTP/1.1"
    state = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        state = RuntimeApi.state
        state.setdefault("first_request", time.monotonic())
        if state.get("served"):
            time.sleep(3600)  # no second event: the bench stops the binary
        state["served"] = True
        body = open(EVENT, "rb").read()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        state["invoked"] = time.monotonic()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        RuntimeApi.state["answer"] = json.loads(self.rfile.read(length) or b"null")
        RuntimeApi.state["answered"] = time.monotonic()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(binary, members):
    python = sys.executable
    emulator = subprocess.Popen(
        [python, os.path.join(ROOT, "tests", "emulator", "launcher.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        endpoint = emulator.stdout.readline().split()[1]
        env = dict(
            os.environ,
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
        )
        subprocess.run(
            [python, os.path.join(ROOT, "tests", "emulator", "demo.py"), "seed", "--members", str(members), "--suspended", "1"],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )
        RuntimeApi.state = {}
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env.update(
            AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_port}",
            AWS_LAMBDA_FUNCTION_NAME="bench",
            AWS_LAMBDA_FUNCTION_VERSION="1",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
            RUST_LOG="warn",
        )
        started = time.monotonic()
        function = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while "answered" not in RuntimeApi.state:
                if function.poll() is not None:
                    raise SystemExit(f"the function exited with {function.returncode}")
                time.sleep(0.05)
            state = RuntimeApi.state
            rss = peak_rss_mib(function.pid)
            report = state["answer"]
            created = report.get("accounts", {}).get("created")
            return {
                "accounts": members + 1,
                "init_ms": (state["first_request"] - started) * 1000,
                "sweep_s": state["answered"] - state["invoked"],
                "created": created,
                "rss_mib": rss,
            }
        finally:
            function.kill()
            server.shutdown()
    finally:
        emulator.kill()


def main():
    binary, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]]
    print("| accounts | init (to the first runtime API call) | sweep creating every role | peak RSS |")
    print("|---:|---:|---:|---:|")
    for members in sizes:
        m = measure(binary, members)
        assert m["created"] == members, m
        print(f"| {m['accounts']} | {m['init_ms']:.0f} ms | {m['sweep_s']:.1f} s | {m['rss_mib']:.1f} MiB |")


if __name__ == "__main__":
    main()

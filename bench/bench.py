#!/usr/bin/env python3
"""The bedrock-doctor benchmark: one command, against the simulator on loopback.

    python3 bench/bench.py                      # full run (build with: cargo build --release)
    python3 bench/bench.py --smoke --bin target/debug/bedrock-doctor   # what CI runs

It starts `bedrock-doctor sim serve` with a fixed latency on every response, runs each
case several times, and prints medians and the ratios that docs/performance.md quotes.
It measures; it asserts nothing about time. `--smoke` runs each case once with a short
latency and fails only if a case did not run as it should (exit code, missing output).
Nothing here reaches AWS: every endpoint is the simulator on 127.0.0.1.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = "us.anthropic.claude-sonnet-4-6"
SECOND_MODEL = "amazon.nova-lite-v1:0"
ROLE = "BedrockDeveloper"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=str(ROOT / "target/release/bedrock-doctor"))
    p.add_argument("--runs", type=int, default=7, help="runs per case (the median is reported)")
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--smoke", action="store_true", help="one run per case, 5 ms latency: does it work?")
    p.add_argument("--no-aws-cli", action="store_true", help="skip the AWS CLI comparison")
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()
    if a.smoke:
        a.runs, a.latency_ms = 1, 5
    return a


class Sim:
    """`bedrock-doctor sim serve` on a free loopback port, logging every request."""

    def __init__(self, binary, latency_ms, workdir, scenario="healthy"):
        self.log = Path(workdir) / f"requests-{Path(scenario).stem}.jsonl"
        self.proc = subprocess.Popen(
            [binary, "sim", "serve", "--scenario", scenario, "--port", "0",
             "--latency-ms", str(latency_ms), "--log", str(self.log)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        first = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:\d+", first)
        if not m:
            self.proc.kill()
            sys.exit(f"bench: the simulator did not start: {first!r}")
        self.url = m.group(0)

    def requests(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def clear(self):
        self.log.write_text("")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def environment(sim, home):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": sim.url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIASIMULATOR0000000",
        "AWS_SECRET_ACCESS_KEY": "simulated",
        "NO_COLOR": "1",
        "AWS_PAGER": "",
    }
    return env


def timed(argv, env, stdin=None):
    """Run argv; return (seconds, exit code, stdout, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(stdin)
    took = time.perf_counter() - start
    return took, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def peak_rss_mb(argv, env):
    """Peak resident set of one run, measured by GNU time from its own small process: a child
    forked from this Python process would count Python's own pages in its peak (the kernel
    keeps the high-water mark across exec), which inflated every figure before 2026-12-02."""
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    if gnu_time:
        with tempfile.NamedTemporaryFile(mode="r") as out:
            subprocess.run([gnu_time, "-o", out.name, "-f", "%M", *argv], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            return int(out.read().split()[-1]) / 1024.0
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.execve(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss / 1024.0


def median_of(runs, fn):
    samples = [fn() for _ in range(runs)]
    return statistics.median(samples), samples


def doctor_case(args, sim, env, extra, expect_codes=(0, 1)):
    argv = [args.bin, "--output", "json", "-v", *extra]
    walls, paths, calls = [], [], []
    for _ in range(args.runs):
        sim.clear()
        took, code, out, err = timed(argv, env)
        if code not in expect_codes:
            sys.exit(f"bench: {' '.join(extra)} exited {code}:\n{err[-2000:]}")
        m = re.findall(r"critical path (\d+) calls", err)
        if not m:
            sys.exit(f"bench: no critical path in -v output of {' '.join(extra)}:\n{err[-2000:]}")
        walls.append(took)
        paths.append(max(int(x) for x in m))
        calls.append(len(sim.requests()))
    return {
        "median_s": statistics.median(walls),
        "runs_s": walls,
        "critical_path_calls": max(paths),
        "requests": statistics.median(calls),
        "peak_rss_mb": peak_rss_mb(argv, env),
    }


def streaming_case(args, work, home):
    """The test call streamed (--stream) against `stream-paced`, where the simulator holds the
    first token back and paces the rest: the first token as the doctor measured it against
    the simulator's own delay, and the run's wall time against the stream's own length."""
    scenario = (ROOT / "src/sim/scenarios/stream-paced.toml").read_text()
    first_ms = int(re.search(r"first_token_ms = (\d+)", scenario).group(1))
    sim = Sim(args.bin, args.latency_ms, work, scenario="stream-paced")
    try:
        env = environment(sim, home)
        argv = [args.bin, "--output", "json", "--model", MODEL, "--stream"]
        firsts, totals, walls = [], [], []
        for _ in range(args.runs):
            took, code, out, err = timed(argv, env)
            if code != 0:
                sys.exit(f"bench: --stream exited {code}:\n{err[-2000:]}")
            invoke = next(c for c in json.loads(out)["checks"] if c["id"] == "invoke")
            m = re.search(r"first token after (\d+) ms, (\d+) ms in all", invoke["summary"])
            if not m:
                sys.exit(f"bench: the streamed test call did not report its times: {invoke['summary']}")
            firsts.append(int(m.group(1)))
            totals.append(int(m.group(2)))
            walls.append(took)
    finally:
        sim.stop()
    # The simulator answers the call after its latency, then holds the first token back.
    set_first = args.latency_ms + first_ms
    return {
        "median_s": statistics.median(walls),
        "first_token_ms": statistics.median(firsts),
        "first_token_set_ms": set_first,
        "stream_ms": statistics.median(totals),
    }


def aws_cli_sequence(sim, env, workdir):
    """The calls of the single-model run, made by the AWS CLI one after another."""
    venv = ROOT / "target" / "bench-venv"
    if not (venv / "bin" / "aws").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                        "--disable-pip-version-check", "awscli"], check=True)
    aws = str(venv / "bin" / "aws")
    now = int(time.time())
    queries = json.dumps([{
        "Id": "m0", "ReturnData": True,
        "MetricStat": {"Period": 60, "Stat": "Sum", "Metric": {
            "Namespace": "AWS/Bedrock", "MetricName": "Invocations",
            "Dimensions": [{"Name": "ModelId", "Value": MODEL}]}}}])
    messages = json.dumps([{"role": "user", "content": [{"text": "Hi"}]}])
    role_arn = f"arn:aws:iam::111122223333:role/{ROLE}"
    sequence = [
        ["sts", "get-caller-identity"],
        ["bedrock", "list-foundation-models"],
        ["bedrock", "list-inference-profiles", "--type-equals", "SYSTEM_DEFINED"],
        ["iam", "get-role", "--role-name", ROLE],
        ["cloudwatch", "get-metric-data", "--metric-data-queries", queries,
         "--start-time", str(now - 86400), "--end-time", str(now)],
        ["bedrock", "get-foundation-model-availability", "--model-id",
         "anthropic.claude-sonnet-4-6"],
        ["bedrock", "get-use-case-for-model-access"],
        ["service-quotas", "list-service-quotas", "--service-code", "bedrock"],
    ]
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        sequence.append(["iam", "simulate-principal-policy", "--policy-source-arn", role_arn,
                         "--action-names", "bedrock:InvokeModel",
                         "--resource-arns", f"arn:aws:bedrock:{region}::foundation-model/x",
                         "--context-entries",
                         f"ContextKeyName=aws:RequestedRegion,ContextKeyValues={region},ContextKeyType=string"])
    sequence.append(["bedrock-runtime", "converse", "--model-id", MODEL, "--messages", messages])
    cli_env = dict(env, AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(Path(workdir) / "none"),
                   AWS_SHARED_CREDENTIALS_FILE=str(Path(workdir) / "none"))

    def one_pass():
        start = time.perf_counter()
        for cmd in sequence:
            r = subprocess.run([aws, *cmd, "--output", "json"], env=cli_env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit(f"bench: aws {' '.join(cmd[:2])} failed: {r.stderr.decode()[-500:]}")
        return time.perf_counter() - start

    return len(sequence), one_pass


WALK = ("ListRoots", "ListAccountsForParent", "ListChildren", "ListAccounts")
OUS = 5


def organization_scenario(path, accounts):
    """`org-onboarding` with its [[accounts]] replaced by `accounts` generated ones, spread
    over five OUs; every 50th has no role to enter (as a StackSet that missed it). Returns the
    calls of one walk of it: ListRoots; each parent (the root, every OU) listed once, 20
    accounts a page, and its child OUs once."""
    base = (ROOT / "src/sim/scenarios/org-onboarding.toml").read_text()
    base = base.split("[[accounts]]")[0].replace('name = "org-onboarding"', 'name = "org-bench"')
    ous = [f"ou-sim0-bench{i:03d}" for i in range(OUS)]
    base = base.replace("[organizations.parents]\n", "[organizations.parents]\n" +
                        "".join(f'"{ou}" = "r-sim0"\n' for ou in ous))
    out = [base]
    for i in range(accounts):
        out.append(f'[[accounts]]\nid = "{500000000000 + i}"\nname = "bench-{i:03d}"\nparent = "{ous[i % OUS]}"\n')
        if i % 50 == 49:
            out.append("[accounts.iam]\nroles = []\n")
    Path(path).write_text("\n".join(out))
    all_ous = set(re.findall(r'^"(ou-[^"]+)" = ', base, re.M))
    on_root = 1  # the management account
    per_ou = [sum(1 for i in range(accounts) if ous[i % OUS] == ou) for ou in sorted(all_ous)]
    pages = max(1, -(-on_root // 20)) + sum(max(1, -(-n // 20)) for n in per_ou)
    return 1 + pages + 1 + len(all_ous)


def organization_case(args, work, home, accounts=500):
    """`--accounts org` over a generated organization of `accounts` member accounts (and its
    management account), two models each: wall time, peak memory, and the calls that list
    the organization: one walk, each parent's pages asked once (ListRoots, then per parent
    ListAccountsForParent, 20 accounts a page, and ListChildren)."""
    scenario = Path(work) / "org-bench.toml"
    walk = organization_scenario(scenario, accounts)
    sim = Sim(args.bin, args.latency_ms, work, scenario=str(scenario))
    try:
        env = environment(sim, home)
        argv = [args.bin, "--output", "json", "-q", "--accounts", "org", "--assume-role",
                "BedrockDoctorAudit", "--model", MODEL, "--model", SECOND_MODEL,
                "--timeout", "600s"]
        walls, listing, entered = [], [], []
        for _ in range(max(1, min(args.runs, 3))):
            sim.clear()
            took, code, out, err = timed(argv, env)
            if code not in (0, 1):
                sys.exit(f"bench: --accounts org exited {code}:\n{err[-2000:]}")
            report = json.loads(out)
            if len(report["accounts"]) != accounts + 1:
                sys.exit(f"bench: --accounts org reported {len(report['accounts'])} accounts")
            requests = sim.requests()
            walls.append(took)
            listing.append(sum(1 for r in requests if r["operation"] in WALK))
            entered.append(sum(1 for r in requests if r["operation"] == "AssumeRole"))
        rss = peak_rss_mb(argv, env)
    finally:
        sim.stop()
    return {
        "accounts": accounts + 1,
        "median_s": statistics.median(walls),
        "runs_s": walls,
        "walk_calls": max(listing),
        "walk_calls_expected": walk,
        "assume_role_calls": max(entered),
        "peak_rss_mb": rss,
    }


def main():
    args = parse_args()
    if not Path(args.bin).exists():
        sys.exit(f"bench: no binary at {args.bin} (build it: cargo build --release)")
    work = tempfile.mkdtemp(prefix="bedrock-doctor-bench-")
    home = Path(work) / "home"
    home.mkdir()
    sim = Sim(args.bin, args.latency_ms, work)
    env = environment(sim, str(home))
    figures = {"latency_ms": args.latency_ms, "runs": args.runs, "binary": args.bin}
    try:
        single = doctor_case(args, sim, env, ["--model", MODEL], expect_codes=(0,))
        figures["single"] = single
        bound = 1.3 * single["critical_path_calls"] * args.latency_ms / 1000 + 0.1
        figures["single"]["bound_s"] = bound
        figures["model_all"] = doctor_case(args, sim, env, ["--model", "all"])
        figures["regions_all"] = doctor_case(args, sim, env, ["--model", MODEL, "--regions", "all"])

        figures["streaming"] = streaming_case(args, work, str(home))
        figures["two_models"] = doctor_case(args, sim, env, ["--model", MODEL, "--model", SECOND_MODEL])
        figures["organization"] = organization_case(args, work, str(home),
                                                    accounts=20 if args.smoke else 500)

        if not args.no_aws_cli:
            count, one_pass = aws_cli_sequence(sim, env, work)
            cli_runs = max(1, min(args.runs, 3))
            med, samples = median_of(cli_runs, one_pass)
            figures["aws_cli"] = {"median_s": med, "runs_s": samples, "commands": count}

        startup_runs = 3 if args.smoke else 31
        message = ("An error occurred (AccessDeniedException) when calling the InvokeModel "
                   "operation: User: arn:aws:sts::111122223333:assumed-role/AppRole/session is "
                   "not authorized to perform: bedrock:InvokeModel on resource: "
                   "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 "
                   "with an explicit deny in a service control policy. ")
        message = (message * (1024 // len(message) + 1))[:1024].encode()
        version = lambda: timed([args.bin, "--version"], env)[0]
        explain = lambda: timed([args.bin, "explain"], env, stdin=message)[0]
        figures["version"] = {"median_s": median_of(startup_runs, version)[0],
                              "peak_rss_mb": peak_rss_mb([args.bin, "--version"], env)}
        figures["explain_1kb"] = {"median_s": median_of(startup_runs, explain)[0]}
        figures["binary_mb"] = os.path.getsize(args.bin) / 1e6
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)

    s = figures["single"]
    print(f"simulator latency {args.latency_ms} ms per response; {args.runs} run(s) per case; {args.bin}")
    print(f"single model, every check : median {s['median_s']:.3f} s, {s['requests']:.0f} requests, "
          f"critical path {s['critical_path_calls']} calls -> bound {s['bound_s']:.3f} s "
          f"({'within' if s['median_s'] <= s['bound_s'] else 'OVER'}), peak RSS {s['peak_rss_mb']:.1f} MB")
    for key, label in (("model_all", "--model all"), ("regions_all", "--regions all")):
        c = figures[key]
        print(f"{label:<26}: median {c['median_s']:.3f} s, {c['requests']:.0f} requests, "
              f"{c['median_s'] / s['median_s']:.2f}x the single run, peak RSS {c['peak_rss_mb']:.1f} MB")
    c = figures["streaming"]
    print(f"--stream (stream-paced)   : median {c['median_s']:.3f} s; first token {c['first_token_ms']:.0f} ms "
          f"measured vs {c['first_token_set_ms']} ms set (+{c['first_token_ms'] - c['first_token_set_ms']:.0f} ms), "
          f"stream {c['stream_ms']:.0f} ms, the rest of the run {c['median_s'] * 1000 - c['stream_ms']:.0f} ms")
    c, two = figures["organization"], figures["two_models"]
    print(f"--accounts org, 2 models  : {c['accounts']} accounts, median {c['median_s']:.3f} s, "
          f"{c['median_s'] / two['median_s']:.1f}x one account's run ({two['median_s']:.3f} s), "
          f"peak RSS {c['peak_rss_mb']:.1f} MB, {c['walk_calls']} listing calls "
          f"({'one walk' if c['walk_calls'] == c['walk_calls_expected'] else 'NOT one walk: expected ' + str(c['walk_calls_expected'])}), "
          f"{c['assume_role_calls']} AssumeRole calls")
    if "aws_cli" in figures:
        c = figures["aws_cli"]
        print(f"AWS CLI, same calls       : median {c['median_s']:.3f} s for {c['commands']} commands "
              f"(doctor made {s['requests']:.0f} requests): doctor is {c['median_s'] / s['median_s']:.1f}x faster")
    print(f"--version                 : median {figures['version']['median_s'] * 1000:.1f} ms, "
          f"peak RSS {figures['version']['peak_rss_mb']:.1f} MB")
    print(f"explain (1 KB on stdin)   : median {figures['explain_1kb']['median_s'] * 1000:.1f} ms")
    print(f"binary size               : {figures['binary_mb']:.1f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

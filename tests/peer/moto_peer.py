"""The Organizations walk and the role-path mapping against moto's server: an implementation
of AWS nobody here wrote. What moto lacks (SimulatePrincipalPolicy, Bedrock) comes from the
project's simulator, with AWS_ENDPOINT_URL_ORGANIZATIONS / AWS_ENDPOINT_URL_IAM sending
those services to moto.

Usage: python tests/peer/moto_peer.py path/to/bedrock-doctor
Starts moto_server and the simulator on free loopback ports; loopback only.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import boto3

BIN = os.path.abspath(sys.argv[1])
passed = 0
failed = 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_moto():
    port = free_port()
    moto_bin = os.path.join(os.path.dirname(sys.executable), "moto_server")
    proc = subprocess.Popen([moto_bin, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


def client(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIAMOTOPEER00000000", aws_secret_access_key="moto")


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok   {name}")
    except Exception as e:
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")


moto, moto_url = start_moto()
orgs = client("organizations", moto_url)
iam = client("iam", moto_url)

# An organization with the doctor's account two OUs deep and a region-lock SCP on the OU.
orgs.create_organization(FeatureSet="ALL")
root = orgs.list_roots()["Roots"][0]["Id"]
status = orgs.create_account(AccountName="workloads", Email="workloads@example.com")["CreateAccountStatus"]
member = status["AccountId"]
ou_prod = orgs.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
ou_ml = orgs.create_organizational_unit(ParentId=ou_prod, Name="ml")["OrganizationalUnit"]["Id"]
orgs.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou_ml)
scp = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyOutsideUsEast1",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}},
        }
    ],
}
policy = orgs.create_policy(Name="RegionLock", Description="only us-east-1", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(scp))["Policy"]["PolicySummary"]["Id"]
orgs.attach_policy(PolicyId=policy, TargetId=ou_prod)

# A role with a path, as Lambda's console creates them.
iam.create_role(RoleName="image-generator-role", Path="/service-role/", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))

# The simulator plays the member account: STS, Bedrock and SimulatePrincipalPolicy.
scenario = f"""
name = "moto-peer"
summary = "member account of a moto organization"
region = "us-east-1"
models = ["us.anthropic.claude-sonnet-4-6"]

[identity]
account = "{member}"
arn = "arn:aws:sts::{member}:assumed-role/BedrockDeveloper/alice"
user_id = "AROAEXAMPLE:alice"

[[iam.rules]]
action = "bedrock:InvokeModel*"
regions = ["us-east-2", "us-west-2"]
decision = "explicitDeny"
allowed_by_organizations = false
"""
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "moto-peer.toml")
with open(path, "w") as f:
    f.write(scenario)
sim = subprocess.Popen([BIN, "sim", "serve", "--scenario", path, "--port", "0"], stdout=subprocess.PIPE, text=True)
sim_url = sim.stdout.readline().split("listening on ")[1].split()[0]


def doctor(*args, **env):
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": tmp,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "AKIAMOTOPEER00000000",
        "AWS_SECRET_ACCESS_KEY": "moto",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": sim_url,
        "NO_COLOR": "1",
    }
    base.update(env)
    out = subprocess.run([BIN, "--output", "json", "--fail-on", "never", *args], env=base, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def scp_named_from_moto():
    r = doctor("--model", "us.anthropic.claude-sonnet-4-6", AWS_ENDPOINT_URL_ORGANIZATIONS=moto_url)
    scp_checks = [c for c in r["checks"] if c["id"] == "scp"]
    finding = scp_checks[0]["findings"][0]
    assert finding["cause"] == "scp-deny", finding
    assert "RegionLock" in finding["summary"] and "DenyOutsideUsEast1" in finding["summary"], finding["summary"]
    assert ou_prod in finding["summary"], f"the policy is attached to {ou_prod}: {finding['summary']}"
    text = "\n".join(finding["evidence"])
    assert "us-east-2" in text and "us-west-2" in text, text


def role_path_from_moto():
    arn = f"arn:aws:sts::{member}:assumed-role/image-generator-role/lambda-session"
    r = doctor("--only", "principal", "--principal", arn, AWS_ENDPOINT_URL_IAM=moto_url)
    principal = [c for c in r["checks"] if c["id"] == "principal"][0]
    assert principal["status"] == "pass", principal
    assert "role/service-role/image-generator-role" in principal["summary"], principal["summary"]


check("scp named to the statement through moto's Organizations (3 levels: account > ml > prod > root)", scp_named_from_moto)
check("assumed-role session mapped to its role path through moto's IAM", role_path_from_moto)

sim.terminate()
moto.terminate()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

"""Drive the simulator with boto3, an independent client, for every operation the doctor calls.

Usage: python tests/fidelity/boto3_fidelity.py path/to/bedrock-doctor
Starts `bedrock-doctor sim serve` itself on a free loopback port, once per scenario it needs,
and exits non-zero on the first operation boto3 cannot parse or that answers wrongly.
"""

import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BIN = sys.argv[1]
passed = 0
failed = 0


class Sim:
    def __init__(self, scenario):
        self.proc = subprocess.Popen(
            [BIN, "sim", "serve", "--scenario", scenario, "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        self.url = line.split("listening on ")[1].split()[0]
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def client(self, service, region="us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="AKIAFIDELITYTEST0000",
            aws_secret_access_key="fidelity-test-secret",
            config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok   {name}")
    except Exception as e:  # report every failure, then fail the run
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")


def expect_error(code, fn):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def assert_eq(a, b):
    assert a == b, f"{a!r} != {b!r}"


def assert_true(value, what=""):
    assert value, what


healthy = Sim("healthy")
sts = healthy.client("sts")
iam = healthy.client("iam")
bedrock = healthy.client("bedrock")
runtime = healthy.client("bedrock-runtime")
cloudwatch = healthy.client("cloudwatch")
quotas = healthy.client("service-quotas")
orgs = healthy.client("organizations")

check("sts GetCallerIdentity", lambda: assert_eq(sts.get_caller_identity()["Account"], "111122223333"))


check("sts GetCallerIdentity arn", lambda: assert_eq(sts.get_caller_identity()["Arn"].split(":")[5], "assumed-role/BedrockDeveloper/alice"))
check("iam GetRole", lambda: assert_eq(iam.get_role(RoleName="BedrockDeveloper")["Role"]["Path"], "/"))
check("iam GetRole missing -> NoSuchEntity", lambda: expect_error("NoSuchEntity", lambda: iam.get_role(RoleName="nobody")))
check("iam GetUser", lambda: assert_eq(iam.get_user(UserName="ci-bot")["User"]["Arn"], "arn:aws:iam::111122223333:user/automation/ci-bot"))


def simulate():
    r = iam.simulate_principal_policy(
        PolicySourceArn="arn:aws:iam::111122223333:role/BedrockDeveloper",
        ActionNames=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        ResourceArns=["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"],
        ContextEntries=[{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-east-1"], "ContextKeyType": "string"}],
    )
    results = r["EvaluationResults"]
    assert_eq(len(results), 2)
    assert_eq(results[0]["EvalDecision"], "allowed")
    assert_eq(results[0]["OrganizationsDecisionDetail"]["AllowedByOrganizations"], True)
    assert_eq(results[0]["MatchedStatements"][0]["SourcePolicyId"], "BedrockInvokeAccess")


check("iam SimulatePrincipalPolicy", simulate)


def list_models():
    models = bedrock.list_foundation_models()["modelSummaries"]
    assert len(models) > 30, len(models)
    lite = [m for m in models if m["modelId"] == "amazon.nova-lite-v1:0"][0]
    assert "ON_DEMAND" in lite["inferenceTypesSupported"], lite
    assert_eq(lite["modelLifecycle"]["status"], "ACTIVE")


check("bedrock ListFoundationModels", list_models)
check("bedrock ListFoundationModels byProvider", lambda: assert_eq({m["providerName"] for m in bedrock.list_foundation_models(byProvider="Amazon")["modelSummaries"]}, {"Amazon"}))
check("bedrock GetFoundationModel", lambda: assert_eq(bedrock.get_foundation_model(modelIdentifier="amazon.nova-lite-v1:0")["modelDetails"]["modelName"], "Nova Lite"))
check("bedrock GetFoundationModel invalid -> ValidationException", lambda: expect_error("ValidationException", lambda: bedrock.get_foundation_model(modelIdentifier="amazon.nova-lyte-v1:0")))
check("bedrock GetFoundationModelAvailability", lambda: assert_eq(bedrock.get_foundation_model_availability(modelId="amazon.nova-lite-v1:0")["agreementAvailability"]["status"], "AVAILABLE"))


def profiles():
    summaries = bedrock.list_inference_profiles()["inferenceProfileSummaries"]
    ids = {p["inferenceProfileId"] for p in summaries}
    assert "us.anthropic.claude-sonnet-4-6" in ids, sorted(ids)[:5]
    p = bedrock.get_inference_profile(inferenceProfileIdentifier="us.anthropic.claude-sonnet-4-6")
    regions = sorted(a["modelArn"].split(":")[3] for a in p["models"])
    assert_eq(regions, ["us-east-1", "us-east-2", "us-west-2"])
    assert_eq(p["type"], "SYSTEM_DEFINED")


check("bedrock ListInferenceProfiles + GetInferenceProfile", profiles)
check("bedrock GetUseCaseForModelAccess", lambda: assert_true(bedrock.get_use_case_for_model_access()["formData"]))


def converse():
    r = runtime.converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}], inferenceConfig={"maxTokens": 16})
    assert_eq(r["stopReason"], "end_turn")
    assert r["output"]["message"]["content"][0]["text"]


check("bedrock-runtime Converse", converse)
check("bedrock-runtime Converse via profile", lambda: assert_eq(runtime.converse(modelId="us.anthropic.claude-sonnet-4-6", messages=[{"role": "user", "content": [{"text": "Hi"}]}], inferenceConfig={"maxTokens": 16})["stopReason"], "end_turn"))
check("bedrock-runtime InvokeModel", lambda: assert_eq(runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=b'{"inputText":"hi"}')["contentType"], "application/json"))
check(
    "bedrock-runtime on-demand refusal -> ValidationException",
    lambda: expect_error("ValidationException", lambda: runtime.converse(modelId="anthropic.claude-sonnet-4-6", messages=[{"role": "user", "content": [{"text": "Hi"}]}])),
)


def metrics():
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    r = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "inv",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Bedrock", "MetricName": "Invocations", "Dimensions": [{"Name": "ModelId", "Value": "amazon.nova-lite-v1:0"}]},
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - datetime.timedelta(hours=24),
        EndTime=now,
    )
    res = r["MetricDataResults"][0]
    assert_eq(res["Id"], "inv")
    assert len(res["Values"]) >= 23, res
    assert isinstance(res["Timestamps"][0], datetime.datetime), res["Timestamps"][0]
    assert sum(res["Values"]) > 1000, sum(res["Values"])


check("cloudwatch GetMetricData (awsJson1_0, as botocore picks)", metrics)


def list_quotas():
    q = quotas.list_service_quotas(ServiceCode="bedrock")["Quotas"]
    assert any("Nova Lite" in x["QuotaName"] for x in q), q


check("servicequotas ListServiceQuotas", list_quotas)
check("organizations from a standalone account -> AWSOrganizationsNotInUseException", lambda: expect_error("AWSOrganizationsNotInUseException", orgs.describe_organization))
check("unknown restJson operation -> UnknownOperationException", lambda: expect_error("UnknownOperationException", bedrock.list_custom_models))
check("unknown query operation -> InvalidAction", lambda: expect_error("InvalidAction", lambda: iam.list_roles()))
healthy.stop()

scp = Sim("scp-deny")
orgs = scp.client("organizations")
check("organizations DescribeOrganization", lambda: assert_eq(orgs.describe_organization()["Organization"]["MasterAccountId"], "999988887777"))
check("organizations ListParents", lambda: assert_eq(orgs.list_parents(ChildId="111122223333")["Parents"][0]["Type"], "ORGANIZATIONAL_UNIT"))
check("organizations ListPoliciesForTarget", lambda: assert_eq({p["Id"] for p in orgs.list_policies_for_target(TargetId="ou-sim1-workloads", Filter="SERVICE_CONTROL_POLICY")["Policies"]}, {"p-FullAWSAccess", "p-denygenai"}))
check("organizations DescribePolicy", lambda: assert_true('"Deny"' in orgs.describe_policy(PolicyId="p-denygenai")["Policy"]["Content"]))
check("organizations DescribePolicy missing -> PolicyNotFoundException", lambda: expect_error("PolicyNotFoundException", lambda: orgs.describe_policy(PolicyId="p-nope")))
scp.stop()

invalid = Sim("credentials-invalid")
check("sts invalid key -> InvalidClientTokenId", lambda: expect_error("InvalidClientTokenId", invalid.client("sts").get_caller_identity))
check("bedrock invalid key -> UnrecognizedClientException", lambda: expect_error("UnrecognizedClientException", invalid.client("bedrock").list_foundation_models))
check("cloudwatch invalid key -> UnrecognizedClientException (awsJson1_0 error)", lambda: expect_error("UnrecognizedClientException", lambda: invalid.client("cloudwatch").get_metric_data(MetricDataQueries=[], StartTime=0, EndTime=1)))
invalid.stop()

throttled = Sim("throttled")
check(
    "bedrock-runtime throttling -> ThrottlingException",
    lambda: expect_error("ThrottlingException", lambda: throttled.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])),
)
throttled.stop()

# Application inference profiles: botocore sends typeEquals as the `type` query parameter.
app = Sim("application-profile-legacy-model")
app_arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/team0chat01"


def application_profiles():
    listed = app.client("bedrock").list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert_eq([p["inferenceProfileArn"] for p in listed], [app_arn])
    got = app.client("bedrock").get_inference_profile(inferenceProfileIdentifier=app_arn)
    assert_eq(got["type"], "APPLICATION")
    r = app.client("bedrock-runtime").converse(modelId=app_arn, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    assert_eq(r["stopReason"], "end_turn")


check("bedrock application inference profiles (list, get, converse by ARN)", application_profiles)
app.stop()

# A global profile is authorized on the Region-less model ARN in the region "unspecified".
glob = Sim("scp-global-unspecified")


def global_denied():
    try:
        glob.client("bedrock-runtime").converse(modelId="global.anthropic.claude-sonnet-4-6", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    except Exception as e:
        assert_eq(e.response["Error"]["Code"], "AccessDeniedException")
        assert_true("arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6" in str(e))
        return
    raise AssertionError("the global call was not denied")


check("bedrock-runtime global profile denied on the Region-less ARN", global_denied)
glob.stop()

# The service tier of a Converse body, and a daily quota of 0.
tier = Sim("service-tier-unavailable")
check(
    "bedrock-runtime Converse serviceTier reserved -> ValidationException",
    lambda: expect_error("ValidationException", lambda: tier.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}], serviceTier={"type": "reserved"})),
)
check(
    "bedrock-runtime Converse serviceTier flex answers",
    lambda: assert_eq(tier.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}], serviceTier={"type": "flex"})["stopReason"], "end_turn"),
)
tier.stop()

zero = Sim("quota-zero-new-account")
check(
    "bedrock-runtime with a daily quota of 0 -> ThrottlingException",
    lambda: expect_error("ThrottlingException", lambda: zero.client("bedrock-runtime").converse(modelId="us.amazon.nova-2-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])),
)
zero.stop()

# Guardrails: GetGuardrail, and runtime calls that carry one (guardrailConfig, or InvokeModel's
# X-Amzn-Bedrock-Guardrail* headers).
guard = Sim("guardrail-blocks-probe")
hi = [{"role": "user", "content": [{"text": "Hi"}]}]


def get_guardrail():
    r = guard.client("bedrock").get_guardrail(guardrailIdentifier="gr7strict01", guardrailVersion="1")
    assert_eq((r["guardrailId"], r["version"], r["status"]), ("gr7strict01", "1", "READY"))
    assert_true(r["guardrailArn"].endswith(":guardrail/gr7strict01"), r["guardrailArn"])


def guarded_invoke():
    import json
    r = guard.client("bedrock-runtime").invoke_model(
        modelId="amazon.nova-lite-v1:0", body=b'{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}',
        guardrailIdentifier="gr7strict01", guardrailVersion="1",
    )
    assert_eq(json.loads(r["body"].read())["amazon-bedrock-guardrailAction"], "INTERVENED")


check("bedrock GetGuardrail", get_guardrail)
check(
    "bedrock GetGuardrail of a version that does not exist -> ResourceNotFoundException",
    lambda: expect_error("ResourceNotFoundException", lambda: guard.client("bedrock").get_guardrail(guardrailIdentifier="gr7strict01", guardrailVersion="2")),
)
check(
    "bedrock-runtime Converse with a guardrail that intervenes",
    lambda: assert_eq(guard.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0", messages=hi, guardrailConfig={"guardrailIdentifier": "gr7strict01", "guardrailVersion": "1"})["stopReason"], "guardrail_intervened"),
)
check("bedrock-runtime InvokeModel with a guardrail that intervenes", guarded_invoke)
check(
    "bedrock-runtime Converse with a guardrail version that does not exist -> ValidationException",
    lambda: expect_error("ValidationException", lambda: guard.client("bedrock-runtime").converse(modelId="amazon.nova-lite-v1:0", messages=hi, guardrailConfig={"guardrailIdentifier": "gr7strict01", "guardrailVersion": "9"})),
)
guard.stop()

# Models the account owns: GetProvisionedModelThroughput, GetCustomModel, GetImportedModel, and
# runtime calls by their ARN.
owned = Sim("provisioned-in-service")
pt = "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/pt0inservice"
check(
    "bedrock GetProvisionedModelThroughput",
    lambda: assert_eq(owned.client("bedrock").get_provisioned_model_throughput(provisionedModelId=pt)["status"], "InService"),
)
check(
    "bedrock-runtime Converse by a provisioned throughput's ARN",
    lambda: assert_eq(owned.client("bedrock-runtime").converse(modelId=pt, messages=hi)["stopReason"], "end_turn"),
)
check(
    "bedrock GetProvisionedModelThroughput of an unknown id -> ResourceNotFoundException",
    lambda: expect_error("ResourceNotFoundException", lambda: owned.client("bedrock").get_provisioned_model_throughput(provisionedModelId="nosuch000000")),
)
owned.stop()

custom = Sim("custom-model-called-directly")
cm = "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.nova-lite-v1:0:300k/cm0support01"
check(
    "bedrock GetCustomModel by ARN",
    lambda: assert_eq(custom.client("bedrock").get_custom_model(modelIdentifier=cm)["modelStatus"], "Active"),
)
custom.stop()

imported = Sim("imported-no-converse")
im = "arn:aws:bedrock:us-east-1:111122223333:imported-model/im0qwen25abc"
check(
    "bedrock GetImportedModel",
    lambda: assert_eq(imported.client("bedrock").get_imported_model(modelIdentifier=im)["instructSupported"], False),
)
check(
    "bedrock-runtime Converse on an imported model without Converse -> ValidationException",
    lambda: expect_error("ValidationException", lambda: imported.client("bedrock-runtime").converse(modelId=im, messages=hi)),
)
imported.stop()

# Knowledge bases (bedrock-agent, bedrock-agent-runtime) and Lambda.
kb = Sim("knowledge-base-sync-failed")
check(
    "bedrock-agent GetKnowledgeBase",
    lambda: assert_eq(kb.client("bedrock-agent").get_knowledge_base(knowledgeBaseId="KB7SUPPORT")["knowledgeBase"]["status"], "ACTIVE"),
)
check(
    "bedrock-agent ListDataSources",
    lambda: assert_eq(len(kb.client("bedrock-agent").list_data_sources(knowledgeBaseId="KB7SUPPORT")["dataSourceSummaries"]), 2),
)


def latest_job():
    jobs = kb.client("bedrock-agent").list_ingestion_jobs(
        knowledgeBaseId="KB7SUPPORT", dataSourceId="DS1ARTICLE", sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"}, maxResults=1,
    )["ingestionJobSummaries"]
    assert_eq((len(jobs), jobs[0]["status"]), (1, "FAILED"))
    job = kb.client("bedrock-agent").get_ingestion_job(knowledgeBaseId="KB7SUPPORT", dataSourceId="DS1ARTICLE", ingestionJobId=jobs[0]["ingestionJobId"])
    assert_true("s3:ListBucket" in job["ingestionJob"]["failureReasons"][0])


check("bedrock-agent ListIngestionJobs and GetIngestionJob", latest_job)
check(
    "bedrock-agent-runtime Retrieve",
    lambda: assert_eq(kb.client("bedrock-agent-runtime").retrieve(knowledgeBaseId="KB7SUPPORT", retrievalQuery={"text": "refunds"})["retrievalResults"], []),
)
kb.stop()

fn = Sim("lambda-latency-p99")
check(
    "lambda GetFunctionConfiguration",
    lambda: assert_eq(fn.client("lambda").get_function_configuration(FunctionName="support-chat")["Timeout"], 10),
)
check(
    "lambda GetFunctionConfiguration of an unknown function -> ResourceNotFoundException",
    lambda: expect_error("ResourceNotFoundException", lambda: fn.client("lambda").get_function_configuration(FunctionName="nope")),
)
fn.stop()

# Streaming (issue 15): boto3 reads the simulator's event streams, paced and broken alike.
paced = Sim("stream-paced")
paced_runtime = paced.client("bedrock-runtime")


def converse_stream_paced():
    import time

    start = time.monotonic()
    r = paced_runtime.converse_stream(modelId="us.anthropic.claude-sonnet-4-6", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    first, deltas, stop = None, 0, None
    for event in r["stream"]:
        if "contentBlockDelta" in event:
            deltas += 1
            first = first or time.monotonic() - start
        if "messageStop" in event:
            stop = event["messageStop"]["stopReason"]
    assert_eq((deltas, stop), (5, "end_turn"))
    assert first >= 0.4, f"the first token came after {first:.3f} s, before the scenario's 400 ms"


def claude_invoke_stream():
    import json

    r = paced_runtime.invoke_model_with_response_stream(
        modelId="us.anthropic.claude-sonnet-4-6",
        body=json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}),
    )
    types = [json.loads(e["chunk"]["bytes"])["type"] for e in r["body"]]
    assert_eq(types[0], "message_start")
    assert_eq(types[-1], "message_stop")
    assert_eq(types.count("content_block_delta"), 5)


check("bedrock-runtime ConverseStream, paced (stream-paced)", converse_stream_paced)
check("bedrock-runtime InvokeModelWithResponseStream, Claude's own events", claude_invoke_stream)
paced.stop()

broken = Sim("stream-model-error")


def stream_exception():
    r = broken.client("bedrock-runtime").converse_stream(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    try:
        for _ in r["stream"]:
            pass
    except Exception as e:  # botocore raises EventStreamError for an exception event
        assert_true("modelStreamErrorException" in str(e), str(e))
        return
    raise AssertionError("the stream ended without its exception")


check("bedrock-runtime ConverseStream -> modelStreamErrorException inside the stream", stream_exception)
broken.stop()

org = Sim("org-onboarding")
org_sts = org.client("sts")
org_orgs = org.client("organizations")
ROLE = "arn:aws:iam::333344445555:role/BedrockDoctorAudit"


def assume_and_act():
    creds = org_sts.assume_role(RoleArn=ROLE, RoleSessionName="fidelity")["Credentials"]
    assert_true(creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"])
    inside = boto3.client(
        "sts", endpoint_url=org.url, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"])
    assert_eq(inside.get_caller_identity()["Arn"], "arn:aws:sts::333344445555:assumed-role/BedrockDoctorAudit/fidelity")


def paged_accounts():
    pages = org_orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 3})
    ids = [a["Id"] for page in pages for a in page["Accounts"]]
    assert_eq(ids, ["111122223333", "222233334444", "333344445555", "444455556666"])


check("sts AssumeRole, then the session acts in the role's account", assume_and_act)
check("sts AssumeRole of a missing role -> AccessDenied", lambda: expect_error("AccessDenied", lambda: org_sts.assume_role(RoleArn="arn:aws:iam::444455556666:role/BedrockDoctorAudit", RoleSessionName="fidelity")))
check("sts AssumeRole over MaxSessionDuration -> ValidationError", lambda: expect_error("ValidationError", lambda: org_sts.assume_role(RoleArn=ROLE, RoleSessionName="fidelity", DurationSeconds=7200)))
check("organizations ListAccounts, paged", paged_accounts)
check("organizations ListAccountsForParent", lambda: assert_eq([a["Id"] for a in org_orgs.list_accounts_for_parent(ParentId="ou-sim0-dev00001")["Accounts"]], ["222233334444", "444455556666"]))
check("organizations ListChildren (OUs of the root)", lambda: assert_eq(sorted(c["Id"] for c in org_orgs.list_children(ParentId="r-sim0", ChildType="ORGANIZATIONAL_UNIT")["Children"]), ["ou-sim0-dev00001", "ou-sim0-prod0001"]))
check("organizations ListRoots", lambda: assert_eq([r["Id"] for r in org_orgs.list_roots()["Roots"]], ["r-sim0"]))
check("organizations ListChildren of an unknown OU -> ParentNotFoundException", lambda: expect_error("ParentNotFoundException", lambda: org_orgs.list_children(ParentId="ou-sim0-nothere00", ChildType="ACCOUNT")))
org.stop()

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

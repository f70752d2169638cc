// An independent IAM evaluator as a peer for the doctor's SCP matcher (src/policy.rs):
// @cloud-copilot/iam-simulate, run at test time only (installed by .ci/run), never part of
// the product. Reads generated cases (JSON array) from the file named by argv[2] and prints,
// for each, whether the SCP denies the request and which Deny statements decided it.
//
// The engine's own entry point validates ARNs against AWS's resource types and rejects the
// Region-less foundation-model ARN of global profiles, so this calls its core `authorize`
// the way its runUnsafeSimulation does, keeping the analysis.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

// IAM_SIMULATE_DIR: the folder where `npm install @cloud-copilot/iam-simulate` ran.
const modules = join(process.env.IAM_SIMULATE_DIR ?? process.cwd(), 'node_modules/@cloud-copilot')
const esm = (p) => import(pathToFileURL(join(modules, 'iam-simulate/dist/esm', p)).href)
const { authorize } = await esm('core_engine/CoreSimulatorEngine.js')
const { AwsRequestImpl } = await esm('request/request.js')
const { RequestContextImpl } = await esm('requestContext.js')
const { DiscoveryContextKeyConstraints } = await esm('context_keys/discoveryContextKeyConstraints.js')
const { loadPolicy } = await import(pathToFileURL(join(modules, 'iam-policy/dist/esm/index.js')).href)

const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const out = []
for (const c of cases) {
  const request = new AwsRequestImpl(
    c.principal,
    { resource: c.resource, accountId: c.principal.split(':')[4] },
    c.action,
    new RequestContextImpl(c.context)
  )
  const analysis = authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: [loadPolicy(allowAll, { name: 'identity' })],
    serviceControlPolicies: [
      {
        orgIdentifier: 'r-peer',
        policies: [
          loadPolicy(allowAll, { name: 'FullAWSAccess' }),
          loadPolicy(JSON.parse(c.scp), { name: 'case' })
        ]
      }
    ],
    resourceControlPolicies: [],
    resourcePolicy: undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  })
  const ou = analysis.scpAnalysis?.ouAnalysis ?? []
  const statements = ou
    .flatMap((o) => o.denyStatements ?? [])
    .filter((s) => s.policyId === 'case')
    .map((s) => s.explain?.identifier ?? '?')
  out.push({ id: c.id, denied: analysis.scpAnalysis?.result === 'ExplicitlyDenied', statements })
}
console.log(JSON.stringify(out))

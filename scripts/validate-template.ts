/**
 * npm run validate:template: the CloudFormation template a deploy would submit, checked offline
 * (no AWS account, no credentials). `osls package --stage prod --package .serverless-prod` writes it
 * first (a folder of its own: any `osls package` in the tree, the tests' included, empties
 * .serverless, whatever its --package); then
 *
 * 1. AWS's own validator, @aws/cloudformation-validate (the cfn-lint rules and the resource
 *    provider schemas, bundled as WebAssembly; nothing is fetched): no error may remain, and no
 *    warning on a resource of serverless.yml. Warnings on what osls generates are shown, not failed:
 *    its templates are not ours to change.
 * 2. What the template must say that no validator knows: the API's deployment waits for every
 *    gateway response (scripts/deployment-after-gateway-responses.cjs), and no ARN names a
 *    partition literally (`arn:aws:`), osls's own ARNs included.
 *
 *   node --import tsx scripts/validate-template.ts --package   (packages the prod stage first, as npm run validate:template)
 *   node --import tsx scripts/validate-template.ts [package folder, default .serverless]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { RegoEngine, TemplateFile, version, type StandardDiagnostic, type StandardReport } from '@aws/cloudformation-validate';

const ROOT = join(__dirname, '..');

type Resource = { Type: string; DependsOn?: string | string[] };
type Template = { Resources: Record<string, Resource> };

/** What the template must say beyond CloudFormation's rules; each problem as a sentence. */
function projectProblems(text: string): string[] {
  const { Resources: resources } = JSON.parse(text) as Template;
  const idsOf = (type: string) => Object.keys(resources).filter((id) => resources[id]?.Type === type);
  const problems: string[] = [];
  const responses = idsOf('AWS::ApiGateway::GatewayResponse');
  const deployments = idsOf('AWS::ApiGateway::Deployment');
  if (deployments.length === 0) problems.push('no AWS::ApiGateway::Deployment: the gateway responses check has nothing to check');
  for (const deployment of deployments) {
    const dependsOn = [resources[deployment]?.DependsOn ?? []].flat();
    const missing = responses.filter((response) => !dependsOn.includes(response));
    if (missing.length > 0) problems.push(`${deployment} does not depend on the gateway responses ${missing.join(', ')}: a first deploy could answer in API Gateway's shapes`);
  }
  const literal = text.match(/arn:aws(?:-[a-z-]+)?:[^"]*/g) ?? [];
  if (literal.length > 0) problems.push(`ARNs with a literal partition (build them with \${AWS::Partition}): ${[...new Set(literal)].join(', ')}`);
  return problems;
}

function diagnosticLine(diagnostic: StandardDiagnostic, ours: boolean): string {
  const where = [diagnostic.entity?.logicalId, diagnostic.propertyPath].filter(Boolean).join(' ');
  return `  ${diagnostic.severity} ${diagnostic.ruleId}${ours ? '' : ' (osls)'} ${where}: ${diagnostic.message}`;
}

/**
 * `osls package --stage prod` into `folder`. serverless-esbuild leaves a folder per function in the
 * temporary folder it is given (TMPDIR): one of this run's own, removed afterwards.
 */
function packageProd(folder: string): void {
  const scratch = mkdtempSync(join(tmpdir(), 'odoo-rest-validate-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/osls/bin/serverless.js'), 'package', '--stage', 'prod', '--package', folder], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, TMPDIR: scratch, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(): boolean {
  const packageFirst = process.argv[2] === '--package';
  const packaged = resolve(ROOT, packageFirst ? '.serverless-prod' : (process.argv[2] ?? '.serverless'));
  if (packageFirst) packageProd(packaged);
  const templatePath = join(packaged, 'cloudformation-template-update-stack.json');
  const state = JSON.parse(readFileSync(join(packaged, 'serverless-state.json'), 'utf8'));
  const region: string = state.service.provider.region;
  const ours = new Set(Object.keys(state.service.resources?.Resources ?? {}));

  const started = Date.now();
  const engine = new RegoEngine();
  let report: StandardReport;
  try {
    report = engine.validateStandard(new TemplateFile(templatePath), { pseudoParameterOverrides: { region } });
  } finally {
    engine.free();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const { counts, resourcesScanned, rulesEvaluated, cfnLintVersion } = report.metadata;
  console.log(`${relative(ROOT, templatePath)} (${region}, ${resourcesScanned} resources): @aws/cloudformation-validate ${version()}, ${rulesEvaluated} rules (${cfnLintVersion.replace(/^.*@/, 'cfn-lint ')}), ${seconds} s`);

  const shown = report.diagnostics.filter((d) => d.severity !== 'INFO' && d.severity !== 'DEBUG');
  const isOurs = (d: StandardDiagnostic) => d.entity?.entityType !== 'Resource' || ours.has(d.entity.logicalId);
  for (const diagnostic of shown) console.log(diagnosticLine(diagnostic, isOurs(diagnostic)));
  const failing = shown.filter((d) => d.severity === 'FATAL' || d.severity === 'ERROR' || isOurs(d));
  console.log(`${counts.fatal + counts.errors} errors, ${counts.warnings} warnings (${failing.filter((d) => d.severity === 'WARN').length} on serverless.yml's resources), ${counts.informational} informational`);

  const problems = projectProblems(readFileSync(templatePath, 'utf8'));
  for (const problem of problems) console.log(`  ${problem}`);
  console.log(problems.length === 0 ? 'deployment after the gateway responses, no literal partition in an ARN: ok' : `${problems.length} template problems`);
  return report.status === 'OK' && failing.length === 0 && problems.length === 0;
}

if (!main()) process.exitCode = 1;

'use strict';
/**
 * Local serverless plugin: the API's deployment (the AWS::ApiGateway::Deployment osls generates,
 * logical id ApiGatewayDeployment<timestamp>) waits for every gateway response in the template
 * (serverless.yml's AWS::ApiGateway::GatewayResponse resources). A deployment snapshots the API as
 * it is when it is created; without this, CloudFormation may create it before the gateway
 * responses, and the stage would answer 401/403/404/5xx in API Gateway's own shapes until the next
 * deploy. osls names the deployment after the time of the run, so `resources.extensions` cannot name
 * it: this adds the DependsOn once serverless.yml's resources are merged into the template.
 *
 * Checked on the packaged template by scripts/validate-template.ts (npm run validate:template).
 */

const DEPLOYMENT = 'AWS::ApiGateway::Deployment';
const GATEWAY_RESPONSE = 'AWS::ApiGateway::GatewayResponse';

/** Adds every gateway response's logical id to the DependsOn of every deployment in `template`. */
function deploymentsAfterGatewayResponses(template) {
  const resources = Object.entries(template.Resources || {});
  const responses = resources.filter(([, resource]) => resource && resource.Type === GATEWAY_RESPONSE).map(([id]) => id);
  if (responses.length === 0) return;
  for (const [, resource] of resources) {
    if (!resource || resource.Type !== DEPLOYMENT) continue;
    const dependsOn = [resource.DependsOn || []].flat();
    resource.DependsOn = [...dependsOn, ...responses.filter((id) => !dependsOn.includes(id))];
  }
}

class DeploymentAfterGatewayResponses {
  constructor(serverless) {
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () =>
        deploymentsAfterGatewayResponses(serverless.service.provider.compiledCloudFormationTemplate),
    };
  }
}

module.exports = DeploymentAfterGatewayResponses;
module.exports.deploymentsAfterGatewayResponses = deploymentsAfterGatewayResponses;

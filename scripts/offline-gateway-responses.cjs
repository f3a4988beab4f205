'use strict';
/**
 * Local-only serverless plugin: applies the API Gateway "gateway responses" declared in
 * serverless.yml (resources of type AWS::ApiGateway::GatewayResponse) to the answers that
 * serverless-offline produces by itself, which it otherwise leaves in its own Boom shapes:
 * the authorizer's 401/403, its route-not-found 404 and any 5xx it raises.
 *
 * It also undoes serverless-offline's own CORS: whenever a request has an Origin it echoes that
 * origin with Access-Control-Allow-Credentials on every answer, and turns every OPTIONS answer into
 * a 200 with CORS headers of its own. API Gateway adds nothing to a Lambda proxy answer, so locally
 * the functions' CORS (lib/http/cors.ts, CORS_ORIGINS) and the gateway responses' must be all there is.
 *
 * serverless-offline keeps its hapi server private, so the hooks are added to every hapi Server
 * when it starts. It does nothing unless `offline` runs; deploys never load hapi.
 */
const hapi = require('@hapi/hapi');
const tsx = require('tsx/cjs/api');

// The same negotiation as the functions' (lib/http/negotiate.ts), loaded from the TypeScript source.
const { negotiate } = tsx.require('../lib/http/negotiate.ts', __filename);

const GATEWAY_RESPONSE = 'AWS::ApiGateway::GatewayResponse';

function gatewayResponses(serverless) {
  const resources = (serverless.service.resources && serverless.service.resources.Resources) || {};
  const byType = {};
  for (const resource of Object.values(resources)) {
    if (!resource || resource.Type !== GATEWAY_RESPONSE) continue;
    byType[resource.Properties.ResponseType] = resource.Properties;
  }
  return byType;
}

function responseType(request) {
  const response = request.response;
  if (request.route && request.route.path === '/{p*}') return 'MISSING_AUTHENTICATION_TOKEN';
  if (!response || !response.isBoom) return undefined;
  const status = response.output.statusCode;
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'ACCESS_DENIED';
  if (status >= 500) return 'DEFAULT_5XX';
  return undefined;
}

const escapeXml = (text) => String(text).replace(/[&<>]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[char]);

/**
 * hapi's own other 4xx answers (an unparseable Content-Type, say), which API Gateway would have
 * passed to the function: the function's error shape (lib/http/respond.ts), in JSON or XML as negotiated.
 */
function otherClientError(request, h) {
  const response = request.response;
  if (!response || !response.isBoom || response.output.statusCode < 400 || response.output.statusCode >= 500) return h.continue;
  const status = response.output.statusCode;
  const message = response.output.payload.message || 'Bad Request';
  const xml = negotiate(request.headers.accept).format === 'xml';
  // 401 and 404 are bare {code, message}, every other status wrapped in {"error": ...}, as lib/http/respond.ts.
  const bare = status === 401 || status === 404;
  const inner = `<code type="int">${status}</code><message type="str">${escapeXml(message)}</message>`;
  const body = xml ? (bare ? inner : `<error type="dict">${inner}</error>`) : JSON.stringify(bare ? { code: status, message } : { error: { code: status, message } });
  return h.response(body).code(status).type(`${xml ? 'application/xml' : 'application/json'}; charset=utf-8`);
}

/**
 * A gateway response header's value: a static string in single quotes, or
 * method.request.header.NAME (the request's header; the header is left out when it has none).
 */
function headerValue(value, request) {
  const text = String(value);
  const fromRequest = /^method\.request\.header\.(.+)$/.exec(text);
  if (fromRequest) return request.headers[fromRequest[1].toLowerCase()];
  return text.replace(/^'(.*)'$/s, '$1');
}

/** What the function answered, before serverless-offline's CORS ext changes it (see restoreFunctionAnswer). */
function rememberFunctionAnswer(request, h) {
  const response = request.response;
  if (response && !response.isBoom) {
    request.plugins.gatewayResponses = { statusCode: response.statusCode, headers: { ...response.headers } };
  }
  return h.continue;
}

const isCorsHeader = (name) => name.toLowerCase().startsWith('access-control-');

/** Puts back the function's status and drops every CORS header the function did not set. */
function restoreFunctionAnswer(request) {
  const response = request.response;
  if (!response) return;
  const headers = response.isBoom ? response.output.headers : response.headers;
  const answered = request.plugins.gatewayResponses;
  for (const name of Object.keys(headers)) {
    if (isCorsHeader(name) && !(answered && name in answered.headers)) delete headers[name];
  }
  if (answered && !response.isBoom) {
    for (const [name, value] of Object.entries(answered.headers)) if (isCorsHeader(name)) headers[name] = value;
    response.statusCode = answered.statusCode;
  }
}

class OfflineGatewayResponses {
  constructor(serverless) {
    this.hooks = {
      'before:offline:start': () => this.install(serverless),
      'before:offline:start:init': () => this.install(serverless),
    };
  }

  install(serverless) {
    // hapi exports a factory; its servers share the prototype of the class it does not export.
    const prototype = Object.getPrototypeOf(hapi.server());
    if (prototype.__gatewayResponsesInstalled) return;
    const responses = gatewayResponses(serverless);
    const originalStart = prototype.start;
    prototype.__gatewayResponsesInstalled = true;
    prototype.start = function start(...args) {
      this.ext('onPostHandler', rememberFunctionAnswer);
      // Runs after serverless-offline's own onPreResponse ext (added when its server was made).
      this.ext('onPreResponse', (request, h) => {
        restoreFunctionAnswer(request);
        const type = responseType(request);
        const definition = type && (responses[type] || responses.DEFAULT_4XX);
        if (!definition) return otherClientError(request, h);
        const status = Number(definition.StatusCode || (request.response.output || request.response).statusCode);
        const templates = definition.ResponseTemplates || {};
        const contentType = negotiate(request.headers.accept).format === 'xml' && templates['application/xml'] ? 'application/xml' : 'application/json';
        const reply = h.response(templates[contentType] || '').code(status).type(`${contentType}; charset=utf-8`);
        for (const [name, value] of Object.entries(definition.ResponseParameters || {})) {
          const header = name.replace(/^gatewayresponse\.header\./, '');
          const headerText = header !== name ? headerValue(value, request) : undefined;
          if (headerText !== undefined && headerText !== '') reply.header(header, headerText);
        }
        return reply;
      });
      return originalStart.apply(this, args);
    };
  }
}

module.exports = OfflineGatewayResponses;

/**
 * The operator surface's HTTP side: the app (createApp), the socket (startHttpServer), the
 * OpenAPI document, tokens, and the route contract route modules are written against.
 */
export { ApiError, API_ERROR_CODES, CURSORS, defineRoute, type ApiDeps, type ApiErrorCode, type FlowTaskStatus, type GatewayControl, type MappingReload, type MetricsEndpoint, type Principal, type RouteDefinition, type RouteModule, type RouteResult } from './api.ts';
export { createApp, zodToApiError, type App, type AppOptions } from './app.ts';
export { apiTokens, authorize, newToken, sha256Hex, TokenAuthenticator, ENV_TOKEN_NAME, type ApiToken, type ApiTokens } from './auth.ts';
export { metricsFor, startHttpServer, CLOSE_GRACE_MS, DEFAULT_HTTP_HOST, DEFAULT_SERVE_PORT, type HttpServerOptions, type RunningHttpServer } from './listen.ts';
export { API_BASE, buildOpenApiDocument, type OpenApiDocument, type OpenApiOperation } from './openapi.ts';
export { routeModules } from './routes/index.ts';

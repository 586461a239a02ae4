// Package mgmt is the management REST API at OneAccess's paths
// (/api/v2/tenant/...) and Gatehouse's system API (/api/v2/system/...).
//
// Handlers decode the request, call a service and write the response;
// errors go to one writer (errors.go) that speaks OneAccess's shapes: A
// ({"error_code","error_msg"}, HTTP 400) for business and parameter errors,
// B ({"error","error_description"}) for the token endpoint and bearer
// failures. The OpenAPI document (openapi.json) describes every route in
// Routes, and a test keeps the two equal.
package mgmt

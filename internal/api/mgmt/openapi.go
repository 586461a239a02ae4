package mgmt

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3 description of every route in Routes.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPIHandler serves the OpenAPI document at /api/openapi.json.
func OpenAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(openAPI)
	})
}
